"""The screen (pipeline/screen.py): the textual check and the walk of Python's syntax tree let
through every module the rules change or report on, and as little else as they can."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cases import CASES, SAMPLE, style_of
from migrate_weights.pipeline import screen
from migrate_weights.pipeline.migrate import migrate_source, migrate_with_libcst
from migrate_weights.tables.table import generated


def test_prefilter_never_skips_a_fixture_with_findings() -> None:
    """The textual pre-filter is conservative: every fixture the tool changes or reports on
    (when run without the filter) passes it."""
    needing = []
    for case in [*CASES, *SAMPLE.glob("**/*.py")]:
        source = case.read_bytes()
        result = migrate_source(source, case.name, style_of(case), screen=False)
        if result.changed or result.diagnostics:
            needing.append(case)
            assert screen.might_need_migration(source), case.name
    assert len(needing) >= len(CASES)


IMPORT_SPELLINGS = [
    b"import torchvision\n",
    b"import os, torchvision\n",
    b"import numpy as np,  torchvision.models as tvm\n",
    b"from torchvision.models import resnet50\n",
    b"import os, \\\n    torchvision\n",
]
TRACES = [
    b"m = resnet50(pretrained=True)\n",
    b"m = models.resnet50 (\n    True)\n",
    b"m = tvm.vgg16(weights = (1))\n",
    b"m = tvm.vgg16(weights=-1)\n",
    b"m = build(weights_backbone=  # a comment\n  True)\n",
    b"m = f(pretrained_backbone = flag)\n",
    b"m = get_model(name)\n",
    b"url = urls.model_urls['resnet50']\n",
    b"load = torchvision.models.utils.load_state_dict_from_url\n",
    b"make = partial(resnet18, True)\n",
    b"make = functools.partial(\n    models.resnet18)\n",
    b"m = resnet50(flag, progress=False)\n",
    b"m = resnet50(num_classes=10, **config)\n",
    b"m = resnet50(weights=w, *rest)\n",
    b'm = resnet50(name=")", *rest)\n',  # a string: the arguments cannot be told apart
]
NO_TRACE = (
    b"def resnet50(*, weights=None):\n    return _resnet(weights=weights, block=None)\n"
    b"backbone = resnet50(weights=weights_backbone, norm_layer=(None))\nother = resnet18()\n"
)


@pytest.mark.parametrize("trace", TRACES)
@pytest.mark.parametrize("spelling", IMPORT_SPELLINGS)
def test_textual_check_passes_every_import_with_any_trace(spelling: bytes, trace: bytes) -> None:
    """Wherever the rules act on a trace, the textual check lets it through (a builder's bare
    name is one only where a `from torchvision.models` import binds it)."""
    source = spelling + trace
    result = migrate_source(source, screen=False)
    assert screen.might_use_torchvision(source) or not (result.changed or result.diagnostics)
    if spelling.startswith(b"from torchvision.models"):
        assert screen.might_use_torchvision(source)


@pytest.mark.parametrize(
    "source",
    [
        b"# see torchvision\n" + TRACES[0],
        b'doc = "torchvision"\n' + TRACES[0],
        b"import torchvision\n" + NO_TRACE,
        b'import torch\nlink = "https://github.com/pytorch/vision/"\n',
        # torchvision's own sources: names imported from torchvision.models that are no builders,
        # tuples and strings passed as `weights=`
        b"from torchvision.models._api import register_model, Weights\nregister_model(name)\n",
        b'import torchvision\n@handle(weights=("pretrained", W.IMAGENET1K_V1))\ndef f(): ...\n',
        b"import torchvision\ncoder = BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))\n",
        b"import torchvision\nm = make(weights='IMAGENET1K_V1', progress=False)\n",
        b'import torchvision\nm = make(weights=",)")\n',
        b'import torch\nUSER_AGENT = "pytorch/vision"\n',  # the repository, never loaded
        b"import torchvision\npairs = [(torchvision.models.resnet50(), 1)]\n",
        b"import torchvision\n# For mobilenet_v2, it's 1280\n",  # a builder named in a comment
        b'import torchvision\ndoc = """Build it.\n    # as vgg16, it has\n"""\n',  # ... a string
    ],
)
def test_textual_check_skips_mentions_and_modern_code(source: bytes) -> None:
    assert not screen.might_use_torchvision(source)


