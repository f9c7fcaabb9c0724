r"""Throughput of `migrate-weights --check` next to TorchFix 0.7.0 (rule TOR201), in one run, on
two corpora built on the spot (issue 6):

- "torch": a copy of the `*.py` files of the installed torch and torchvision (real code nobody
  here wrote, nearly all of it needing no change);
- "legacy": 2,000 generated modules of about 75 lines, ordinary training code mixed with legacy
  calls of every builder in every form the tool rewrites (`benchmarks/legacy_corpus.py`);
- "real": 600 modules of whole functions and classes from installed packages' sources with legacy
  calls among them, imported lazily, under guards, in classes and comprehensions
  (`benchmarks/real_code_corpus.py`): how many of its files take each path, and its floor, one
  process that reads and `ast.parse`s every file.

For each corpus and tool: the median wall time, files/s, lines/s, the findings (our call sites
rewritten, TorchFix's TOR201 reports) and the ratio of throughputs; our peak resident memory,
also on four copies of the legacy corpus; our start-up (`--version`, and a one-file `--check`
on a file with nothing to migrate) next to `python -c "import libcst"`; and the floor: one
process that reads every file of the torch corpus and scans it for a substring. Each floor is
run by turns with ours on its corpus, so that both see the machine at the same speed.

From a fresh clone (TorchFix pins libcst<1.6, so it gets an environment of its own):

    python3 -m venv .venv && .venv/bin/pip install -e ".[verify]" \
      && python3 -m venv .venv-torchfix && .venv-torchfix/bin/pip install torchfix==0.7.0 \
      && .venv/bin/python benchmarks/throughput.py --torchfix .venv-torchfix/bin/torchfix

Both tools get the same number of processes (`--jobs`, default all cores). TorchFix runs as
`torchfix --select TOR201 -j N CORPUS`: lint mode, which writes nothing. Defaults: 3 runs of
ours (`--runs`, after one untimed) but 1 of TorchFix (`--peer-runs`), which took 95 s on the
legacy corpus and 14 minutes on the torch corpus with 2 processes, each followed by 3 of ours
again (the row "ours, after peer"): the throughput ratio is taken to ours on both sides of
TorchFix's runs, since the machine's speed may move in their minutes. The whole default run
takes about 20 minutes on 2 cores. `--corpus legacy` leaves out the torch corpus, `--skip-peer`
measures only ours. Not a test: it prints the figures the README quotes."""

from __future__ import annotations

import compileall
import importlib.util
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

import click
from legacy_corpus import CorpusStats, write_legacy_corpus
from process_tree import PROC, status_field, tree
from real_code_corpus import paths_taken, write_real_code_corpus

SUMMARY = re.compile(
    r"(\d+) files scanned, (\d+) would change, (\d+) call sites rewritten, "
    r"(\d+) left for a person, (\d+) failed"
)
TOR201 = re.compile(r"^\S.*:\d+:\d+: TOR201 ", re.MULTILINE)
OURS_AGAIN = "ours, after peer"  # the rows of our runs after TorchFix's
SCAN = """import os, sys
hits = 0
for folder, _, names in os.walk(sys.argv[1]):
    for name in names:
        if name.endswith(".py"):
            with open(os.path.join(folder, name), "rb") as file:
                hits += b"pretrained" in file.read()
print(hits)
"""
PARSE = """import ast, os, sys
for folder, _, names in os.walk(sys.argv[1]):
    for name in names:
        if name.endswith(".py"):
            with open(os.path.join(folder, name), "rb") as file:
                ast.parse(file.read())
"""
NOTHING_TO_MIGRATE = '''"""A training helper: nothing in it for migrate-weights."""

import torch


def clip_gradients(model: torch.nn.Module, max_norm: float = 1.0) -> float:
    """Clip in place; the norm before clipping, for the logs."""
    parameters = [p for p in model.parameters() if p.grad is not None]
    return float(torch.nn.utils.clip_grad_norm_(parameters, max_norm))
'''
COPIES = "legacy_x4"  # the legacy corpus four times: memory must not grow with it


@dataclass
class Run:
    seconds: float
    returncode: int
    peak_rss: int | None  # bytes: the largest process of the run (the main one or a worker)
    stdout: str
    stderr: str


