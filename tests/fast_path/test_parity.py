"""The fast path (codemod/migrate_weights/fast_path/) against the full LibCST path: wherever the
fast path takes a file, both must give the same bytes, findings and rewrites. Fixtures, and modules
that hypothesis writes from every builder's import paths in many call shapes and surroundings."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cases import FIXTURES, ROOT, check_stable, sources, style_of
from migrate_weights import fast_path
from migrate_weights.pipeline import screen
from migrate_weights.pipeline.migrate import migrate_source, migrate_with_libcst
from migrate_weights.pipeline.parse import parse
from migrate_weights.syntax.text import TEXT, Piece, TextArg, TextSyntax
from migrate_weights.tables import legacy_model_urls
from migrate_weights.tables.table import generated

SOURCES = sources()


def fast_result(
    source: bytes, style: str = "enum", syntax: TextSyntax = TEXT
) -> fast_path.Rewritten | None:
    module = parse(source)
    if not screen.might_need_migration(source) or module is None:
        return None
    return fast_path.rewrite(source, module, style, generated(), syntax)


def takes_fast_path(source: bytes, style: str = "enum") -> bool:
    return fast_result(source, style) is not None


def differences(source: bytes, style: str = "enum", syntax: TextSyntax | None = None) -> list[str]:
    """How the result of `migrate_source` (or, given a text syntax, of the fast path with it)
    differs from the full path's."""
    full = migrate_with_libcst(source, "m.py", style)
    if syntax is None:
        try:
            fast = migrate_source(source, "m.py", style)
        except Exception as error:  # the safety check refusing a wrong splice, for one
            return [f"migrate_source raised {error!r}"]
        migrated, diagnostics, rewrites = fast.migrated, fast.diagnostics, fast.rewrites
    else:
        rewritten = fast_result(source, style, syntax)
        assert rewritten is not None, "the fault is in what the fast path does, not in whether"
        migrated, diagnostics, rewrites, _ = rewritten
    found = []
    if migrated != full.migrated:
        found.append(f"source:\n{migrated!r}\n!=\n{full.migrated!r}")
    if diagnostics != full.diagnostics:
        found.append(f"findings: {diagnostics} != {full.diagnostics}")
    if rewrites != full.rewrites:
        found.append(f"rewrites: {rewrites} != {full.rewrites}")
    return found


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture_same_on_both_paths(path: Path) -> None:
    assert differences(path.read_bytes(), style_of(path)) == []


def test_the_fast_path_takes_most_fixtures_that_change() -> None:
    changing = [p for p in SOURCES if migrate_source(p.read_bytes(), p.name, style_of(p)).changed]
    fast = [p for p in changing if takes_fast_path(p.read_bytes(), style_of(p))]
    assert len(fast) >= 15 and len(fast) >= len(changing) // 2, (fast, changing)


# Generated modules: every builder under every path it can be imported from.
PATHS = sorted(generated().paths)
ARGUMENTS = [
    "pretrained=True", "pretrained=False", "True", "False", "pretrained=flag", "flag",
    "pretrained=cfg.pretrained", "pretrained_backbone=True", "pretrained_backbone=False",
    "progress=False", "quantize=True", "quantize=q", "num_classes=10", "**kwargs", "*args",
    'pretrained="legacy"', "weights=True", "weights=None", "pretrained=True  # keep\n",
    "weights=(1, 2)", 'weights="IMAGENET1K_V1"', "weights=-1", 'weights_backbone="legacy"',
    "pretrained = ( True )", "pretrained=(flag)", "pretrained=a if b else c", "(x := True)",
    "pretrained=lambda: 1", "pretrained=not flag", 'weights="le" "gacy"', "pretrained=-(1)",
]  # fmt: skip
HEADERS = ["", '"""A module."""\n', '"""A module."""\nfrom __future__ import annotations\n']
EXTRAS = [
    "", "import os\n", "ResNet50_Weights = None\n", "from torchvision.models import resnet18\n",
    "from torchvision.models import (\n    resnet18,\n    vgg16,\n)\n",
    "from torchvision.models import ResNet50_Weights\n", "# a comment\n",
    "from torchvision.models import ResNet50_Weights as Weights\n",
]  # fmt: skip
SHAPES = [
    "model = {call}\n",
    "def build(models=None):\n    return {call}\n",
    "def build():\n    import torchvision\n    return {call}\n",
    "class Net:\n    def __init__(self):\n        self.body = ({call})\n",
    "layers = [{call}, {call}]\n",
    "wrapped = Wrapper({call}, scale=2)\n",
    "@decorator\ndef build():\n    return {call}\n",
]