@pytest.mark.parametrize(
    "source",
    [
        b"import torchvision.models as tvm\nheld = getattr(tvm.quantization, n)\nm = held(1)\n",
        b"from torchvision import models\nheld = models.__dict__[name]  # any\nm = held(True)\n",
        b"from torchvision.models import *\nheld = getattr(quantization, name)\nm = held(True)\n",
        b"from torchvision import (\n    models,\n)\nheld = getattr(models, n)\nm = held(1)\n",
        b"import torchvision.models as tv\nRESNETS = {18: tv.resnet18}\nm = RESNETS[n](1)\n",
        b"import torchvision.models as tv\nfor fn in (getattr(tv, 'vgg11'),):\n    fn(True)\n",
        b"from importlib import import_module as im\nm = getattr(im('torchvision.models'), n)()\n",
        # after a string that a `#` in it does not end: code again
        b'import torchvision.models as tv\nx = """\n# a """, tv.vgg11\nm = x[1](True)\n',
    ],
)
def test_textual_check_passes_builders_held_by_names(source: bytes) -> None:
    assert screen.might_use_torchvision(source)


def test_textual_check_skips_lookups_in_other_objects() -> None:
    source = b"import torchvision\nfrom torchvision import ops\nop = getattr(self, name)\nop(1)\n"
    assert not screen.might_use_torchvision(source)


@pytest.mark.parametrize(
    "source",
    [
        b"from torchvision.models import resnet50 as build\nm = build(True)\n",
        b"from torchvision.models.detection import (\n    ssd300_vgg16 as detector,\n)\n"
        b"m = detector(\n    *rest)\n",
        b"from torchvision.models import \\\n    vgg16 as v\nm = partial(v, True)\n",
        b"from torchvision.models import (\n    resnet50 as build,  # unsure\n)\nm = build(True)\n",
        b"from torchvision.models import utils\n",
        b"from torchvision.models import resnet50 as build; m = build(True)\n",
        b"import torchvision\nm = models.resnet50(weights='le' 'gacy')\n",
        b"import torchvision\nm = models.resnet50(weights=(\n    True\n))\n",
        b"import torchvision\nm = models.resnet50(weights=-\n    1)\n",
        b"import torchvision\nm = models.resnet50(weights=1  # a comment\n)\n",
    ],
)
def test_textual_check_passes_builders_under_other_names_and_flags_in_any_layout(
    source: bytes,
) -> None:
    assert screen.might_use_torchvision(source)


@pytest.mark.parametrize(
    "source",
    [
        b'from torch.hub import load as fetch\nm = fetch("pytorch/vision", "resnet50", True)\n',
        b"from functools import partial as bind\nfrom torchvision.models import resnet50\n"
        b"m = bind(resnet50, True)\n",
        b"from functools import partial as bind\nimport torchvision\n"
        b"m = bind(torchvision.models.resnet50, weights=True)\n",
    ],
)
def test_functions_imported_under_other_names_pass(source: bytes) -> None:
    """torch.hub.load and functools.partial under an alias: found as on the full path."""
    full = migrate_with_libcst(source)
    assert full.changed or full.diagnostics
    assert screen.might_need_migration(source)
    result = migrate_source(source)
    assert (result.migrated, result.diagnostics) == (full.migrated, full.diagnostics)


@pytest.mark.parametrize(
    ("source", "passes"),
    [
        (b"import torchvision\nx = torchvision.models.detection.roi_heads.Tensor\n", True),
        (b"from torchvision.models.detection import roi_heads as heads\nheads.Tensor\n", True),
        (b"import torch, torchvision  # model_urls\nx: typing.Optional[torch.Tensor]\n", False),
        (b"import torchvision  # model_urls\nx = make().Tensor\n", False),
    ],
)
def test_the_walk_passes_removed_names_read_through_imports_of_torchvision(
    source: bytes, passes: bool
) -> None:
    """A name torchvision removed from a module (`Tensor`, `Optional`), read from a name an
    import of torchvision binds, is reported and passes the screen; read from anything else
    (`torch.Tensor`), it is none of the rules' business, and the walk turns the module away."""
    assert bool(migrate_with_libcst(source).diagnostics) is passes
    assert screen.might_need_migration(source) is passes


def test_textual_check_passes_the_hub_repository_without_an_import() -> None:
    source = b'm = torch.hub.load("pytorch/vision", "resnet50", True)\n'
    assert screen.might_use_torchvision(source)