@dataclass
class Row:
    corpus: str
    tool: str
    runs: list[Run]
    files: int
    lines: int
    findings: str

    @property
    def median(self) -> float:
        return statistics.median(run.seconds for run in self.runs)

    @property
    def peak_rss(self) -> int | None:
        peaks = [run.peak_rss for run in self.runs if run.peak_rss is not None]
        return max(peaks) if peaks else None


SAMPLE_SECONDS = 0.02


def _sample_peaks(pid: int, peaks: dict[int, int]) -> None:
    """Each process's own peak resident memory so far (VmHWM)."""
    for member in tree(pid):
        peaks[member] = max(peaks.get(member, 0), status_field(member, "VmHWM"))


def measure(command: list[str], cwd: Path) -> Run:
    """Run to completion: wall time, and the peak resident memory of its largest process,
    sampled every 20 ms from /proc (VmHWM, each process's own high-water mark). Not wait4's
    rusage: Linux counts in it the memory of the process that started the command (this one)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        peaks: dict[int, int] = {}
        done = threading.Event()

        def sample() -> None:  # beside the wait, so that the wall time stays exact
            while not done.wait(SAMPLE_SECONDS):
                _sample_peaks(process.pid, peaks)

        sampler = threading.Thread(target=sample)
        if PROC.is_dir():
            sampler.start()
        process.wait()
        seconds = time.perf_counter() - start
        done.set()
        if sampler.is_alive():
            sampler.join()
        out.seek(0)
        err.seek(0)
        return Run(
            seconds,
            process.returncode,
            max(peaks.values()) if peaks else None,
            out.read().decode(errors="replace"),
            err.read().decode(errors="replace"),
        )


def repeat(
    label: str, command: list[str], cwd: Path, runs: int, ok=(0, 1), warm_up: bool = True
) -> list[Run]:
    """`runs` timed runs, after one untimed (`warm_up`): the corpora were just written, and the
    first run after that pays for the disk. TorchFix's one run, which takes minutes, has none: it
    comes after ours, on files they have read."""
    if warm_up:
        measure(command, cwd)
    results = []
    for index in range(runs):
        result = measure(command, cwd)
        click.echo(f"{label}: run {index + 1}/{runs}: {result.seconds:.2f} s", err=True)
        check_exit(label, result, ok)
        results.append(result)
    return results


def check_exit(label: str, run: Run, ok: tuple[int, ...]) -> None:
    """Say so where a run ended with another exit status than `ok`, with the end of its output."""
    if run.returncode not in ok:
        tail = (run.stderr or run.stdout)[-2000:]
        click.echo(f"{label}: exit status {run.returncode}\n{tail}", err=True)


def executable(name: str, given: str | None) -> str | None:
    """`given` (a path, made absolute: commands run in the corpus folder, or a name on PATH),
    else `name` beside this interpreter, else on PATH."""
    if given:
        return str(Path(given).absolute()) if os.sep in given else shutil.which(given)
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


def package_root(package: str) -> Path:
    """Where an installed package's sources are, found without importing it (importing torch
    takes seconds)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise click.ClickException(f'{package} is not installed: pip install -e ".[verify]"')
    return Path(next(iter(spec.submodule_search_locations)))


def compile_bytecode() -> None:
    """Our bytecode written before any run, as installing a wheel writes it: an editable install
    writes it on first import, and never under PYTHONDONTWRITEBYTECODE, when every process of
    every run would compile the sources again (TorchFix's wheel has its bytecode)."""
    compileall.compile_dir(package_root("migrate_weights"), quiet=1)


def copy_sources(package: str, destination: Path) -> None:
    """The `*.py` files of an installed package."""
    root = package_root(package)
    for folder, _, names in os.walk(root):
        for name in names:
            if name.endswith(".py"):
                source = Path(folder, name)
                target = destination / package / source.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)


def count(corpus: Path) -> tuple[int, int]:
    files = lines = 0
    for path in corpus.rglob("*.py"):
        data = path.read_bytes()
        files += 1
        lines += data.count(b"\n") + (not data.endswith(b"\n") and bool(data))
    return files, lines


