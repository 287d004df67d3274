"""Benchmarks `budgetlint check` on a workbook of 1,000 附件2 forms against python-calamine reading its cells.

    python benches/forms_bench.py [--forms 1000] [--per-sheet 50] [--repeat 5] [--budgetlint PATH] [--keep DIR]

Generates (tests/fixtures/forms.py, ``many_forms``) one .xlsx of `forms` clean 附件2 跟踪分析表 stacked
`per-sheet` to a sheet (one budget unit per sheet, the same project names in every unit), then runs, each in a
fresh process and `--repeat` times with their runs alternating (the order swapped every turn):
  * `budgetlint check WORKBOOK --format json`;
  * python-calamine reading every cell of every sheet (`CalamineWorkbook.from_path(…)`, `to_python()` per sheet);
and prints the median wall time of each and their ratio, against the issue's target: check < 2× the raw read.
The workbook is clean: the findings above info and the number of forms read are printed as a check (expect 0
and `forms`).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # makes tests/fixtures importable as "fixtures"

from fixtures import forms  # noqa: E402

TARGET = 2.0
CALAMINE_READ = """
import sys
from python_calamine import CalamineWorkbook
book = CalamineWorkbook.from_path(sys.argv[1])
cells = 0
for name in book.sheet_names:
    for row in book.get_sheet_by_name(name).to_python():
        cells += len(row)
print(cells)
"""


def find_budgetlint(given: str | None) -> str:
    if given:
        return given
    for candidate in (shutil.which("budgetlint", path=str(Path(sys.executable).parent)), shutil.which("budgetlint"),
                      str(REPO / ".venv" / "bin" / "budgetlint")):
        if candidate and Path(candidate).exists():
            return candidate
    raise SystemExit("budgetlint not found: install the package (release build) or pass --budgetlint PATH")


def timed(command: list[str]) -> tuple[float, int, bytes]:
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start, done.returncode, done.stdout


def interleaved(commands: dict[str, list[str]], repeat: int) -> dict[str, list[tuple[float, int, bytes]]]:
    """Each command `repeat` times, taken in turn (the order swapped every turn): on a machine whose speed
    drifts (a shared VM), each command then sees the same spells of slow and fast."""
    runs: dict[str, list[tuple[float, int, bytes]]] = {name: [] for name in commands}
    names = list(commands)
    for turn in range(repeat):
        for name in names if turn % 2 == 0 else reversed(names):
            runs[name].append(timed(commands[name]))
    return runs


def summary_of_check(stdout: bytes) -> str:
    data = json.loads(stdout)
    rules: dict[str, int] = {}
    for finding in data["findings"]:
        if finding["severity"] != "info":
            rules[finding["rule"]] = rules.get(finding["rule"], 0) + 1
    return f"findings above info: {sum(rules.values())} {rules or ''}"


def forms_read(workbook: Path) -> str:
    try:
        import budgetlint
    except ImportError:
        return "forms read: (budgetlint not importable here)"
    frames, indicators = budgetlint.read_forms(workbook)
    return f"forms read: {frames.height:,}, indicators: {indicators.height:,}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", type=int, default=1000)
    parser.add_argument("--per-sheet", type=int, default=forms.BENCH_PER_SHEET)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--budgetlint", default=None, help="the budgetlint executable (default: on PATH or .venv/bin)")
    parser.add_argument("--keep", type=Path, default=None, help="write the workbook here and keep it")
    args = parser.parse_args()
    exe = find_budgetlint(args.budgetlint)

    with tempfile.TemporaryDirectory() as scratch:
        directory = args.keep or Path(scratch)
        directory.mkdir(parents=True, exist_ok=True)
        start = time.perf_counter()
        workbook = forms.many_forms(directory, n=args.forms, per_sheet=args.per_sheet).path
        sheets = -(-args.forms // args.per_sheet)
        print(f"generated {args.forms:,} forms on {sheets} sheets in {time.perf_counter() - start:.1f} s: "
              f"{workbook.name} ({workbook.stat().st_size / 1e6:.1f} MB)")
        commands = {
            "check": [exe, "check", str(workbook), "--format", "json"],
            "calamine": [sys.executable, "-c", CALAMINE_READ, str(workbook)],
        }
        runs = interleaved(commands, args.repeat)
        check_note = summary_of_check(runs["check"][0][2])
        cells = runs["calamine"][0][2].decode().strip()
        read_note = forms_read(workbook)

    labels = {"check": "budgetlint check --format json", "calamine": "python-calamine, every cell of every sheet"}
    width = max(map(len, labels.values())) + 2
    print(f"median of {args.repeat} runs, each a fresh process, alternating ({exe}):")
    medians = {}
    for name, label in labels.items():
        medians[name] = statistics.median(seconds for seconds, _, _ in runs[name])
        codes = ",".join(sorted({str(code) for _, code, _ in runs[name]}))
        note = f"{check_note}; {read_note}" if name == "check" else f"{cells} cells"
        print(f"  {label:<{width}}  {medians[name] * 1000:8.0f} ms  exit {codes}  {note}")
    ratio = medians["check"] / medians["calamine"]
    verdict = "ok" if ratio < TARGET else "OVER TARGET"
    print(f"  {'check / python-calamine':<{width}}  {ratio:8.2f}×  (target < {TARGET:g}×, {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