@pytest.mark.parametrize("flag", [b"-1", b"(+1)", b"1.0", b'"legacy"'])
def test_a_constant_flag_as_weights_is_migrated_as_on_the_full_path(flag: bytes) -> None:
    """The pre-filter lets through every constant the rules read as a legacy flag."""
    source = b"import torchvision\nm = torchvision.models.resnet50(weights=" + flag + b")\n"
    expected = migrate_with_libcst(source)
    assert expected.changed
    assert migrate_source(source).migrated == expected.migrated


def test_every_builder_is_read_through_torchvision_models() -> None:
    """The textual check looks for a builder's name only in code that says `models`."""
    table = generated()
    paths = [*table.paths, *table.removed_paths, *table.get_model_paths]
    assert paths and all(path.startswith("torchvision.models.") for path in paths)


# Keyword values in many layouts: constants that are flags and that are not, strings that hold
# delimiters, parentheses, signs, line breaks and comments.
VALUES = [
    "True", "False", "None", "1", "0", "1.5", "...", '"legacy"', "'legacy'", '"IMAGENET1K_V1"',
    '"le" "gacy"', "'a,b)'", "W.IMAGENET1K_V1", "flag", "(1, 2)", "f'legacy'", "b'x'", "1 + 2j",
    "not True", '("pretrained", W.V1)', "[True]",
]  # fmt: skip
WRAPPINGS = ["({})", "(\n    {}\n)", "-{}", "+{}", "{}  # note\n", "-\n    {}", "{} if x else 1"]


@st.composite
def call_with_a_keyword_value(draw: st.DrawFn) -> str:
    value = draw(st.sampled_from(VALUES))
    for wrapping in draw(st.lists(st.sampled_from(WRAPPINGS), max_size=2)):
        value = wrapping.format(value)
    builder, keyword = draw(
        st.sampled_from(
            [("resnet50", "weights"), ("detection.fasterrcnn_resnet50_fpn", "weights_backbone")]
        )
    )
    after = draw(st.sampled_from(["", ", progress=False", ",\n", "\n"]))
    return f"import torchvision\nm = torchvision.models.{builder}({keyword}={value}{after})\n"


@settings(max_examples=300, deadline=None, derandomize=True)
@given(source=call_with_a_keyword_value())
def test_every_flag_the_rules_rewrite_passes_both_checks(source: str) -> None:
    try:
        compile(source, "m.py", "exec")
    except SyntaxError:
        return
    full = migrate_with_libcst(source.encode())
    if full.changed or full.diagnostics:
        assert screen.might_use_torchvision(source.encode()), source
        assert screen.might_need_migration(source.encode()), source


@given(
    words=st.sets(st.text("ab_.1", max_size=4), min_size=1),
    candidate=st.text("ab_.1", max_size=5),
)
def test_alternatives_match_exactly_their_words(words: set[str], candidate: str) -> None:
    pattern = re.compile(screen._alternatives(sorted(word.encode() for word in words)))
    assert bool(pattern.fullmatch(candidate.encode())) == (candidate in words)


# Imports of torchvision's modules spelled every way Python reads them, and uses of what they
# bind that the rules act on (or that only look like it).
DOTS = [".", " .", ". ", " . ", "\\\n    ."]
MODULES = [
    ("torchvision", "models"),
    ("torchvision.models", "detection"),
    ("torchvision.models", "resnet"),
    ("torchvision.models", "utils"),
    ("torchvision.models.detection", "roi_heads"),
    ("torchvision", "transforms"),
    ("torchvision.transforms", "functional_tensor"),
]
FROM_IMPORTS = [
    "from {parent} import {leaf} as m",
    "from {parent} import (\n    {leaf} as m,\n)",
    "from {parent} import os, {leaf} as m",
]
IMPORTS = [
    *FROM_IMPORTS,
    "import {path} as m",
    "import os, {path} as m",
    "import {path}\nm = {path}",
]
USES = [
    "x = m.resnet50(True)",
    "x = m(True)",
    "x = m.fasterrcnn_resnet50_fpn(pretrained_backbone=True)",
    "held = getattr(m, name)\nx = held(True)",
    "x = m.__dict__[name](True)",
    "builders = [m.resnet50]\nx = builders[0](True)",
    "x = m.Tensor",
    "x = m.load_state_dict_from_url(url)",
    "x = m.rgb_to_grayscale(image)",
    "x = m.model_urls['resnet50']",
    "x = partial(m, True)",
    "x = m.utils.load_state_dict_from_url(url)",
    "x = m.models.utils.load_state_dict_from_url(url)",
    "x = m.functional_tensor.rgb_to_grayscale(image)",
    "x = m.detection.roi_heads.Tensor",
    "x = m.resnet.load_state_dict_from_url",
]


