"""Benchmarks `budgetlint batch` on a generated period's inbox, against the same work file by file in openpyxl.

    python benches/batch_bench.py [--units 1000] [--openpyxl-files 200] [--budgetlint PATH] [--keep DIR]

Generates (tests/fixtures/submissions.py) `units` submissions of 20–200 projects each: every unit an
附件1, a third of them an 附件2 file with one 跟踪分析表 per project as well, 2% of the 附件1s corrupt;
then prints, from one run each:
  * `budgetlint batch INBOX --out-dir OUT --jobs 1` and `--jobs 2`: wall time, files per second, the
    speed-up from 1 to 2 jobs, peak RSS (targets: ≥ 100 files/s with 2 jobs on 2 cores, ≥ 1.8×);
  * peak RSS of `--jobs 2` on the first quarter of the units, against all of them (flat in the number of
    files: the ratio should stay near 1);
  * benches/openpyxl_check.py, the same checks and a marked copy per file, run file by file in one
    Python process over `--openpyxl-files` files taken evenly from the inbox (its files per second hold
    for the whole inbox: each file is done alone).
Needs the package installed in release mode (`maturin develop --release`) and the `bench` extra.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # tests/fixtures as "fixtures"
sys.path.insert(0, str(REPO / "benches"))

from fixtures import submissions  # noqa: E402
from units_bench import TIME, find_budgetlint, measure  # noqa: E402


def batch(exe: str, inbox: Path, out: Path, jobs: int):
    """One run: wall time and peak RSS (units_bench.measure), plus the CPU seconds it used (user + sys)."""
    shutil.rmtree(out, ignore_errors=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = measure([exe, "batch", str(inbox), "--out-dir", str(out), "--jobs", str(jobs), "--quiet"])
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    run.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return run


def openpyxl_file_by_file(files: list[Path], out: Path) -> tuple[float, int]:
    """benches/openpyxl_check.py's main() on each file in turn, in this process; (seconds, files done)."""
    import contextlib
    import io

    import openpyxl_check

    out.mkdir(parents=True, exist_ok=True)
    done = 0
    start = time.perf_counter()
    for i, path in enumerate(files):
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                openpyxl_check.main(str(path), str(out / f"{i}.checked.xlsx"))
            done += 1
        except Exception:  # a corrupt file: the script stops on it, the loop goes on
            pass
    return time.perf_counter() - start, done


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=1000)
    parser.add_argument("--openpyxl-files", type=int, default=200)
    parser.add_argument("--budgetlint", default=None)
    parser.add_argument("--keep", type=Path, default=None, help="generate the inbox here and keep it")
    args = parser.parse_args()
    exe = find_budgetlint(args.budgetlint)
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch)
        inbox, quarter = root / "inbox", root / "quarter"
        start = time.perf_counter()
        if not inbox.exists():
            submissions.inbox(inbox, args.units, seed=2020)
        if not quarter.exists():
            submissions.inbox(quarter, args.units // 4, seed=2020)
        files = sorted(p for p in inbox.rglob("*.xlsx"))
        size = sum(p.stat().st_size for p in files)
        print(f"inbox: {args.units} submissions, {len(files)} files, {size / 1e6:.1f} MB "
              f"(generated in {time.perf_counter() - start:.0f} s)")

        one = batch(exe, inbox, root / "out1", 1)
        two = batch(exe, inbox, root / "out2", 2)
        small = batch(exe, quarter, root / "out3", 2)
        sample = files[:: max(1, len(files) // args.openpyxl_files)][: args.openpyxl_files]
        op_seconds, op_done = openpyxl_file_by_file(sample, root / "openpyxl")

    how = "/usr/bin/time -f %M" if TIME.exists() else "polling"
    n = len(files)
    rate1, rate2 = n / one.seconds, n / two.seconds
    op_rate = len(sample) / op_seconds
    load = os.getloadavg()[0]
    print(f"budgetlint batch ({exe}; one run each; peak RSS by {how}; load average {load:.1f} on {os.cpu_count()} cores):")
    print(f"  --jobs 1   {one.seconds:7.1f} s  {rate1:7.1f} files/s  {one.peak_rss / 2**20:7.1f} MiB  exit {one.returncode}"
          f"  CPU {one.cpu:.1f} s ({one.cpu / n * 1000:.1f} ms a file)")
    print(f"  --jobs 2   {two.seconds:7.1f} s  {rate2:7.1f} files/s  {two.peak_rss / 2**20:7.1f} MiB  exit {two.returncode}"
          f"  CPU {two.cpu:.1f} s  (target ≥ 100 files/s: {'ok' if rate2 >= 100 else 'UNDER TARGET'})")
    speedup = rate2 / rate1
    print(f"  1 → 2 jobs {speedup:7.2f}×  (target ≥ 1.8×: {'ok' if speedup >= 1.8 else 'UNDER TARGET'})")
    print(f"  peak RSS, {args.units // 4} → {args.units} submissions (--jobs 2): {small.peak_rss / 2**20:.1f} → "
          f"{two.peak_rss / 2**20:.1f} MiB ({two.peak_rss / max(small.peak_rss, 1):.2f}×)")
    print(f"openpyxl_check.py file by file, one process: {len(sample)} files ({op_done} read) in {op_seconds:.1f} s, "
          f"{op_rate:.1f} files/s; budgetlint batch --jobs 1 is {rate1 / op_rate:.1f}× that, --jobs 2 {rate2 / op_rate:.1f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
