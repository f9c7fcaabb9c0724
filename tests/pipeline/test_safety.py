"""Bad input never loses data: a clear error naming the file, exit status 2, the bytes on disk
unchanged, and every other file still processed."""

from __future__ import annotations

import ast
import builtins
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import pytest

from migrate_weights.cli import main
from migrate_weights.diagnostics import UnsafeRewrite
from migrate_weights.pipeline import safety
from migrate_weights.pipeline.discover import python_files
from migrate_weights.pipeline.migrate import migrate_file
from migrate_weights.pipeline.parse import parse
from migrate_weights.pipeline.write import write_result
from migrate_weights.syntax.text import TextArg, TextSyntax

LEGACY = b"from torchvision import models\n\nmodel = models.resnet50(pretrained=True)\n"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    (tmp_path / "z_good.py").write_bytes(LEGACY)
    return tmp_path


def run_and_read(tree: Path, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str]:
    status = main([*args, str(tree)] if not args or args[0].startswith("-") else list(args))
    return status, capsys.readouterr().out


# Each holds a legacy call: a file with nothing to migrate is never read past the textual check.
BAD_INPUT = {
    "python2.py": (
        b"import torchvision\nprint torchvision.models.vgg16(True)\n",
        "MW004 cannot parse",
    ),
    "latin1_without_cookie.py": (
        b"import torchvision\nname = '\xe9t\xe9'\nm = torchvision.models.vgg16(True)\n",
        "cannot decode",
    ),
    "binary.py": (b"\x7fELF\x00\x01import torchvision\x00models.vgg16(True)\xff", "MW004 binary"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUT))
def test_bad_input(name: str, tree: Path, capsys: pytest.CaptureFixture) -> None:
    content, message = BAD_INPUT[name]
    (tree / name).write_bytes(content)
    status, out = run_and_read(tree, capsys)
    assert status == 2
    assert (tree / name).read_bytes() == content
    assert f"{tree / name}:" in out and message in out
    assert (tree / "z_good.py").read_bytes() != LEGACY  # the others are still processed