@st.composite
def imports_and_uses(draw: st.DrawFn) -> str:
    parent, leaf = draw(st.sampled_from([*MODULES, ("torchvision.models", "resnet50")]))
    dots = iter(draw(st.lists(st.sampled_from(DOTS), min_size=4, max_size=4)))
    spaced = "".join(next(dots, ".") if c == "." else c for c in parent)
    path = spaced + next(dots) + leaf
    forms = IMPORTS if (parent, leaf) in MODULES else FROM_IMPORTS  # a builder is no module
    statement = draw(st.sampled_from(forms)).format(path=path, parent=spaced, leaf=leaf)
    uses = draw(st.lists(st.sampled_from(USES), min_size=1, max_size=2))
    return "from functools import partial\n" + statement + "\n" + "\n".join(uses) + "\n"


@settings(max_examples=400, deadline=None, derandomize=True)
@given(source=imports_and_uses())
def test_the_screen_passes_every_import_spelling_the_rules_read(source: str) -> None:
    """However an import spells its module (white space and continued lines around the dots,
    among other imports, in parentheses), a module the rules change or report on passes both
    checks."""
    try:
        compile(source, "m.py", "exec")
    except SyntaxError:
        return
    result = migrate_source(source.encode(), screen=False)
    if result.changed or result.diagnostics:
        assert screen.might_need_migration(source.encode()), source


BANNER = "# " + "#" * 64  # a comment line as many modules frame their sections


@pytest.mark.parametrize(
    "source",
    [
        # pytorch/ignite, examples/references/segmentation/pascal_voc2012/configs (2021): the
        # builder's imported name, then banners before any `(`: the search for a call of it
        f"from torchvision.models.segmentation import deeplabv3_resnet101\n\n{BANNER}\n"
        f"{BANNER}\nmodel = deeplabv3_resnet101(num_classes=21)\n",
        f"import torchvision.models as models\nm = models.resnet50(weights=  {BANNER}\n  True)\n",
        f"import torchvision.models as models\nm = models.resnet50(pretrained  {BANNER}\n)\n",
        f"import torchvision.models as models\nm = models.resnet50(  {BANNER}\n"
        f"    pretrained=(  {BANNER}\n    True  {BANNER}\n    ),  {BANNER}\n)\n",
        f"from functools import partial\nimport torchvision.models as models\n"
        f"p = partial(  {BANNER}\n    models.resnet18  {BANNER}\n)\n",
        f"import torchvision.models as models\nf = getattr(models, name)  {BANNER}\n"
        f"g = models.__dict__[name]  {BANNER}\nm = f  {BANNER}\n(True)\n",
        f"from torchvision.models import (  {BANNER}\n    resnet50,  {BANNER}\n)\n",
        # runs that two parts of a pattern could share: tried in every split, the square of
        # their length (an hour at this length)
        "import torchvision\nx =" + " " * 200_000 + "y; f = getattr(models, name)\n",
        "import torchvision\nx = getattr(" + " " * 200_000 + "a" * 200_000 + ", b).c\n",
    ],
    ids=["after-imported-name", "after-weights", "after-pretrained", "in-arguments", "partial",
         "lookups", "import", "spaces-before-a-lookup", "getattr-read-from"],
)  # fmt: skip
def test_comments_of_many_hashes_are_read_in_time(source: str) -> None:
    """A pattern that could stop inside a comment would try every way of splitting a run of `#`
    into comments where its search fails: 2**64 ways here, which never ends (a run that hung on
    real code); so would one whose parts may share a long run. In a process of its own, so that
    a hang fails the test; the screen changes nothing the rules find."""
    check = (
        "import sys\n"
        "from migrate_weights.pipeline.migrate import migrate_source\n"
        "source = sys.stdin.buffer.read()\n"
        "screened, whole = migrate_source(source), migrate_source(source, screen=False)\n"
        "assert (screened.migrated, screened.diagnostics) == (whole.migrated, whole.diagnostics)\n"
    )
    subprocess.run([sys.executable, "-c", check], input=source.encode(), check=True, timeout=120)
