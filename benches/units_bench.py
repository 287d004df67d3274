"""Benchmarks `budgetlint check` on many unit sheets against one sheet of as many rows, in one run.

    python benches/units_bench.py [--units 200] [--projects 500] [--rows 100000] [--repeat 5] [--budgetlint PATH]

Generates (tests/fixtures/units.py) a workbook of `units` unit sheets × `projects` projects, every unit
with the same project names and other figures (FORMATS.md §1.1), and a single 附件1 of `rows` projects
(by default as many rows in all), then runs `budgetlint check --format json` on each `--repeat` times,
their runs alternating, and prints the median wall time and the median peak RSS of each and the ratios
the issue sets targets for: many sheets ≤ 1.3× the time and ≤ 1.3× the memory of the one sheet.
Peak RSS per run comes from `/usr/bin/time -f %M` when present, else psutil, else by polling the child's
VmHWM in /proc. Both workbooks are clean: the findings above info are printed as a check (expect 0).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # makes tests/fixtures importable as "fixtures"

from fixtures import units  # noqa: E402

TIME = Path("/usr/bin/time")


def find_budgetlint(given: str | None) -> str:
    if given:
        return given
    for candidate in (shutil.which("budgetlint", path=str(Path(sys.executable).parent)), shutil.which("budgetlint"),
                      str(REPO / ".venv" / "bin" / "budgetlint")):
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit("budgetlint not found: install the package (release build) or pass --budgetlint PATH")


class Run:
    """One run of a command: wall seconds, peak resident set size in bytes, exit code, stdout."""

    def __init__(self, seconds: float, peak_rss: int, returncode: int, stdout: bytes):
        self.seconds, self.peak_rss, self.returncode, self.stdout = seconds, peak_rss, returncode, stdout


def run_with_time(command: list[str]) -> Run:
    """GNU time's %M: the child's maximum resident set size in KiB."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        start = time.perf_counter()
        done = subprocess.run([str(TIME), "-f", "%M", "-o", report.name, *command], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=False)
        seconds = time.perf_counter() - start
        lines = [line for line in Path(report.name).read_text().splitlines() if line.strip()]
    return Run(seconds, int(lines[-1]) * 1024, done.returncode, done.stdout)


def run_polling(command: list[str]) -> Run:
    """Without /usr/bin/time: psutil's RSS, or VmHWM from /proc, sampled every few milliseconds."""
    try:
        import psutil
    except ImportError:
        psutil = None
    peak = 0
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    chunks: list[bytes] = []
    reader = threading.Thread(target=lambda: chunks.append(child.stdout.read()), daemon=True)
    reader.start()
    watched = psutil.Process(child.pid) if psutil else None
    status = Path(f"/proc/{child.pid}/status")
    while child.poll() is None:
        try:
            if watched is not None:
                peak = max(peak, watched.memory_info().rss)
            else:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) * 1024)
        except Exception:  # the child exited between poll() and the read (OSError, psutil.NoSuchProcess)
            pass
        time.sleep(0.005)
    seconds = time.perf_counter() - start
    reader.join()
    return Run(seconds, peak, child.returncode, b"".join(chunks))


def measure(command: list[str]) -> Run:
    return run_with_time(command) if TIME.exists() else run_polling(command)


def interleaved(commands: dict[str, list[str]], repeat: int) -> dict[str, list[Run]]:
    """Each command `repeat` times, taken in turn (the order swapped every turn): on a machine whose
    speed drifts (a shared VM), each command then sees the same spells of slow and fast."""
    runs: dict[str, list[Run]] = {name: [] for name in commands}
    names = list(commands)
    for turn in range(repeat):
        for name in names if turn % 2 == 0 else reversed(names):
            runs[name].append(measure(commands[name]))
    return runs


def findings_above_info(run: Run) -> tuple[int, dict[str, int]]:
    data = json.loads(run.stdout)
    rules: dict[str, int] = {}
    for finding in data["findings"]:
        if finding["severity"] != "info":
            rules[finding["rule"]] = rules.get(finding["rule"], 0) + 1
    return sum(rules.values()), rules


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=200)
    parser.add_argument("--projects", type=int, default=500)
    parser.add_argument("--rows", type=int, default=None, help="rows of the single sheet (default units × projects)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budgetlint", default=None, help="the budgetlint executable (default: on PATH or .venv/bin)")
    parser.add_argument("--keep", type=Path, default=None, help="write the workbooks here and keep them")
    args = parser.parse_args()
    rows = args.rows if args.rows is not None else args.units * args.projects
    exe = find_budgetlint(args.budgetlint)

    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        many = units.many_unit_sheets(directory, units=args.units, projects=args.projects).path
        one = units.one_big_sheet(directory, rows=rows).path
        print(f"generated in {time.perf_counter() - start:.1f} s: {many.name} ({many.stat().st_size / 1e6:.1f} MB), "
              f"{one.name} ({one.stat().st_size / 1e6:.1f} MB)")
        labels = {
            "many": f"{args.units} unit sheets × {args.projects} projects",
            "one": f"one sheet × {rows:,} rows",
        }
        commands = {
            "many": [exe, "check", str(many), "--format", "json"],
            "one": [exe, "check", str(one), "--format", "json"],
        }
        runs = interleaved(commands, args.repeat)

    how = "/usr/bin/time -f %M" if TIME.exists() else "polling (psutil or /proc VmHWM)"
    width = max(len(label) for label in [*labels.values(), "many sheets / one sheet, peak RSS"])
    print(f"budgetlint check --format json, median of {args.repeat} runs ({exe}; peak RSS by {how}):")
    medians = {}
    for name, label in labels.items():
        seconds = statistics.median(r.seconds for r in runs[name])
        rss = statistics.median(r.peak_rss for r in runs[name])
        medians[name] = (seconds, rss)
        count, rules = findings_above_info(runs[name][0])
        codes = sorted({r.returncode for r in runs[name]})
        print(f"  {label:<{width}}  {seconds * 1000:8.0f} ms  {rss / 2**20:8.1f} MiB  "
              f"exit {','.join(map(str, codes))}  findings above info: {count} {rules or ''}")
    for what, index in (("time", 0), ("peak RSS", 1)):
        ratio = medians["many"][index] / medians["one"][index]
        verdict = "ok" if ratio <= 1.3 else "OVER TARGET"
        print(f"  {'many sheets / one sheet, ' + what:<{width}}  {ratio:8.2f}×  (target ≤ 1.3×, {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
