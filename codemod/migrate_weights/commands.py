"""How the command lines (`migrate-weights`, `python -m migrate_weights.verify`) end: their exit
statuses, and a click command run to one; and the `-j` option they share."""

from __future__ import annotations

import enum
import os
from collections.abc import Callable, Sequence
from typing import Any

import click


class ExitStatus(enum.IntEnum):
    CLEAN = 0  # nothing to change; with --verify, every rewrite proven equal
    CHANGES = 1  # changes made or needed, or sites left for a person
    ERROR = 2  # a file could not be read, parsed or written; a rewrite could not be verified
    MISMATCH = 3  # --verify: a rewrite that changes the model


def run(command: click.Command, argv: Sequence[str] | None, prog_name: str, obj: object) -> int:
    """`command`'s exit status for `argv` (`obj`: what its context carries), its usage errors
    shown as click shows them. A file's errors are its findings; an error left here is the
    run's own, such as output that cannot be written."""
    try:
        status: int = command.main(args=argv, prog_name=prog_name, standalone_mode=False, obj=obj)
        return status
    except click.ClickException as error:
        error.show()
        return error.exit_code
    except click.Abort:
        return ExitStatus.ERROR
    except OSError as error:  # the output could not be written (a full disk): said, not a trace
        click.echo(f"{prog_name}: {error}", err=True)
        return ExitStatus.ERROR


def jobs_option(help_text: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`-j/--jobs`: how many processes, all cores by default."""
    return click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=1),
        default=os.cpu_count() or 1,
        show_default="all cores",
        help=help_text,
    )