def ours_findings(runs: list[Run], files: int) -> str:
    """Call sites rewritten (MW001), from the summary line of the last run."""
    match = SUMMARY.search(runs[-1].stderr)
    if match is None:
        return "?"
    scanned, _, rewritten, for_a_person, failed = (int(group) for group in match.groups())
    text = f"{rewritten:,}" + (f" +{for_a_person}?" if for_a_person else "")
    if scanned != files:
        click.echo(f"migrate-weights scanned {scanned} of the {files} files", err=True)
    return text + (f" {failed}!" if failed else "")


def torchfix_findings(runs: list[Run]) -> str:
    """TOR201 reports of the last run, one per call (lines `path:line:col: TOR201 ...`)."""
    return f"{len(TOR201.findall(runs[-1].stdout)):,}"


def mib(size: int | None) -> str:
    return "-" if size is None else f"{size / 2**20:.0f} MiB"


def print_table(rows: list[Row]) -> None:
    click.echo(
        f"{'corpus':10} {'files':>6} {'lines':>10}  {'tool':16} {'runs':>4} {'median s':>9} "
        f"{'files/s':>9} {'lines/s':>11} {'findings':>14} {'exit':>4} {'peak RSS':>9}"
    )
    for row in rows:
        exits = ",".join(sorted({str(run.returncode) for run in row.runs}))
        click.echo(
            f"{row.corpus:10} {row.files:>6,} {row.lines:>10,}  {row.tool:16} {len(row.runs):>4} "
            f"{row.median:>9.2f} {row.files / row.median:>9,.1f} {row.lines / row.median:>11,.0f} "
            f"{row.findings:>14} {exits:>4} {mib(row.peak_rss):>9}"
        )


@click.command()
@click.option(
    "--corpus",
    type=click.Choice(("all", "legacy", "torch", "real")),
    default="all",
    show_default=True,
)
@click.option("--runs", type=click.IntRange(min=1), default=3, show_default=True, help="Of ours.")
@click.option(
    "--peer-runs", type=click.IntRange(min=1), default=1, show_default=True, help="Of TorchFix."
)
@click.option("--startup-runs", type=click.IntRange(min=1), default=10, show_default=True)
@click.option(
    "-j", "--jobs", type=click.IntRange(min=1), default=os.cpu_count() or 1, show_default=True
)
@click.option("--skip-peer", is_flag=True, help="Measure only migrate-weights.")
@click.option("--legacy-files", type=click.IntRange(min=1), default=2000, show_default=True)
@click.option(
    "--workdir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to build the corpora (kept); default: a temporary folder, removed at the end.",
)
@click.option("--torchfix", "torchfix_path", help="TorchFix executable [default: on PATH].")
@click.option("--migrate-weights", "ours_path", help="Our executable [default: on PATH].")
def benchmark(
    corpus: str,
    runs: int,
    peer_runs: int,
    startup_runs: int,
    jobs: int,
    skip_peer: bool,
    legacy_files: int,
    workdir: Path | None,
    torchfix_path: str | None,
    ours_path: str | None,
) -> int:
    ours = executable("migrate-weights", ours_path)
    torchfix = None if skip_peer else executable("torchfix", torchfix_path)
    if ours is None:
        raise click.ClickException('migrate-weights not found: pip install -e ".[verify]"')
    if not skip_peer and torchfix is None:
        raise click.ClickException(
            "torchfix not found: python3 -m venv .venv-torchfix && "
            ".venv-torchfix/bin/pip install torchfix==0.7.0, then --torchfix "
            ".venv-torchfix/bin/torchfix (or --skip-peer)"
        )
    with tempfile.TemporaryDirectory(prefix="throughput-") as scratch:
        root = Path(workdir or scratch).resolve()
        root.mkdir(parents=True, exist_ok=True)
        return run_benchmark(
            root, corpus, runs, peer_runs, startup_runs, jobs, legacy_files, ours, torchfix
        )


def build_corpora(root: Path, corpora: list[str], legacy_files: int) -> CorpusStats | None:
    """Write the corpora under `root`, replacing earlier ones; the legacy corpus's stats."""
    for name in [*corpora, COPIES, "startup"]:
        shutil.rmtree(root / name, ignore_errors=True)
    click.echo(f"building the corpora in {root}", err=True)
    (root / "startup").mkdir()
    (root / "startup" / "nothing_to_migrate.py").write_text(NOTHING_TO_MIGRATE)
    if "torch" in corpora:
        for package in ("torch", "torchvision"):
            copy_sources(package, root / "torch")
    if "real" in corpora:
        write_real_code_corpus(root / "real", files=600, seed=0)
    if "legacy" not in corpora:
        return None
    stats = write_legacy_corpus(root / "legacy", files=legacy_files, seed=0)
    for copy in range(4):
        shutil.copytree(root / "legacy", root / COPIES / f"copy_{copy}")
    return stats


