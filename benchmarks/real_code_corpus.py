"""The "real code" benchmark corpus: legacy calls among whole top-level statements (functions and
classes, with their decorators) taken from installed packages' sources (click, libcst, pytest,
hypothesis), in the shapes that real training code gives them: builders imported at module
level, inside functions (lazy), under an import guard, in class bodies and methods, called in
comprehensions and in decorated functions, next to names bound twice.

    write_real_code_corpus(directory, files=600, seed=0) -> int   # the files written
    paths_taken(directory) -> Counter   # files with legacy calls: "fast" / "full"

The same seed and installed packages give the same bytes. A test imports it with `benchmarks/`
on `sys.path`."""

from __future__ import annotations

import ast
import importlib.util
import random
from collections import Counter
from pathlib import Path

from migrate_weights import fast_path
from migrate_weights.pipeline.parse import parse, start_line
from migrate_weights.tables.table import generated

SOURCE_PACKAGES = ("click", "libcst", "_pytest", "hypothesis")
BUILDERS = ("resnet18", "resnet50", "vgg16", "mobilenet_v2", "densenet121", "efficientnet_b0")
BUILDERS += ("alexnet", "squeezenet1_0", "shufflenet_v2_x1_0", "mnasnet1_0")
NOUNS = ("backbone", "encoder", "teacher", "student", "classifier", "extractor", "baseline")

# Shapes of legacy use: (imports at the top of the module, the block). {fn}: a builder.
SHAPES = {
    "module_import": (
        "from torchvision.models import {fn}",
        "def build_{noun}(pretrained=True):\n    return {fn}(pretrained=pretrained)\n",
    ),
    "lazy_import": (
        None,
        "def load_{noun}():\n    from torchvision.models import {fn}\n\n"
        "    model = {fn}(pretrained=True)\n    model.eval()\n    return model\n",
    ),
    "lazy_module": (
        None,
        "def {noun}_features(pretrained: bool = False):\n"
        "    import torchvision.models as tvm\n\n"
        "    return tvm.{fn}(pretrained=pretrained)\n",
    ),
    "guarded": (
        "try:\n    from torchvision.models import {fn}\nexcept ImportError:  # optional\n"
        "    {fn} = None",
        "def {noun}_or_none():\n    if {fn} is None:\n        return None\n"
        "    return {fn}(pretrained=True)\n",
    ),
    "method": (
        None,
        "class {Noun}Factory:\n    default_depth = 50\n\n"
        "    def __init__(self, pretrained=True):\n        from torchvision import models\n\n"
        "        self.net = models.{fn}(pretrained=pretrained)\n\n"
        "    def __call__(self, batch):\n        return self.net(batch)\n",
    ),
    "decorated": (
        "import functools",
        "@functools.lru_cache(maxsize=None)\ndef cached_{noun}():\n    import torchvision\n\n"
        "    return torchvision.models.{fn}(pretrained=True)\n",
    ),
    "comprehension": (
        "from torchvision import models",
        "def {noun}_ensemble(flags=(True, False)):\n"
        "    return [models.{fn}(pretrained=flag) for flag in flags]\n",
    ),
    "bound_twice": (
        "import torchvision",
        "{noun} = None\n\n\ndef reset_{noun}(pretrained=False):\n    global {noun}\n"
        "    {noun} = torchvision.models.{fn}(pretrained=pretrained)\n    return {noun}\n",
    ),
}


def real_statements() -> list[str]:
    """Whole top-level functions and classes of the source packages, decorators included, of
    at most 60 lines, in a fixed order."""
    found = []
    for package in SOURCE_PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        for path in sorted(Path(next(iter(spec.submodule_search_locations))).rglob("*.py")):
            source = path.read_text("utf-8", errors="replace")
            try:
                tree = ast.parse(source)
            except SyntaxError:
                continue
            lines = source.splitlines(keepends=True)
            for node in tree.body:
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    continue
                first, last = start_line(node), node.end_lineno or node.lineno
                if last - first < 60 and "pretrained" not in source:
                    found.append("".join(lines[first - 1 : last]))
    return found


def write_real_code_corpus(directory: Path, files: int = 600, seed: int = 0) -> int:
    rng = random.Random(seed)
    statements = real_statements()
    directory.mkdir(parents=True, exist_ok=True)
    for index in range(files):
        chosen = rng.sample(sorted(SHAPES), rng.randint(1, 3))
        imports = ["import os", "import typing as t"]
        blocks = rng.sample(statements, min(len(statements), rng.randint(2, 6)))
        for shape in chosen:
            noun = f"{rng.choice(NOUNS)}_{index}"
            names = {"fn": rng.choice(BUILDERS), "noun": noun, "Noun": noun.title()}
            top, block = SHAPES[shape]
            if top:
                imports.append(top.format(**names))
            blocks.insert(rng.randrange(len(blocks) + 1), block.format(**names))
        module = f'"""Module {index} of the real-code corpus."""\n\n' + "\n".join(imports)
        module += "\n\n\n" + "\n\n".join(block.rstrip() + "\n" for block in blocks)
        (directory / f"module_{index:04}.py").write_text(module)
    return files


def paths_taken(directory: Path) -> Counter:
    """For the files with a legacy call, which path migrates them: the fast path, or the full
    path (LibCST's parse and scope analysis), as the pipeline decides."""
    table, taken = generated(), Counter()
    for path in sorted(directory.rglob("*.py")):
        source = path.read_bytes()
        module = parse(source)
        if module is None or b"pretrained" not in source:
            continue
        quick = fast_path.rewrite(source, module, "enum", table)
        taken["fast" if quick is not None else "full"] += 1
    return taken