@st.composite
def generated_module(draw: st.DrawFn) -> str:
    path = draw(st.sampled_from(PATHS))
    module, function = path.rsplit(".", 1)
    how = draw(st.sampled_from(["from", "from as", "module as", "package"]))
    if how == "from":
        imports, callee = f"from {module} import {function}\n", function
    elif how == "from as":
        imports, callee = f"from {module} import {function} as build_model\n", "build_model"
    elif how == "module as":
        imports, callee = f"import {module} as tvm\n", f"tvm.{function}"
    else:
        imports, callee = f"import {module}\n", path
    arguments = draw(st.lists(st.sampled_from(ARGUMENTS), max_size=3, unique=True))
    positional = [a for a in arguments if not re.match(r"\w+ ?=|\*", a)]
    arguments = positional + [a for a in arguments if a not in positional]
    if draw(st.booleans()):
        call = f"{callee}({', '.join(arguments)})"
    else:  # a line each, as black writes a long call
        call = f"{callee}(\n" + "".join(f"    {argument},\n" for argument in arguments) + ")"
    extras = draw(st.lists(st.sampled_from(EXTRAS), max_size=2, unique=True))
    header = draw(st.sampled_from(HEADERS))
    blank = draw(st.sampled_from(["", "\n", "\n\n"]))
    where = draw(st.sampled_from(["module", "function", "guard"]))
    if where == "function":  # a lazy import
        body = textwrap.indent(f"{imports}{blank}model = {call}\nreturn model\n", "    ")
        return header + "".join(extras) + "def build():\n" + body
    if where == "guard":  # an optional one
        imports = f"try:\n{textwrap.indent(imports, '    ')}except ImportError:\n    pass\n"
    shape = draw(st.sampled_from(SHAPES))
    return header + "".join(extras) + imports + blank + shape.format(call=call)


@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(source=generated_module(), style=st.sampled_from(["enum", "string"]))
def test_generated_module_same_on_both_paths(source: str, style: str) -> None:
    try:
        compile(source, "m.py", "exec")
    except SyntaxError:
        return  # e.g. a positional argument after a keyword one: not a module anyone has
    assert differences(source.encode(), style) == [], source
    check_stable(source.encode(), style)


# Generated modules for the rules on removed API: model_urls lookups and torchvision.models.utils.
DICTS = sorted(legacy_model_urls.MODEL_URLS)
FUNCTION = "load_state_dict_from_url"
UTILS_WAYS = {
    "from": (f"from torchvision.models.utils import {FUNCTION}\n", FUNCTION),
    "from as": (f"from torchvision.models.utils import {FUNCTION} as load\n", "load"),
    "module as": ("import torchvision.models.utils as mu\n", f"mu.{FUNCTION}"),
    "plain": ("import torchvision.models.utils\n", f"torchvision.models.utils.{FUNCTION}"),
    "path": ("import torchvision\n", f"torchvision.models.utils.{FUNCTION}"),
    "package": ("from torchvision import models\n", f"models.utils.{FUNCTION}"),
}
ABOVE = [
    "",
    "\n",
    "# checkpoints\n",
    "import os\n",
    "import torch.hub\n",
    "import torch\n",
    'DEVICE = "cpu"\n',
]


