"""Settings from `[tool.migrate-weights]` in pyproject.toml; command-line flags override them."""

from __future__ import annotations

import fnmatch
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

from migrate_weights.diagnostics import Code

STYLES = ("enum", "string")
SECTION = "tool.migrate-weights"


class ConfigError(Exception):
    pass


@dataclass(frozen=True)
class Settings:
    root: Path = field(default_factory=Path.cwd)  # exclude patterns are relative to this folder
    exclude: tuple[str, ...] = ()
    style: str = "enum"
    disable: frozenset[str] = frozenset()  # finding codes neither reported nor fixed

    def excludes(self, path: str) -> bool:
        if not self.exclude:
            return False  # and no path resolved: a system call or more for each file
        try:
            relative = Path(path).resolve().relative_to(self.root.resolve())
        except ValueError:
            relative = Path(path)
        prefixes = ["/".join(relative.parts[: i + 1]) for i in range(len(relative.parts))]
        return any(fnmatch.fnmatch(p, pattern) for pattern in self.exclude for p in prefixes)


def find_pyproject(start: Path) -> Path | None:
    for folder in [start.resolve(), *start.resolve().parents]:
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            return candidate
    return None


def _string_list(path: Path, key: str, value: object) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{path}: [{SECTION}] {key} must be a list of strings")
    return tuple(value)


def load_settings(pyproject: Path | None) -> Settings:
    if pyproject is None:
        return Settings()
    if sys.version_info >= (3, 11):  # imported here: most runs find no pyproject.toml
        import tomllib
    else:
        import tomli as tomllib
    try:
        document = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigError(f"{pyproject}: cannot read: {error}") from error
    section = document.get("tool", {}).get("migrate-weights", {})
    known = {"exclude", "style", "disable"}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(
            f"{pyproject}: unknown key {', '.join(unknown)} in [{SECTION}] "
            f"(known: {', '.join(sorted(known))})"
        )
    settings = Settings(root=pyproject.parent)
    if "exclude" in section:
        settings = replace(settings, exclude=_string_list(pyproject, "exclude", section["exclude"]))
    if "style" in section:
        if section["style"] not in STYLES:
            raise ConfigError(f"{pyproject}: [{SECTION}] style must be one of {', '.join(STYLES)}")
        settings = replace(settings, style=section["style"])
    if "disable" in section:
        codes = _string_list(pyproject, "disable", section["disable"])
        settings = replace(settings, disable=validated_codes(codes, str(pyproject)))
    return settings


def validated_codes(codes: tuple[str, ...], where: str) -> frozenset[str]:
    known = {code.code for code in Code}
    unknown = sorted(set(codes) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown code {', '.join(unknown)} (known: {', '.join(sorted(known))})"
        )
    return frozenset(codes)