def test_unreadable_file(tree: Path, capsys: pytest.CaptureFixture, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    secret = tree / "secret.py"
    secret.write_bytes(LEGACY)
    original = builtins.open

    def open_unless_secret(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if str(file).endswith("secret.py"):  # root may read any file: the denial is made here
            raise PermissionError(13, "Permission denied", file)
        return original(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", open_unless_secret)
    status, out = run_and_read(tree, capsys)
    monkeypatch.undo()
    assert status == 2 and f"{secret}:1:1: MW004 Permission denied" in out
    assert secret.read_bytes() == LEGACY


def test_missing_path(tree: Path, capsys: pytest.CaptureFixture) -> None:
    status = main([str(tree / "nowhere.py"), str(tree)])
    assert status == 2
    assert "nowhere.py:1:1: MW004 No such file or directory" in capsys.readouterr().out


def test_folder_that_vanishes_during_the_run(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_bytes(LEGACY)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.py").write_bytes(LEGACY)
    walk = python_files([tmp_path])
    assert next(walk) == str(tmp_path / "a.py")
    shutil.rmtree(tmp_path / "sub")
    rest = list(walk)
    assert rest == [str(tmp_path / "sub")]
    result = migrate_file(rest[0])
    assert result.failed and result.diagnostics[0].code.code == "MW004"


class StatementAdding(TextSyntax):
    """A fault in the fast path's edits, through its text syntax: a statement lands after the
    call it rewrites."""

    def spliced(self, text: str, arguments: Sequence[TextArg]) -> str:
        return super().spliced(text, arguments) + "; model = None"


def test_unsafe_rewrite_is_refused(tree: Path) -> None:
    """A rewrite that changes code outside the calls it meant to edit is caught before anything
    is written, and the file's result says why."""
    result = migrate_file(tree / "z_good.py", syntax=StatementAdding())
    assert result.failed
    (finding,) = result.diagnostics
    assert finding.render("f") == (
        "f:1:1: MW005 the rewrite changed code outside the calls it meant to edit; "
        "the file is left as it was"
    )
    assert (tree / "z_good.py").read_bytes() == LEGACY


def test_a_renamed_variable_is_refused() -> None:
    """The check itself, on a whole module: a name changed outside the fixed call."""
    old = LEGACY
    new = LEGACY.replace(b"model =", b"renamed =").replace(
        b"pretrained=True", b"weights=models.ResNet50_Weights.IMAGENET1K_V1"
    )
    with pytest.raises(UnsafeRewrite, match="changed code outside the calls"):
        safety.check(old, new, {(3, 9)})
    safety.check(old, new.replace(b"renamed =", b"model ="), {(3, 9)})  # the fix alone passes


def test_file_changed_on_disk_is_not_overwritten(tree: Path) -> None:
    path = tree / "z_good.py"
    result = migrate_file(path)
    assert result.changed
    edited_meanwhile = LEGACY + b"# edited in an editor meanwhile\n"
    path.write_bytes(edited_meanwhile)
    written = write_result(result, [tree])
    assert written.failed
    assert written.diagnostics[-1].message == "not written: it changed on disk since it was read"
    assert path.read_bytes() == edited_meanwhile


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="no symbolic links")
def test_link_to_outside_is_not_written_through(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    outside = tmp_path / "outside.py"
    outside.write_bytes(LEGACY)
    project = tmp_path / "project"
    project.mkdir()
    link = project / "linked.py"
    link.symlink_to(outside)
    assert main([str(link)]) == 2
    assert "symbolic link to" in capsys.readouterr().out
    assert outside.read_bytes() == LEGACY and link.is_symlink()
    assert main([str(project)]) == 0  # walking a folder skips links altogether
    assert main([str(link), str(tmp_path)]) == 1  # the target is inside a path given
    assert outside.read_bytes() != LEGACY and link.is_symlink()


OLD = (
    b"import os\nimport torchvision\n\n\ndef build():\n"
    b"    return torchvision.models.resnet50(pretrained=True)\n\n\nSIZE = 1\n"
)
NESTED = (
    b"import torchvision\n\n\nclass Net:\n    def build(self, flag):\n        if flag:\n"
    b"            return torchvision.models.resnet50(pretrained=True)\n"
    b"        elif flag is None:\n            return torchvision.models.resnet50(pretrained=True)\n"
    b"        return None\n"
)
CALL = b"torchvision.models.resnet50(pretrained=True)"
FIXED = b"torchvision.models.resnet50(weights=torchvision.models.ResNet50_Weights.IMAGENET1K_V1)"
AT = {OLD: {(6, 12)}, NESTED: {(7, 20), (9, 20)}}  # where the fixes are reported


def _check_replacing(replacements: list[tuple[bytes, bytes]], old: bytes = OLD) -> list[bytes]:
    """The safety check on the fast path's terms: `old` with each old text of `replacements`
    replaced by its new text, and the replacements (old bytes [start, end), new text) that make
    the result. The texts parsed again, without the blank lines that place them."""
    parsed_again: list[bytes] = []

    def spied(text: bytes) -> ast.Module:
        parsed_again.append(text.strip(b"\n"))
        return safety.parse_again(text)

    edits, searched_from = [], {}  # a text given twice: its next occurrence
    for found, new in replacements:
        start = old.index(found, searched_from.get(found, 0))
        edits.append((start, start + len(found), new))
        searched_from[found] = start + len(found)
    edits.sort()
    new_source, position = b"", 0
    for start, end, text in edits:
        new_source += old[position:start] + text
        position = end
    new_source += old[position:]
    module = parse(old)
    assert module is not None
    safety.check(old, new_source, AT[old], module.tree, edits, spied)
    return parsed_again


def test_only_the_statements_edited_are_parsed_again_and_they_pass() -> None:
    """Only the innermost run of statements that starts its lines; the whole statement that
    holds an `elif` (which is no statement on its own)."""
    assert _check_replacing([(CALL, FIXED)]) == [b"if 1:\n    return " + FIXED]
    assert _check_replacing([(CALL, FIXED)], NESTED) == [b"if 1:\n            return " + FIXED]
    elif_too = _check_replacing([(CALL, FIXED), (CALL, FIXED)], NESTED)
    statement = NESTED[NESTED.index(b"        if flag") : NESTED.index(b"        return None")]
    assert elif_too == [b"if 1:\n" + statement.replace(CALL, FIXED).rstrip()]
    with_import = _check_replacing(
        [(b"import os\n", b"import os\nimport torch.hub\n"), (CALL, FIXED)]
    )
    assert with_import == [b"import os\nimport torch.hub", b"if 1:\n    return " + FIXED]


@pytest.mark.parametrize(
    ("replacements", "message"),
    [
        ([(CALL, FIXED[:-1])], "does not parse"),  # a bracket left open: what follows is in it
        ([(CALL, FIXED + b' """')], "does not parse"),  # a string opened
        ([(CALL, FIXED), (b"SIZE = 1", b"SIZE = 2")], "changed code outside"),
        ([(CALL, FIXED), (b"import os\n", b"import os")], "does not parse"),  # lines joined
        ([(CALL, FIXED), (b"def build", b"def built")], "changed code outside"),
        ([(b"    return " + CALL, b"return " + FIXED)], "does not parse"),  # the block emptied
        ([(CALL, FIXED + b"\n    x = 1")], "changed code outside"),  # a statement added
        ([(CALL, FIXED + b"\nx = 1")], "changed code outside"),  # the block ended early
        ([(CALL, FIXED + b"\nelse:\n    pass")], "does not parse"),  # a clause added
    ],
    ids=[
        "bracket", "string", "other statement", "joined lines", "renamed function",
        "block emptied", "statement added", "block ended", "clause added",
    ],
)  # fmt: skip
def test_the_check_on_edited_statements_catches_faults(
    replacements: list[tuple[bytes, bytes]], message: str
) -> None:
    with pytest.raises(UnsafeRewrite, match=message):
        _check_replacing(replacements)


@pytest.mark.parametrize(
    "replacements",
    [
        [(CALL, FIXED), (b"return None", b"return 1")],  # another statement of the block
        [(CALL, FIXED), (b"flag is None", b"flag is not None")],  # the elif's test
        [(CALL, FIXED + b"\n            x = 1")],  # a statement added in the innermost block
        [(CALL, FIXED + b"\n        return 1")],  # ... or in the block around it
        [(CALL, FIXED), (b"        if flag:", b"          if flag:")],  # indentation
        [(b"        return None", b"          return None")],  # ... of a statement alone
    ],
    ids=[
        "other statement", "elif test", "statement added", "outer block", "indentation",
        "indentation alone",
    ],
)  # fmt: skip
def test_the_check_in_nested_blocks_catches_faults(replacements: list[tuple[bytes, bytes]]) -> None:
    with pytest.raises(UnsafeRewrite):
        _check_replacing(replacements, NESTED)


def test_replacements_that_do_not_make_the_new_source_are_refused() -> None:
    start = OLD.index(CALL)
    new_source = OLD.replace(CALL, FIXED).replace(b"SIZE = 1", b"SIZE = 2")
    edits = [(start, start + len(CALL), FIXED)]
    with pytest.raises(UnsafeRewrite, match="not what its edits make"):
        safety.check(OLD, new_source, AT[OLD], ast.parse(OLD), edits)