@st.composite
def removed_api_module(draw: st.DrawFn) -> str:
    imports, lines = [], []
    for defined in draw(st.lists(st.sampled_from(DICTS), min_size=1, max_size=2, unique=True)):
        module, name = defined.rsplit(".", 1)
        keys = sorted(legacy_model_urls.MODEL_URLS[defined]) + ["no_such_key"]
        how = draw(st.sampled_from(["path", "from", "from as", "from with others", "module as"]))
        if how == "path":
            imports.append("import torchvision\n")
            local = defined
        elif how == "module as":
            imports.append(f"import {module} as dicts_home\n")
            local = f"dicts_home.{name}"
        else:
            local = name if how == "from" else f"{name}_{len(imports)}"
            alias = name if how == "from" else f"{name} as {local}"
            others = draw(st.sampled_from(["", "os_path", "ResNet18_Weights"]))
            names = [alias, others] if others else [alias]
            if draw(st.booleans()):
                names.reverse()
            layout = draw(st.sampled_from(["one line", "black", "commented"]))
            if layout == "one line":
                listed = ", ".join(names)
            else:  # parenthesised, a name a line, as black writes a long import
                comment = "  # legacy" if layout == "commented" else ""
                listed = "(\n" + "".join(f"    {name},{comment}\n" for name in names) + ")"
            imports.append(draw(st.sampled_from(ABOVE)) + f"from {module} import {listed}\n")
        for key in draw(st.lists(st.sampled_from(keys), max_size=2)):
            quote = draw(st.sampled_from(['"', "'"]))
            lines.append(f"url_{len(lines)} = {local}[{quote}{key}{quote}]\n")
        if draw(st.integers(0, 3)) == 3:  # a use other than a lookup: the full path's
            lines.append(f"everything = {local}\n")
    ways = st.sampled_from(["from", "from as", "module as", "path"] * 2 + ["plain", "package"])
    for way in draw(st.lists(ways, max_size=2, unique=True)):
        statement, function = UTILS_WAYS[way]
        imports.append(draw(st.sampled_from(ABOVE)) + statement)
        lines.append(f"state_{len(lines)} = {function}(url)\n")
    if draw(st.booleans()):
        imports.append("from torchvision.models import resnet18\n")
        lines.append("model = resnet18(pretrained=True)\n")
    header = draw(st.sampled_from(HEADERS))
    imports = draw(st.permutations(imports))
    return header + "".join(imports) + draw(st.sampled_from(["", "\n"])) + "".join(lines)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(source=removed_api_module(), style=st.sampled_from(["enum", "string"]))
def test_generated_removed_api_module_same_on_both_paths(source: str, style: str) -> None:
    assert differences(source.encode(), style) == [], source
    check_stable(source.encode(), style)


def test_the_fast_path_takes_most_modules_using_removed_api() -> None:
    """Those of the benchmark corpus's shapes: not only the full path's."""
    plain = "import os\nimport torchvision.models.utils\n"
    path = "x = torchvision.models.utils.load_state_dict_from_url(u)\n"
    sources = [
        "import torchvision\nurl = torchvision.models.resnet.model_urls['resnet50']\n",
        "import os\nfrom torchvision.models.vgg import model_urls as urls\nu = urls['vgg16']\n",
        "import os\nimport torchvision\n" + path,
        "from torchvision.models.utils import load_state_dict_from_url as load\nx = load(u)\n",
        "import torchvision.models.utils as mu\nx = mu.load_state_dict_from_url(u)\n",
        "import os\nfrom torchvision.models.vgg import (\n    model_urls as urls,  # old\n"
        "    vgg16,\n)\nu = urls['vgg16']\n",
        plain + path,  # the import goes
        plain + path + "y = torchvision.ops.nms\n",  # it stays, for another use
        plain + "import torchvision\ny = torchvision.ops.nms\n",  # another import binds it
        '"""Doc."""\n\n' + plain.replace("import os\n", "") + "import os\n" + path,  # first
        "import torchvision\nDEVICE = 1\nimport torch.hub\n" + path,  # not an opening import
    ]
    for source in sources:
        assert takes_fast_path(source.encode()), source
        assert differences(source.encode()) == [], source