def startup_times(root: Path, ours: str, runs: int) -> dict[str, float]:
    python = sys.executable
    commands = {
        "python -c pass": [python, "-c", "pass"],
        'python -c "import libcst"': [python, "-c", "import libcst"],
        "migrate-weights --version": [ours, "--version"],
        "migrate-weights FILE --check": [ours, "startup/nothing_to_migrate.py", "--check"],
    }
    return {
        label: statistics.median(run.seconds for run in repeat(label, command, root, runs))
        for label, command in commands.items()
    }


def by_turns(
    label: str, command: list[str], floor_label: str, floor: list[str], cwd: Path, runs: int
) -> tuple[list[Run], list[Run]]:
    """Ours and a floor run by turns, after one untimed run of each, so that each pair sees the
    machine at one speed: on a shared machine it moves within minutes."""
    measure(command, cwd)
    measure(floor, cwd)
    ours: list[Run] = []
    floors: list[Run] = []
    for index in range(runs):
        floors.append(measure(floor, cwd))
        ours.append(measure(command, cwd))
        check_exit(floor_label, floors[-1], (0,))
        check_exit(label, ours[-1], (0, 1))
        click.echo(
            f"{floor_label}: {floors[-1].seconds:.2f} s, {label}: {ours[-1].seconds:.2f} s "
            f"(run {index + 1}/{runs})",
            err=True,
        )
    return ours, floors


def check_command(ours: str, corpus: str, jobs: int) -> list[str]:
    return [ours, corpus, "--check", "-j", str(jobs)]


def corpus_rows(
    root: Path,
    name: str,
    ours: str,
    torchfix: str | None,
    jobs: int,
    runs: int,
    peer_runs: int,
    floor: tuple[str, list[str]] | None,
) -> tuple[list[Row], list[Run] | None]:
    """Ours on the corpus, by turns with its floor (`floor`: its label and command, if it has
    one), and on its four copies for the legacy corpus; then TorchFix. The rows, and the
    floor's runs."""
    rows, floor_runs = [], None
    targets = [(name, runs), (COPIES, 1)] if name == "legacy" else [(name, runs)]
    for corpus, times in targets:
        files, lines = count(root / corpus)
        command = check_command(ours, corpus, jobs)
        if floor is not None and corpus == name:
            measured, floor_runs = by_turns(f"{corpus}: ours", command, *floor, root, times)
        else:
            measured = repeat(f"{corpus}: ours", command, root, times)
        rows.append(
            Row(corpus, "migrate-weights", measured, files, lines, ours_findings(measured, files))
        )
    if torchfix is not None:
        # TorchFix takes minutes, in which the machine's speed may move: ours is run again after
        # each of its runs, and its ratio is taken to ours on both sides of them.
        peer = [torchfix, "--select", "TOR201", "-j", str(jobs), name]
        command = check_command(ours, name, jobs)
        measured, again = [], []
        for index in range(peer_runs):
            label = f"{name}: TorchFix ({index + 1}/{peer_runs})"
            measured += repeat(label, peer, root, 1, warm_up=False)
            again += repeat(f"{name}: {OURS_AGAIN}", command, root, runs, warm_up=False)
        files, lines = rows[0].files, rows[0].lines
        rows.append(Row(name, "TorchFix", measured, files, lines, torchfix_findings(measured)))
        rows.append(Row(name, OURS_AGAIN, again, files, lines, ours_findings(again, files)))
    return rows, floor_runs


