"""Time and peak memory on a big 附件1 (issue 14's targets), against python-calamine's raw read, in one run.

    python benches/big_files.py [--rows 1000000] [--repeat 2] [--budgetlint PATH] [--against PATH] [--keep DIR]

Generates the list with benches/bench.py's generator (1,000,000 rows: 48.5 MB, 8 million cells, so the
commands pass `--limit max_cells_per_sheet=20000000`), then runs, alternating, each `--repeat` times:
python-calamine's raw read (`to_python()`, a fresh process), `budgetlint check --format json` and
`budgetlint check -o annotated.xlsx`, and the same two commands with the `--against` binary (an earlier
build) when given. Each run's wall time and peak RSS come from GNU time (`/usr/bin/time -f "%e %M"`).
Prints every run, then the medians and the ratios the issue sets targets for: check ≤ 1.3× the raw
read and ≤ 400 MB; the annotated copy ≤ 2× the raw read and ≤ 600 MB.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench import generate  # noqa: E402

LIMIT = ["--limit", "max_cells_per_sheet=20000000"]


def timed(command: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS in MiB of one run."""
    done = subprocess.run(["/usr/bin/time", "-f", "%e %M", *command], capture_output=True, text=True)
    seconds, kilobytes = done.stderr.strip().splitlines()[-1].split()
    return float(seconds), int(kilobytes) / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--budgetlint", default="target/release/budgetlint", help="the binary measured (cargo build --release)")
    parser.add_argument("--against", help="an earlier budgetlint binary, run beside it")
    parser.add_argument("--keep", help="a folder to keep (and reuse) the generated workbook in")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(args.keep or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        workbook = folder / f"{args.rows}.xlsx"
        if not workbook.exists():
            generate(workbook, args.rows)
        copy = Path(scratch) / "annotated.xlsx"
        raw_read = f"from python_calamine import CalamineWorkbook; CalamineWorkbook.from_path({str(workbook)!r}).get_sheet_by_index(0).to_python()"
        commands = {"python-calamine raw read": [sys.executable, "-c", raw_read]}
        binaries = {"": args.budgetlint, " (against)": args.against} if args.against else {"": args.budgetlint}
        for suffix, exe in binaries.items():
            commands[f"check --format json{suffix}"] = [exe, "check", str(workbook), "--format", "json", "--fail-on", "never", *LIMIT]
            commands[f"check -o annotated.xlsx{suffix}"] = [exe, "check", str(workbook), "-o", str(copy), "--fail-on", "never", *LIMIT]
        runs: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for round_ in range(args.repeat):
            for name, command in commands.items():
                seconds, mib = timed(command)
                runs[name].append((seconds, mib))
                print(f"[{round_ + 1}] {name}: {seconds:.2f} s, {mib:.0f} MiB", flush=True)

    median = {name: (statistics.median(s for s, _ in r), max(m for _, m in r)) for name, r in runs.items()}
    print(f"\n{args.rows:,} rows, median of {args.repeat} (peak: the largest of the runs)")
    for name, (seconds, mib) in median.items():
        print(f"  {name:36s} {seconds:7.2f} s  {mib:6.0f} MiB")
    raw = median["python-calamine raw read"][0]
    print("targets:")
    for name, ratio, mb in [("check --format json", 1.3, 400), ("check -o annotated.xlsx", 2.0, 600)]:
        seconds, mib = median[name]
        megabytes = mib * 1.048576
        print(f"  {name:36s} {seconds / raw:.2f}× the raw read (≤ {ratio}×)  {megabytes:.0f} MB (≤ {mb} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
