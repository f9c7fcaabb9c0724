"""`migrate-weights PATHS...`: rewrite, diff or check torchvision legacy weights arguments."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional, Sequence

import click

from codemod.runner import FileResult, migrate_file, python_files, unified_diff, write_atomically

STYLES = ("enum", "string")
EXIT_CLEAN, EXIT_CHANGES, EXIT_ERROR = 0, 1, 2


def _summary(results: list[FileResult], writing: bool) -> str:
    changed = sum(result.changed for result in results)
    codes = [d.code for result in results for d in result.diagnostics]
    rewritten = sum(code.code == "MW001" for code in codes)
    for_a_person = sum(code.needs_a_person for code in codes)
    failed = sum(result.failed for result in results)
    verb = "changed" if writing else "would change"
    return (
        f"migrate-weights: {len(results)} files scanned, {changed} {verb}, "
        f"{rewritten} call sites rewritten, {for_a_person} left for a person, {failed} failed"
    )


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff; write nothing.")
@click.option("--check", is_flag=True, help="Report what would change; write nothing.")
@click.option(
    "--style",
    type=click.Choice(STYLES),
    default="enum",
    show_default=True,
    help="enum: weights=ResNet50_Weights.IMAGENET1K_V1; string: weights=\"IMAGENET1K_V1\".",
)
@click.version_option(package_name="migrate-weights", prog_name="migrate-weights")
def cli(paths: tuple[Path, ...], show_diff: bool, check: bool, style: str) -> int:
    """Rewrite torchvision's legacy `pretrained=` arguments in PATHS (files or directories) to
    the `weights=` form that loads the same weights. Rewrites in place unless --diff or --check.

    Exit status: 0 nothing to change, 1 changes made or needed, 2 a file could not be read or
    parsed (the other files are still processed)."""
    writing = not (show_diff or check)
    diagnostics_stream = sys.stderr if show_diff else sys.stdout
    results = []
    for path in python_files(paths):
        result = migrate_file(path, style)
        results.append(result)
        for diagnostic in result.diagnostics:
            click.echo(diagnostic.render(result.path), file=diagnostics_stream)
        if result.changed and show_diff:
            click.echo(unified_diff(result), nl=False)
        if result.changed and writing:
            assert result.migrated is not None
            write_atomically(path, result.migrated)
    click.echo(_summary(results, writing), err=True)
    if any(result.failed for result in results):
        return EXIT_ERROR
    needs_change = any(
        result.changed or any(d.code.needs_a_person for d in result.diagnostics)
        for result in results
    )
    return EXIT_CHANGES if needs_change else EXIT_CLEAN


def main(argv: Optional[Sequence[str]] = None) -> int:
    try:
        return cli.main(args=argv, prog_name="migrate-weights", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.Abort:
        return EXIT_ERROR