PLAIN_CALLS = [
    "import torchvision\nm = torchvision.models.resnet50(pretrained = ( True ), progress=False)\n",
    "from torchvision import models\nm = models.resnet50(\n    True,\n    num_classes=10,\n)\n",
    "from torchvision import models as tvm\nm = tvm.resnet50(flag if a else b)\n",
    "from torchvision.models import resnet50\nm = resnet50((lambda: 1), pretrained=x)\n",
    "from torchvision.models import resnet50\nm = resnet50(*args, pretrained=True, **kw)\n",
    "from torchvision.models import get_model\nm = get_model('resnet50', pretrained=(1))\n",
    "from torchvision.models import get_model\nm = get_model(name, pretrained=False)\n",
    "from torchvision.models.quantization import resnet50\nm = resnet50(True, quantize=q)\n",
    "import torchvision.models as m\nx = m.detection.fasterrcnn_resnet50_fpn(True, False)\n",
    "import torchvision.models as m\nx = m.resnet50(pretrained=ResNet50_Weights)\n",
    "from torchvision.models import resnet50\nm = resnet50(  # build\n    (  # the flag (old)\n"
    "        True\n    ),  # done\n    progress=False,\n)\n",
    "import torchvision\ndef f():\n    return torchvision.models.resnet50(\n"
    "        pretrained=  # (\n            flag,\n    )\n",
    "from functools import partial\nfrom torchvision.models import resnet50\n"
    "make = partial(resnet50, pretrained=True)\n",
    "import functools\nimport torchvision\n"
    "make = functools.partial( torchvision.models.vgg16 , True , )\n",
    "from functools import partial\nfrom torchvision.models import get_model\n"
    "make = partial(get_model, 'resnet50', pretrained = (flag) , )\n",
    "from functools import partial\nfrom torchvision import models\n\n\ndef f():\n"
    "    return partial(\n        models.resnet50,\n        pretrained=True,  # old\n    )\n",
    "import torch\nm = torch.hub.load('pytorch/vision', 'resnet50', pretrained=True)\n",
    "import torch\nm = torch.hub.load('pytorch/vision:v0.10.0', 'resnet50', True)\n",
    "import torch\nm = torch.hub.load(\n    'pytorch/vision', 'vgg16', True, force_reload=True,\n"
    "    progress=False  # quiet\n)\n",
    "from torch.hub import load\nm = load(\n    repo_or_dir=('pytorch/vision'),\n    model=name,\n"
    "    pretrained=False,\n)\n",
    # A constant over lines with no parentheses of its own: its text alone is no expression.
    'from torchvision.models import resnet18\nm = resnet18(pretrained="a"\n    "b")\n',
    "from torchvision.models import resnet18\nm = resnet18(pretrained=-\n    1)\n",
    "from torchvision import models\n\n\nclass Net:\n    def __init__(self):\n"
    "        self.body = models.resnet50(\n            True,\n  num_classes=10,\n\n        )\n",
]


@pytest.mark.parametrize("source", PLAIN_CALLS)
def test_plain_calls_are_planned_on_their_text(source: str) -> None:
    """As LibCST plans them, without LibCST: in a fresh interpreter, migrating the module on the
    fast path leaves LibCST unimported."""
    expected = migrate_with_libcst(source.encode())
    assert expected.changed or expected.diagnostics
    assert differences(source.encode()) == [], source
    check = (
        "import sys\n"
        "from migrate_weights.pipeline.migrate import migrate_source\n"
        "result = migrate_source(sys.stdin.buffer.read())\n"
        "assert result.changed or result.diagnostics\n"
        "assert 'libcst' not in sys.modules, 'LibCST imported'\n"
    )
    ran = subprocess.run([sys.executable, "-c", check], input=source.encode(), capture_output=True)
    assert ran.returncode == 0, ran.stderr.decode()


class FaultyText(TextSyntax):
    """The text syntax with one fault, passed to the fast path in its place."""

    def __init__(self, method: str, replacement: Callable[..., Any]) -> None:
        setattr(self, method, partial(replacement, self))


TEXT_FAULTS = {  # fault in the text syntax: (what is replaced, by what, a call it matters in)
    "parentheses around a literal dropped": (
        "keep_parentheses",
        lambda self, replacement, of: replacement,
        "m = resnet50(pretrained=( True ))\n",
    ),
    "a conditional in a conditional unparenthesised": (
        "conditional",
        lambda self, test, body, orelse: Piece(f"{body.text} if {test.text} else {orelse.text}"),
        "m = resnet50(pretrained=a if b else c)\n",
    ),
    "a positional flag made a keyword with spaces": (
        "as_keyword",
        lambda self, arg, keyword, value: replace(arg, text=f"{keyword} = {value.text}"),
        "m = resnet50(True)\n",
    ),
    "a call over several lines shown with its block's indentation": (
        "unindented",
        lambda self, text, indentation: text,
        PLAIN_CALLS[-1].split("\n", 1)[1],
    ),
}


