"""Generate `tables/legacy_model_urls.py`: every `model_urls` / `quant_model_urls` dict of
torchvision 0.12.0, the last release before the weights enums, with each URL mapped to the member
of the installed torchvision whose `.url` is the same file.

Run `python -m migrate_weights.tables.generate_model_urls [WHEEL]` (needs the `verify` extra).
Without WHEEL, pip downloads the 0.12.0 wheel into a temporary folder. The old sources are read
from the wheel with `ast`; the old package is never imported or installed.
"""

from __future__ import annotations

import ast
import hashlib
import re
import subprocess
import sys
import tempfile
import textwrap
import zipfile
from pathlib import Path
from typing import Any

from migrate_weights.rules import legacy_api

DATA_PATH = Path(__file__).with_name("legacy_model_urls.py")
OLD_VERSION = "0.12.0"
PIP_DOWNLOAD = [
    "download", "--no-deps", "--only-binary=:all:", "--python-version", "3.9",
    "--platform", "manylinux1_x86_64", f"torchvision=={OLD_VERSION}",
]  # fmt: skip

# Old checkpoints that no current member serves under the same URL, and why. Any other URL without
# an exact match stops the generator: a new difference must be looked at and explained here.
REPUBLISHED = (
    "torchvision 0.13 re-published this checkpoint as a new file, and its own deprecated "
    "`model_urls` (0.13 and 0.14) already returned the new URL; the two files are not proven to "
    "hold the same weights"
)
NO_CHECKPOINT = "no checkpoint in torchvision 0.12.0 (the value is None)"
KNOWN_DIFFERENCES = {
    "https://download.pytorch.org/models/efficientnet_b0_rwightman-3dd342df.pth": REPUBLISHED,
    "https://download.pytorch.org/models/efficientnet_b1_rwightman-533bc792.pth": REPUBLISHED,
    "https://download.pytorch.org/models/efficientnet_b2_rwightman-bcdf34b7.pth": REPUBLISHED,
    "https://download.pytorch.org/models/efficientnet_b3_rwightman-cf984f9c.pth": REPUBLISHED,
    "https://download.pytorch.org/models/efficientnet_b4_rwightman-7eb33cd5.pth": REPUBLISHED,
    "https://download.pytorch.org/models/efficientnet_b5_lukemelas-b6417697.pth": REPUBLISHED,
    "https://download.pytorch.org/models/efficientnet_b6_lukemelas-c76e70fd.pth": REPUBLISHED,
    "https://download.pytorch.org/models/efficientnet_b7_lukemelas-dcc49843.pth": REPUBLISHED,
    "https://download.pytorch.org/models/quantized/googlenet_fbgemm-c00238cf.pth": REPUBLISHED,
    "https://download.pytorch.org/models/quantized/inception_v3_google_fbgemm-71447a44.pth": (
        REPUBLISHED
    ),
    "https://download.pytorch.org/models/quantized/shufflenetv2_x1_fbgemm-db332c57.pth": (
        REPUBLISHED
    ),
}