def report(
    rows: list[Row],
    stats: CorpusStats | None,
    floor: list[Run] | None,
    startup: dict[str, float],
    jobs: int,
    peer: str,
) -> None:
    click.echo(
        f"\nmigrate-weights {version('migrate-weights')} (libcst {version('libcst')}) and {peer}"
        f", {jobs} processes each, on {os.cpu_count()} cores ({platform.machine()}, "
        f"Python {platform.python_version()}); corpora from torch {version('torch')}, "
        f"torchvision {version('torchvision')}\n"
    )
    print_table(rows)
    click.echo(
        "findings: ours = call sites rewritten (MW001), +N? left for a person (MW002/MW003), "
        "N! files failed; TorchFix = TOR201 reports\n"
    )
    if stats is not None:
        forms = ", ".join(f"{form} {n}" for form, n in stats.sites_per_form.most_common())
        missing = sum(len(names) for names in stats.uncovered().values())
        click.echo(
            f"legacy corpus: {stats.expected_rewrites:,} legacy sites generated (the MW001 "
            f"findings a correct run reports), {stats.builder_calls:,} of them builder calls; "
            f"{forms}; every builder in every form it applies to: "
            + (f"no, {missing} pairs missing (too few files)" if missing else "yes")
        )
    ours = {row.corpus: row for row in rows if row.tool == "migrate-weights"}
    again = {row.corpus: row for row in rows if row.tool == OURS_AGAIN}
    for row in rows:
        if row.tool == "TorchFix":
            around = [*ours[row.corpus].runs, *again[row.corpus].runs]
            ratio = row.median / statistics.median(run.seconds for run in around)
            target = 1000 if row.corpus == "torch" else 50
            click.echo(
                f"{row.corpus}: migrate-weights / TorchFix throughput {ratio:,.1f}x "
                f"(target >= {target}x)"
            )
    if floor is not None:
        floor_median = statistics.median(run.seconds for run in floor)
        click.echo(
            f"torch: read-and-scan floor {floor_median:.2f} s ({floor[-1].stdout.strip()} files "
            f"say `pretrained`); migrate-weights takes {ours['torch'].median / floor_median:.1f}x "
            f"the floor (target <= 3x)"
        )
    click.echo("\nstart-up, median of --startup-runs:")
    for label, seconds in startup.items():
        click.echo(f"  {label:32} {seconds * 1000:7.0f} ms")
    ratio = startup["migrate-weights FILE --check"] / startup['python -c "import libcst"']
    click.echo(f"  one-file --check / import libcst: {ratio:.2f} (target <= 0.5)")
    peaks = ", ".join(f"{row.corpus} {mib(row.peak_rss)}" for row in ours.values())
    click.echo(f"\npeak RSS of our runs (largest process): {peaks}")


def run_benchmark(
    root: Path,
    corpus: str,
    runs: int,
    peer_runs: int,
    startup_runs: int,
    jobs: int,
    legacy_files: int,
    ours: str,
    torchfix: str | None,
) -> int:
    corpora = ["legacy", "real", "torch"] if corpus == "all" else [corpus]
    stats = build_corpora(root, corpora, legacy_files)
    compile_bytecode()
    os.sync()
    startup = startup_times(root, ours, startup_runs)
    floors = {
        "torch": ("read-and-scan floor", [sys.executable, "-c", SCAN, "torch"]),
        "real": ("read-and-parse floor", [sys.executable, "-c", PARSE, "real"]),
    }
    rows, floor_runs = [], {}
    for name in corpora:
        corpus, runs_of_floor = corpus_rows(
            root, name, ours, torchfix, jobs, runs, peer_runs, floors.get(name)
        )
        rows += corpus
        floor_runs[name] = runs_of_floor
    floor, parse_floor = floor_runs.get("torch"), floor_runs.get("real")
    peer = "no peer"
    if torchfix is not None:
        peer = f"TorchFix {measure([torchfix, '--version'], root).stdout.strip()}"
    report(rows, stats, floor, startup, jobs, peer)
    if parse_floor is not None:
        real = next(row for row in rows if row.corpus == "real" and row.tool == "migrate-weights")
        floor_median = statistics.median(run.seconds for run in parse_floor)
        taken = paths_taken(root / "real")
        click.echo(
            f"real: files with legacy calls by path: fast {taken['fast']}, full {taken['full']}"
            f" ({taken['fast'] / max(1, sum(taken.values())):.1%} fast, target >= 97%); "
            f"read-and-parse floor {floor_median:.2f} s, migrate-weights takes "
            f"{real.median / floor_median:.1f}x it (target <= 4x)"
        )
    return 0


def main() -> int:
    try:
        return benchmark.main(standalone_mode=False)
    except click.ClickException as error:
        error.show()
        return 2


if __name__ == "__main__":
    sys.exit(main())