@pytest.mark.parametrize("fault", sorted(TEXT_FAULTS))
def test_the_comparison_catches_a_faulty_text_syntax(fault: str) -> None:
    method, replacement, call = TEXT_FAULTS[fault]
    source = ("from torchvision.models import resnet50\n" + call).encode()
    if "models.resnet50" in call:
        source = ("from torchvision import models\n" + call).encode()
    assert differences(source) == []
    assert differences(source, syntax=FaultyText(method, replacement))


def call_without_last_comma(
    self: TextSyntax, func: str, text: str, arguments: Sequence[TextArg], chosen: Sequence[TextArg]
) -> str:
    return TextSyntax.call_of(self, func, text, arguments, chosen).replace(", )", ")")


HUB_FAULTS = {  # fault: (what is replaced, by what, a hub call where it matters)
    "the comma after the builder's last argument lost": (
        "call_of",
        call_without_last_comma,
        "m = torch.hub.load('pytorch/vision', 'vgg16', True, force_reload=True)\n",
    ),
    "a concatenated repository taken for one string": (
        "string_token",
        lambda self, value: value.text,
        "m = torch.hub.load('pytorch/vision' '', 'vgg16', pretrained=True)\n",
    ),
}


@pytest.mark.parametrize("fault", sorted(HUB_FAULTS))
def test_the_comparison_catches_a_faulty_hub_call_on_text(fault: str) -> None:
    method, replacement, call = HUB_FAULTS[fault]
    source = ("import torch\n" + call).encode()
    assert differences(source) == []
    assert differences(source, syntax=FaultyText(method, replacement))


IMPORT_FAULTS = {  # fault in an import edited on its text: (what it does, a module it matters in)
    "a name appended without its comma": (
        lambda self, statement, written, dropped, added: (
            written + "".join(f" {n}" for n in added)
            if not dropped
            else TextSyntax.import_edited(self, statement, written, dropped, added)
        ),
        b"from torchvision.models import resnet50\nm = resnet50(pretrained=True)\n",
    ),
    "a dropped name kept": (
        lambda self, statement, written, dropped, added: TextSyntax.import_edited(
            self, statement, written, set(), added
        ),
        b"import torchvision\nfrom torchvision.models.vgg import model_urls, vgg16\n\n"
        b"u = model_urls['vgg16']\nm = vgg16()\n",
    ),
}


@pytest.mark.parametrize("fault", sorted(IMPORT_FAULTS))
def test_the_comparison_catches_a_faulty_import_edit(fault: str) -> None:
    replacement, source = IMPORT_FAULTS[fault]
    assert differences(source) == []
    assert differences(source, syntax=FaultyText("import_edited", replacement))


def test_real_code_corpus_same_on_both_paths(tmp_path: Path) -> None:
    """Legacy calls among functions and classes of installed packages, lazily imported, guarded,
    in classes and comprehensions, from the benchmark's generator: nearly all on the fast path."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from real_code_corpus import paths_taken, write_real_code_corpus
    finally:
        sys.path.pop(0)
    write_real_code_corpus(tmp_path, files=60, seed=1)
    taken = paths_taken(tmp_path)
    assert taken["fast"] >= 0.97 * (taken["fast"] + taken["full"]) and taken["fast"] >= 50
    for path in sorted(tmp_path.rglob("*.py")):
        assert differences(path.read_bytes()) == [], path
        check_stable(path.read_bytes())


def test_benchmark_corpus_same_on_both_paths(tmp_path: Path) -> None:
    """Modules of ordinary code with legacy calls in every form, from the benchmark's generator."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from legacy_corpus import write_legacy_corpus
    finally:
        sys.path.pop(0)
    write_legacy_corpus(tmp_path, files=60, seed=1)
    paths = sorted(tmp_path.rglob("*.py"))
    assert sum(takes_fast_path(path.read_bytes()) for path in paths) >= len(paths) // 2
    for path in paths:
        assert differences(path.read_bytes()) == [], path


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    parts=st.lists(st.sampled_from(["models", "tv", "ResNet50_Weights", "x1"]), min_size=1),
    gaps=st.lists(st.sampled_from(["", " ", "\\\n"]), min_size=8, max_size=8),
    parenthesised=st.booleans(),
)
def test_names_printed_without_libcst_as_libcst_prints_them(
    parts: list[str], gaps: list[str], parenthesised: bool
) -> None:
    """`cst_nodes.source` prints plain dotted names itself: exactly as LibCST would."""
    import libcst as cst

    from migrate_weights.syntax.cst_nodes import source

    text = parts[0]
    for index, part in enumerate(parts[1:]):
        text += f"{gaps[index % 4]}.{gaps[index % 4 + 4]}{part}"
    node = cst.parse_expression(f"({text})" if parenthesised else text)
    assert source(node) == cst.Module(body=[]).code_for_node(node)


