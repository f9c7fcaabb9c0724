"""`migrate-weights PATHS...`: rewrite, diff or check torchvision legacy weights arguments."""

from __future__ import annotations

import gc
import os
import signal
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import IO, TYPE_CHECKING, NoReturn

import click

from migrate_weights.commands import ExitStatus, jobs_option, run
from migrate_weights.config import (
    STYLES,
    ConfigError,
    Settings,
    find_pyproject,
    load_settings,
    validated_codes,
)
from migrate_weights.diagnostics import Code, Diagnostic
from migrate_weights.output import FORMATS, JsonFindings, github_annotation
from migrate_weights.pipeline.discover import python_files
from migrate_weights.pipeline.migrate import (
    FileResult,
    Tally,
    failure,
    internal_error,
    migrate_file,
    migrate_source,
    screen_file,
    without_codes,
)
from migrate_weights.pipeline.write import unified_diff, write_result
from migrate_weights.verify import DEVICES, WEIGHT_SOURCES, load_verifier

if TYPE_CHECKING:
    from migrate_weights.tables.table import LegacyTable
    from migrate_weights.verify.verifier import SiteVerifier  # imports torch: only for --verify

PROGRESS_FROM_FILES = 20
PARALLEL_FROM_FILES = 32  # files needing a look: fewer are done sooner than a pool starts
SCREENED_IN_POOL_FROM = 1000  # files: their textual check too is shared among the processes
CHUNK = 8  # files a worker takes at a time
SCREENING_CHUNK = 256  # ... when it screens them: most are turned away at once
YOUNG_OBJECTS_COLLECTED_FROM = 50_000  # in a worker (see _start_worker)
SIGNALLED = 128  # the exit status of a run stopped by a signal is this plus its number
DIED = "the process migrating it ended abruptly"
STDIN = Path("-")


def _summary(tally: Tally, writing: bool, interrupted: bool = False) -> str:
    verb = "changed" if writing else "would change"
    return (
        f"migrate-weights: {'interrupted; ' if interrupted else ''}"
        f"{tally.files} files scanned, {tally.changed} {verb}, "
        f"{tally.rewritten} call sites rewritten, {tally.for_a_person} left for a person, "
        f"{tally.failed} failed" + (f", {tally.suppressed} suppressed" if tally.suppressed else "")
    )


def _settings(config: Path | None, exclude: tuple[str, ...], disable: tuple[str, ...]) -> Settings:
    try:
        settings = load_settings(config or find_pyproject(Path.cwd()))
        disabled = settings.disable | validated_codes(disable, "--disable")
    except ConfigError as error:
        raise click.UsageError(str(error)) from error
    return replace(settings, exclude=settings.exclude + exclude, disable=disabled)


def _files(paths: Iterable[Path], settings: Settings) -> list[str]:
    return [path for path in python_files(paths) if not settings.excludes(path)]


def _with_progress(results: Iterable[FileResult], count: int) -> Iterable[FileResult]:
    """A progress bar on standard error, only for a person watching a long run."""
    interactive = sys.stderr.isatty() and not os.environ.get("CI")
    if not interactive or count < PROGRESS_FROM_FILES:
        return results
    return click.progressbar(results, length=count, label="migrate-weights", file=sys.stderr)


def _screened(path: str) -> FileResult | None:
    """The file's result when the textual check tells all, else None (its bytes are dropped
    here and read again where it is migrated, so that they are not all held at once)."""
    result = screen_file(path)
    return result if isinstance(result, FileResult) else None


def _merged(
    screened: list[FileResult | None], migrated: Iterator[FileResult]
) -> Iterator[FileResult]:
    for result in screened:
        yield next(migrated) if result is None else result


@contextmanager
def _migrations(
    files: list[str], migrate: Callable[[str], FileResult], jobs: int
) -> Iterator[Iterator[FileResult]]:
    """Results in the order of `files`, whatever the number of processes. A few files (the
    pre-commit case) never pay for a pool. With more, the textual check runs here first, and a
    pool of processes is started only when many of them pass it; with thousands, the processes
    share the textual check too."""
    if jobs <= 1 or len(files) < PARALLEL_FROM_FILES:
        yield map(migrate, files)
        return
    if len(files) >= SCREENED_IN_POOL_FROM:
        screened: list[FileResult | None] = [None] * len(files)
        needing, size = files, SCREENING_CHUNK
    else:
        screened = [_screened(path) for path in files]
        needing = [path for path, result in zip(files, screened) if result is None]
        size = CHUNK
        if len(needing) < PARALLEL_FROM_FILES:
            yield _merged(screened, map(migrate, needing))
            return
    pooled = _pooled(needing, migrate, jobs, size)
    try:
        yield _merged(screened, pooled)
    finally:
        pooled.close()  # the pool goes with it


