"""`# noqa` comments, read as flake8 and ruff read them: a bare `# noqa` on a line suppresses every
finding that starts there, `# noqa: MW002` (codes separated by commas or spaces) the findings of
the codes it names. Only findings about a site (MW001-MW003) are suppressed; a suppressed fix is
not made."""

from __future__ import annotations

import io
import re
import tokenize
from dataclasses import dataclass

from migrate_weights.diagnostics import Code, Diagnostic

# flake8's pattern: a colon not followed by codes leaves a bare `# noqa`.
_NOQA = re.compile(r"#\s*noqa(?::[\s]?(?P<codes>[A-Z]+[0-9]+(?:[,\s]+[A-Z]+[0-9]+)*))?", re.I)
_CODE = re.compile(r"[A-Z]+[0-9]+", re.I)


@dataclass(frozen=True)
class Suppressions:
    lines: dict[int, frozenset[str] | None]  # line -> the codes its comment names; None: all

    @classmethod
    def of(cls, source: bytes) -> Suppressions:
        """The `# noqa` comments of a module's source (none where it does not tokenize)."""
        if b"noqa" not in source.lower():
            return NONE
        lines: dict[int, frozenset[str] | None] = {}
        try:
            for token in tokenize.tokenize(io.BytesIO(source).readline):
                if token.type != tokenize.COMMENT:
                    continue
                found = _NOQA.search(token.string)
                if found:
                    codes = found.group("codes")
                    named = _CODE.findall(codes) if codes else None
                    lines[token.start[0]] = frozenset(c.upper() for c in named) if named else None
        except (tokenize.TokenError, SyntaxError):
            return NONE  # the parse reports the source
        return cls(lines)

    def covers(self, line: int, code: Code) -> bool:
        if not code.is_about_a_site or line not in self.lines:
            return False
        codes = self.lines[line]
        return codes is None or code.code in codes

    def fixes_kept(self) -> frozenset[int]:
        """The lines where a fix is not made."""
        return frozenset(line for line in self.lines if self.covers(line, Code.FIXED))

    def split(self, diagnostics: list[Diagnostic]) -> tuple[list[Diagnostic], int]:
        """The findings not suppressed, and how many are."""
        kept = [d for d in diagnostics if not self.covers(d.line, d.code)]
        return kept, len(diagnostics) - len(kept)


NONE = Suppressions({})