IMPORT_LAYOUTS = {  # layout -> (how the names are listed, whether it is edited on its text)
    "one line": (lambda names: ", ".join(names), True),
    "black": (lambda names: "(\n" + "".join(f"    {n},\n" for n in names) + ")", True),
    "two spaces": (lambda names: "(\n" + "".join(f"  {n},\n" for n in names) + ")", True),
    "spaced commas": (lambda names: " ,  ".join(names), False),
    "in parentheses": (lambda names: "(" + ", ".join(names) + ")", False),
    "no trailing comma": (lambda names: "(\n    " + ",\n    ".join(names) + "\n)", False),
    "commented": (lambda names: "(\n" + "".join(f"    {n},  # c\n" for n in names) + ")", False),
    "blank line": (lambda names: "(\n" + "".join(f"    {n},\n\n" for n in names) + ")", False),
}


@st.composite
def import_edit(draw: st.DrawFn) -> tuple[str, str, set[str], list[str]]:
    """(layout, a `from` import in it, the names to take out, the names to append)."""
    aliases = ["a", "b", "c as d", "e as e", "f"]
    listed = draw(st.lists(st.sampled_from(aliases), min_size=1, max_size=4, unique=True))
    bound = [alias.rpartition(" ")[2] for alias in listed]
    dropped = set(draw(st.lists(st.sampled_from(bound), unique=True)))
    added = draw(st.lists(st.sampled_from(["X_Weights", "Y_Weights"]), unique=True))
    if set(bound) <= dropped and not added:
        dropped.discard(bound[0])  # some name stays
    layout = draw(st.sampled_from(sorted(IMPORT_LAYOUTS)))
    written = f"from torchvision.models import {IMPORT_LAYOUTS[layout][0](listed)}"
    return layout, written, dropped, added


def import_edit_differences(
    written: str, dropped: set[str], added: list[str], edit: Callable[..., str | None]
) -> list[str]:
    """How `edit` (TEXT.import_edited) differs from LibCST's edit: what the full path does."""
    import libcst as cst

    from migrate_weights.full_path.imports import append_names, remove_names
    from migrate_weights.syntax.cst_nodes import source

    node = cst.parse_statement(written + "\n").body[0]
    if added:
        node = append_names(node, added)
    if dropped:
        node = remove_names(node, dropped)
    new = edit(ast.parse(written).body[0], written, dropped, added)
    return [] if new in (None, source(node)) else [f"{new!r} != {source(node)!r}"]


@settings(max_examples=400, deadline=None, derandomize=True)
@given(case=import_edit())
def test_imports_edited_on_their_text_as_libcst_edits_them(
    case: tuple[str, str, set[str], list[str]],
) -> None:
    layout, written, dropped, added = case
    assert import_edit_differences(written, dropped, added, TEXT.import_edited) == []
    edited_on_text = TEXT.import_edited(ast.parse(written).body[0], written, dropped, added)
    if IMPORT_LAYOUTS[layout][1] or layout == "spaced commas" and not dropped:
        assert edited_on_text is not None


def test_the_import_comparison_catches_a_kept_comma() -> None:
    """When the last name goes, LibCST leaves the new last one without its comma."""
    written = "from torchvision.models import (\n    a,\n    b,\n)"

    def comma_kept(*args: Any) -> str | None:
        new = TEXT.import_edited(*args)
        return None if new is None else new.replace("a)", "a,\n)")

    assert import_edit_differences(written, {"b"}, [], TEXT.import_edited) == []
    assert import_edit_differences(written, {"b"}, [], comma_kept)