def download_wheel(folder: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", *PIP_DOWNLOAD, "-d", str(folder)], check=True)
    (wheel,) = folder.glob(f"torchvision-{OLD_VERSION}-*.whl")
    return wheel


def _module_name(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def _imported_from(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module.split(".")[: -node.level]
    return ".".join(package + ([node.module] if node.module else []))


def read_old_dicts(wheel: Path) -> tuple[dict[str, dict[str, str | None]], dict[str, str]]:
    """The dicts defined at module level in `torchvision/models/**`, by `module.name`, and the
    `module.name`s that import one of them by name (`from ..resnet import model_urls`)."""
    dicts: dict[str, dict[str, str | None]] = {}
    imported: dict[str, str] = {}
    with zipfile.ZipFile(wheel) as archive:
        for path in sorted(archive.namelist()):
            if not (path.startswith("torchvision/models/") and path.endswith(".py")):
                continue
            module = _module_name(path)
            for node in ast.parse(archive.read(path)).body:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
                    for target in node.targets:
                        if (
                            isinstance(target, ast.Name)
                            and target.id in legacy_api.MODEL_URLS_DICTS
                        ):
                            dicts[f"{module}.{target.id}"] = ast.literal_eval(node.value)
                elif isinstance(node, ast.ImportFrom):
                    for alias in node.names:
                        if alias.name in legacy_api.MODEL_URLS_DICTS:
                            local = f"{module}.{alias.asname or alias.name}"
                            imported[local] = f"{_imported_from(module, node)}.{alias.name}"
    for local, defined in imported.items():
        if defined not in dicts:
            raise SystemExit(f"{local} imports {defined}, which defines no dict")
    return dicts, dict(sorted(imported.items()))


def current_members() -> dict[str, str]:
    """URL -> "Enum_Class.MEMBER" for every weights member of the installed torchvision."""
    from torchvision import models

    members: dict[str, str] = {}
    for name in models.list_models():
        for member in models.get_model_weights(name):
            label = f"{type(member).__name__}.{member.name}"
            if members.setdefault(member.url, label) != label:
                raise SystemExit(f"{member.url} is served by {members[member.url]} and {label}")
    return members


def _file_stem(url: str) -> str:
    """The URL without the hash that names one upload of a checkpoint."""
    return re.sub(r"[-_][0-9a-f]{8,10}\.pth$", "", url)


def map_entry(url: str | None, members: dict[str, str]) -> tuple[Any, ...]:
    """(old URL, current member or None, why the member's URL differs or None)."""
    if url is None:
        return (None, None, NO_CHECKPOINT)
    if url in members:
        if url in KNOWN_DIFFERENCES:
            raise SystemExit(f"{url} is served unchanged: drop it from KNOWN_DIFFERENCES")
        return (url, members[url], None)
    if url not in KNOWN_DIFFERENCES:
        raise SystemExit(f"no current member serves {url}: explain it in KNOWN_DIFFERENCES")
    successors = [m for u, m in members.items() if _file_stem(u) == _file_stem(url)]
    if len(successors) != 1:
        raise SystemExit(f"{url}: expected one re-published member, found {successors}")
    return (url, successors[0], KNOWN_DIFFERENCES[url])


def collect(wheel: Path) -> dict[str, Any]:
    import torchvision

    from migrate_weights.tables import legacy_table

    dicts, imported = read_old_dicts(wheel)
    members = current_members()
    entries = {
        name: {key: map_entry(url, members) for key, url in urls.items()}
        for name, urls in sorted(dicts.items())
    }
    unknown_enums = {
        member.split(".")[0]
        for urls in entries.values()
        for _, member, _ in urls.values()
        if member and member.split(".")[0] not in legacy_table.ENUM_MODULES
    }
    if unknown_enums:
        raise SystemExit(f"not in legacy_table.ENUM_MODULES: {sorted(unknown_enums)}")
    return {
        "wheel": wheel.name,
        "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(),
        "version": torchvision.__version__.split("+")[0],
        "imported": imported,
        "entries": entries,
    }


def _string(text: str | None, indent: str) -> str:
    """A string literal as ruff format leaves it: split into parenthesised parts if too long."""
    if text is None or len(indent) + len(text) + 4 <= 100:
        return "None" if text is None else f'"{text}"'
    parts = textwrap.wrap(text, 96 - len(indent) - 4, drop_whitespace=False)
    inner = "".join(f'{indent}    "{part}"\n' for part in parts)
    return f"(\n{inner}{indent})"


def render(data: dict[str, Any]) -> str:
    lines = [
        f'"""`model_urls` / `quant_model_urls` of torchvision {OLD_VERSION}, generated by',
        f"`python -m migrate_weights.tables.generate_model_urls` from {data['wheel']}",
        f"(sha256 {data['sha256']}),",
        f"mapped onto torchvision {data['version']}.",
        "",
        'Do not edit: regenerate."""',
        "",
        f'OLD_VERSION = "{OLD_VERSION}"',
        f'TORCHVISION_VERSION = "{data["version"]}"',
        "",
        "# Each dict of the old release, by the `module.name` that defines it -> key -> (its URL",
        "# there, the current member serving it, None or why the member's URL is another file).",
        "MODEL_URLS = {",
    ]
    for name, entries in data["entries"].items():
        lines.append(f'    "{name}": {{')
        for key, (url, member, difference) in entries.items():
            lines.append(f'        "{key}": (')
            lines.append(f"            {_string(url, ' ' * 12)},")
            lines.append(f"            {_string(member, ' ' * 12)},")
            lines.append(f"            {_string(difference, ' ' * 12)},")
            lines.append("        ),")
        lines.append("    },")
    lines += [
        "}",
        "",
        "# Other `module.name`s of the old release that imported a dict by name -> its definition.",
        "IMPORTED = {",
    ]
    for path, defined in data["imported"].items():
        line = f'    "{path}": "{defined}",'
        lines += (
            [line] if len(line) <= 100 else [f'    "{path}": (', f'        "{defined}"', "    ),"]
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) > 1:
        raise SystemExit("usage: python -m migrate_weights.tables.generate_model_urls [WHEEL]")
    with tempfile.TemporaryDirectory() as folder:
        wheel = Path(args[0]) if args else download_wheel(Path(folder))
        DATA_PATH.write_text(render(collect(wheel)), encoding="utf-8")
    print(f"wrote {DATA_PATH}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