_worker_migrate: Callable[[str], FileResult] = migrate_file  # in a pool's worker process


def _start_worker(migrate: Callable[[str], FileResult]) -> None:
    """Hand a worker the migration once (its table can be large), so that tasks carry paths
    only: a task queue that is never full cannot hang when a worker dies (Python 3.9)."""
    global _worker_migrate
    _worker_migrate = migrate
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as forked, the run's handler: the pool's to end
    # What a worker makes for a file dies with it, by reference counting: the collections of
    # young objects Python makes by default, each after some hundreds of allocations, find next
    # to nothing to free and cost about 4% of its time (mypy sets 200,000 for the same reason).
    gc.set_threshold(YOUNG_OBJECTS_COLLECTED_FROM)


class Terminated(BaseException):
    """SIGTERM, raised where the run is, as Ctrl-C raises KeyboardInterrupt (and, like it, not
    caught where one file's failure is)."""


@contextmanager
def _terminable() -> Iterator[None]:
    def terminate(signum: int, frame: object) -> None:
        raise Terminated

    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals
        return
    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _each(paths: list[str]) -> list[FileResult]:
    return [_worker_migrate(path) for path in paths]


def _chunks(files: list[str], size: int, workers: int) -> list[list[str]]:
    """The files in chunks of `size`, smaller toward the end (none more than a fourth of what is
    left for each worker), so that the workers finish together."""
    chunks, start = [], 0
    while start < len(files):
        step = max(1, min(size, (len(files) - start) // (4 * workers)))
        chunks.append(files[start : start + step])
        start += step
    return chunks


def _pooled(
    files: list[str], migrate: Callable[[str], FileResult], jobs: int, size: int
) -> Generator[FileResult, None, None]:
    """Results in order, from a pool of processes taking the files in chunks. A worker that dies
    loses no file: those not done are taken again by a new pool, the first of them alone; one
    that ends its process when alone is reported (MW006) and the rest go on."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    left, alone = list(files), False
    while left:
        chunks = [left[:1]] if alone else _chunks(left, size, jobs)
        workers = 1 if alone else jobs
        with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(migrate,)) as pool:
            # Each taken from the queue as its results go, so that none is held after.
            queue = deque((chunk, pool.submit(_each, chunk)) for chunk in chunks)
            try:
                while queue:
                    chunk, future = queue.popleft()
                    try:
                        results = future.result()
                    except BrokenProcessPool:
                        if not alone:
                            alone = True
                            break
                        results = [FileResult(chunk[0], diagnostics=[internal_error(DIED)])]
                    alone = False
                    del left[: len(chunk)]
                    yield from results
            except BaseException:  # interrupted, or the run stopped taking results
                if queue:  # chunks left: not waited for (when none are, the pool is joined)
                    pool.shutdown(wait=False, cancel_futures=True)
                raise


def _verified(
    result: FileResult, verifier: SiteVerifier, stream: IO[str], writing: bool
) -> FileResult:
    """Verify the file's rewritten call sites; in place, a file is written only when every one
    of them is proven equal."""
    from migrate_weights.verify.verifier import DIFFER, EQUAL

    status = verifier.verify_file(result, stream)
    if status == EQUAL or not (writing and result.changed):
        return result
    why = (
        "found a rewrite that changes the model"
        if status == DIFFER
        else "could not verify a rewrite"
    )
    diagnostic = Diagnostic(1, 1, Code.NOT_WRITTEN, f"not written: --verify {why}")
    return replace(result, migrated=None, diagnostics=[*result.diagnostics, diagnostic])


class _Printer:
    """Findings in the chosen format, as the run goes; with --diff, text findings go to standard
    error, leaving the patch alone on standard output."""

    def __init__(self, output_format: str, show_diff: bool) -> None:
        self.format = output_format
        self.text_stream: IO[str] = sys.stderr if show_diff else sys.stdout
        self.json: JsonFindings | None = None
        if output_format == "json":
            self.json = JsonFindings(lambda text: click.echo(text, nl=False))

    @property
    def verification_stream(self) -> IO[str]:
        """Verification lines go with text findings, never into a JSON document or annotations."""
        return self.text_stream if self.format == "text" else sys.stderr

    def findings(self, path: str, diagnostics: list[Diagnostic]) -> None:
        """A file's findings, written at once."""
        if not diagnostics:
            return
        if self.json is not None:
            for diagnostic in diagnostics:
                self.json.add(path, diagnostic)
        elif self.format == "github":
            click.echo("\n".join(github_annotation(path, d) for d in diagnostics))
        else:
            click.echo("\n".join(d.render(path) for d in diagnostics), file=self.text_stream)

    def close(self) -> None:
        if self.json is not None:
            self.json.close()


def _report(
    result: FileResult,
    settings: Settings,
    writing: bool,
    show_diff: bool,
    printer: _Printer,
    roots: tuple[Path, ...],
    verifier: SiteVerifier | None,
) -> FileResult:
    """Verify (with --verify) and write one file's result, and print its findings and diff as
    the run goes."""
    result = without_codes(result, settings.disable)
    if verifier is not None:
        result = _verified(result, verifier, printer.verification_stream, writing)
    if result.changed and writing:
        result = write_result(result, roots)
    printer.findings(result.path, result.diagnostics)
    if result.changed and show_diff:
        click.echo(unified_diff(result), nl=False)
    return result


def _stdin(
    style: str,
    disabled: frozenset[str],
    check: bool,
    show_diff: bool,
    table: LegacyTable | None,
    noqa: bool,
) -> int:
    """`-`: source on standard input, the result on standard output (for editors)."""
    source = sys.stdin.buffer.read()
    try:
        migrated = migrate_source(source, str(STDIN), style, table=table, noqa=noqa)
    except Exception as error:  # as for a file: a finding, never a traceback
        sys.stdout.buffer.write(source)  # what cannot be migrated goes back unchanged
        click.echo(failure(error).render(str(STDIN)), err=True)
        return ExitStatus.ERROR
    result = without_codes(migrated, disabled)
    for diagnostic in result.diagnostics:
        click.echo(diagnostic.render("-"), err=True)
    if show_diff:
        click.echo(unified_diff(result) if result.changed else "", nl=False)
    elif not check:
        assert result.migrated is not None
        sys.stdout.buffer.write(result.migrated)
    return ExitStatus.CHANGES if result.changed else ExitStatus.CLEAN


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path, allow_dash=True))
@click.option("--diff", "show_diff", is_flag=True, help="Print a unified diff; write nothing.")
@click.option("--check", is_flag=True, help="Report what would change; write nothing.")
@click.option(
    "--style",
    type=click.Choice(STYLES),
    help='enum: weights=ResNet50_Weights.IMAGENET1K_V1; string: weights="IMAGENET1K_V1". '
    "[default: enum, or `style` in pyproject.toml]",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="Findings as `path:line:col: CODE message` lines, one JSON array, or GitHub Actions "
    "annotations.",
)
@click.option(
    "--exclude",
    multiple=True,
    help="Glob of paths to skip, relative to the project root (repeatable; adds to pyproject's).",
)
@click.option(
    "--disable",
    multiple=True,
    help="Finding code (MW001...) to neither report nor fix (repeatable; adds to pyproject's).",
)
@click.option(
    "--ignore-noqa",
    is_flag=True,
    help="Report and fix the sites `# noqa` comments suppress, too.",
)
@click.option(
    "--exit-zero-even-if-changed",
    is_flag=True,
    help="Exit 0 when files were rewritten (sites left for a person still exit 1).",
)
@jobs_option(
    "Processes to use (with --verify, building models too, within the machine's memory); the "
    "output is the same, in the same order, for any number."
)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="pyproject.toml to read [tool.migrate-weights] from (default: the nearest one above "
    "the current folder).",
)
@click.option(
    "--verify",
    is_flag=True,
    help="Build every rewritten call both ways (legacy and migrated) and compare weights and "
    "outputs; in place, write only files whose rewrites all proved equal. Needs torch.",
)
@click.option(
    "--device",
    type=click.Choice(DEVICES),
    default="auto",
    show_default=True,
    help="--verify: where to build the models; auto picks CUDA when it is available.",
)
@click.option(
    "--weights",
    "weights_source",
    type=click.Choice(WEIGHT_SOURCES),
    default="auto",
    show_default=True,
    help="--verify: checkpoints from the torch hub cache (real), synthesised per member "
    "(synthetic), or real where cached (auto). Nothing is ever downloaded.",
)
@click.version_option(package_name="migrate-weights", prog_name="migrate-weights")
def cli(
    paths: tuple[Path, ...],
    show_diff: bool,
    check: bool,
    style: str | None,
    output_format: str,
    exclude: tuple[str, ...],
    disable: tuple[str, ...],
    ignore_noqa: bool,
    exit_zero_even_if_changed: bool,
    jobs: int,
    config: Path | None,
    verify: bool,
    device: str,
    weights_source: str,
) -> int:
    """Rewrite torchvision's legacy `pretrained=` arguments in PATHS (files, directories, or `-`
    for standard input) to the `weights=` form that loads the same weights. Rewrites in place
    unless --diff or --check.

    Exit status: 0 nothing to change, 1 changes made or needed, 2 a file could not be read,
    parsed or written (the other files are still processed) or the output could not be
    written. With --verify it reports the verification instead: 0 every rewritten call proved
    equal, 3 a rewrite changes the model (in place, its file is left as it was), else 2 if a
    file could not be read, parsed or written or a call could not be verified. 130 (143) when
    Ctrl-C (SIGTERM) stopped the run; every file then holds its old bytes or its new ones."""
    if show_diff and output_format != "text":
        raise click.UsageError("--diff prints a patch; use it with --format text")
    settings = _settings(config, exclude, disable)
    style = style or settings.style
    table: LegacyTable | None = click.get_current_context().obj
    if STDIN in paths:
        if len(paths) > 1:
            raise click.UsageError("`-` (standard input) cannot be combined with other paths")
        if verify:
            raise click.UsageError("--verify works on files, not on `-` (standard input)")
        return _stdin(style, settings.disable, check, show_diff, table, not ignore_noqa)

    writing = not (show_diff or check)
    verifier = None
    if verify:  # torch: only when asked to verify, and before any file is touched
        verifier = load_verifier().SiteVerifier(device, weights_source)
    printer = _Printer(output_format, show_diff)
    tally = Tally()
    files = _files(paths, settings)
    migrate = partial(migrate_file, style=style, table=table, noqa=not ignore_noqa)
    try:
        with _terminable(), _migrations(files, migrate, jobs) as migrated:
            results: Iterable[FileResult] = _with_progress(migrated, len(files))
            if verifier is not None:  # every distinct call proven first, on `jobs` processes
                results = [without_codes(result, settings.disable) for result in results]
                verifier.prove(results, jobs)
            for result in results:
                tally.add(_report(result, settings, writing, show_diff, printer, paths, verifier))
    except (KeyboardInterrupt, Terminated) as stop:
        # Every file holds its old bytes or its new ones: a write is one rename.
        printer.close()
        click.echo(_summary(tally, writing, interrupted=True), err=True)
        return SIGNALLED + (signal.SIGTERM if isinstance(stop, Terminated) else signal.SIGINT)
    printer.close()
    click.echo(_summary(tally, writing), err=True)
    if verifier is not None:  # the exit status reports the verification
        click.echo(verifier.summary(), err=True)
        if verifier.mismatches:
            return ExitStatus.MISMATCH
        return ExitStatus.ERROR if tally.failed or verifier.unverified else ExitStatus.CLEAN
    if tally.failed:
        return ExitStatus.ERROR
    changed = tally.changed and not exit_zero_even_if_changed
    return ExitStatus.CHANGES if tally.for_a_person or changed else ExitStatus.CLEAN


def main(argv: Sequence[str] | None = None, table: LegacyTable | None = None) -> int:
    """The command line; `table`: the legacy table, when not the generated one."""
    return run(cli, argv, "migrate-weights", table)


def script() -> NoReturn:
    """The `migrate-weights` script: the command line, then an end to the process that skips
    tearing the interpreter down, as mypy's does. By then every file is written and every worker
    joined, and freeing all the run made takes a tenth of a one-file check."""
    status = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:
        sys.exit(status)  # output that could not be written is reported as the interpreter does
    os._exit(status)
