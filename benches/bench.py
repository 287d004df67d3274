"""Benchmarks budgetlint against named alternatives on a generated 100,000-row 附件1, in one run.

    python benches/bench.py [--rows 100000] [--repeat 5]

Prints the median wall time of each command and the ratios the issues set targets for:
  * `budgetlint extract` vs python-calamine's raw read (`CalamineWorkbook…to_python()`), both as a
    fresh process and in-process (`budgetlint.read_list` vs the same raw read);
  * `budgetlint check --format json` vs `budgetlint extract` on the same file;
  * `budgetlint check -o OUT.xlsx` (the annotated workbook) vs benches/openpyxl_check.py, an openpyxl
    script doing the same ratio and total checks and writing a highlighted copy;
  * `budgetlint check -o OUT.xlsx` vs benches/analyst_script.py, the fastest script an analyst would
    write instead: polars + fastexcel (calamine) to read, polars expressions to check, XlsxWriter in
    constant_memory mode to write a marked copy with a 检查结果 column. The runs of these three and of
    the raw read (process) alternate;
  * `budgetlint check -o OUT.xlsx` vs python-calamine's raw read (process): writing the annotated
    workbook should cost little more than reading the input.
Needs the package installed in release mode (the README's quick start does that) and the `bench` extra.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

import xlsxwriter

DEPARTMENTS = ["综合办公室", "城市管理办公室", "党群工作办公室", "民生保障办公室", "平安建设办公室", "社区建设办公室", "市民服务中心"]
HEADER = ["序号", "实施部室", "项目名称", "年初预算金额", "调整后预算金额", "实际支出金额", "预算支出比例", "偏差原因"]


def generate(path: Path, rows: int, seed: int = 2020) -> None:
    """A 附件1 with `rows` projects: amounts to 0.01 万元, ratios as % cells, one ratio in 50 wrong."""
    rng = random.Random(seed)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("附件1")
    amount = book.add_format({"num_format": "#,##0.00"})
    percent = book.add_format({"num_format": "0.00%"})
    sheet.write_row(0, 0, ["西城区区级项目支出绩效跟踪清单"])
    sheet.write_row(1, 0, ["单位名称：北京市西城区人民政府月坛街道办事处", "", "", "", "", "", "单位：万元"])
    sheet.write_row(2, 0, HEADER)
    totals = [Decimal(0)] * 3
    for i in range(rows):
        row = 3 + i
        initial = Decimal(rng.randint(1_000, 500_000)) / 100
        adjusted = (initial * Decimal(rng.randint(60, 130)) / 100).quantize(Decimal("0.01"))
        actual = (adjusted * Decimal(rng.randint(70, 100)) / 100).quantize(Decimal("0.01"))
        ratio = (actual / adjusted).quantize(Decimal("0.0001")) if adjusted else Decimal(0)
        if i % 50 == 7:
            ratio = Decimal(1)
        sheet.write_number(row, 0, i + 1)
        sheet.write_string(row, 1, DEPARTMENTS[(i * len(DEPARTMENTS)) // rows])
        sheet.write_string(row, 2, f"项目{i + 1:06d}")
        for col, value in zip((3, 4, 5), (initial, adjusted, actual)):
            sheet.write_number(row, col, float(value), amount)
        sheet.write_number(row, 6, float(ratio), percent)
        sheet.write_string(row, 7, "受疫情影响" if ratio < Decimal("0.9") else "")
        totals = [t + v for t, v in zip(totals, (initial, adjusted, actual))]
    total_row = 3 + rows
    sheet.write_string(total_row, 0, "合计")
    for col, value in zip((3, 4, 5), totals):
        sheet.write_number(total_row, col, float(value), amount)
    sheet.write_number(total_row, 6, float((totals[2] / totals[1]).quantize(Decimal("0.0001"))), percent)
    book.close()


def median_seconds(command: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def interleaved_medians(commands: list[list[str]], repeats: list[int]) -> list[float]:
    """Median wall time of each command, their runs taken in turn: on a machine whose speed drifts
    (a shared VM), each command then sees the same spells of slow and fast."""
    times: list[list[float]] = [[] for _ in commands]
    for turn in range(max(repeats)):
        for command, repeat, runs in zip(commands, repeats, times):
            if turn < repeat:
                runs.append(median_seconds(command, 1))
    return [statistics.median(runs) for runs in times]


def median_in_process(work, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    import budgetlint
    from python_calamine import CalamineWorkbook

    exe = shutil.which("budgetlint", path=str(Path(sys.executable).parent)) or "budgetlint"
    with tempfile.TemporaryDirectory() as directory:
        workbook = Path(directory) / "附件1-100k.xlsx"
        start = time.perf_counter()
        generate(workbook, args.rows)
        print(f"generated {args.rows:,} rows in {time.perf_counter() - start:.1f} s ({workbook.stat().st_size / 1e6:.1f} MB)")
        out = Path(directory) / "out.parquet"
        raw_read = f"from python_calamine import CalamineWorkbook; CalamineWorkbook.from_path({str(workbook)!r}).get_sheet_by_index(0).to_python()"

        analyst = [sys.executable, str(Path(__file__).with_name("analyst_script.py")), str(workbook), str(Path(directory) / "analyst.xlsx")]
        # The timed runs discard output and exit codes; one checked run first, so a missing fastexcel
        # or a wrong result shows here instead of as a fast failure timed as a fast script.
        print(f"analyst script: {subprocess.run(analyst, check=True, capture_output=True, text=True).stdout.strip()}")
        # The raw read takes its turn with them: the annotated copy's target is a ratio to it.
        annotated, openpyxl, analyst_seconds, raw_read_seconds = interleaved_medians(
            [
                [exe, "check", str(workbook), "-o", str(Path(directory) / "annotated.xlsx")],
                [sys.executable, str(Path(__file__).with_name("openpyxl_check.py")), str(workbook), str(Path(directory) / "openpyxl.xlsx")],
                analyst,
                [sys.executable, "-c", raw_read],
            ],
            [args.repeat, min(args.repeat, 3), args.repeat, args.repeat],
        )
        figures = {
            "python-calamine raw read (process)": raw_read_seconds,
            "budgetlint extract -o parquet (process)": median_seconds([exe, "extract", str(workbook), "-o", str(out)], args.repeat),
            "budgetlint check --format json (process)": median_seconds([exe, "check", str(workbook), "--format", "json"], args.repeat),
            "python-calamine raw read (in-process)": median_in_process(
                lambda: CalamineWorkbook.from_path(str(workbook)).get_sheet_by_index(0).to_python(), args.repeat
            ),
            "budgetlint.read_list (in-process)": median_in_process(lambda: budgetlint.read_list(workbook), args.repeat),
            "budgetlint check -o annotated.xlsx (process)": annotated,
            "openpyxl check + highlighted copy (process)": openpyxl,
            "analyst script (polars + XlsxWriter) (process)": analyst_seconds,
        }
    ratios = [
        ("extract / python-calamine (process)", figures["budgetlint extract -o parquet (process)"], figures["python-calamine raw read (process)"], 1.5),
        ("read_list / python-calamine (in-process)", figures["budgetlint.read_list (in-process)"], figures["python-calamine raw read (in-process)"], 1.5),
        ("check --format json / extract", figures["budgetlint check --format json (process)"], figures["budgetlint extract -o parquet (process)"], 1.3),
        (
            "budgetlint check -o xlsx / python-calamine raw read (process)",
            figures["budgetlint check -o annotated.xlsx (process)"],
            figures["python-calamine raw read (process)"],
            1.5,
        ),
    ]
    # Alternatives that budgetlint should beat by a factor: theirs / ours, target a lower bound.
    speedups = [
        ("openpyxl / budgetlint check -o xlsx", figures["openpyxl check + highlighted copy (process)"], 15),
        ("analyst script (polars + XlsxWriter) / budgetlint check -o xlsx", figures["analyst script (polars + XlsxWriter) (process)"], 6),
    ]
    width = max(len(name) for name in [*figures, *(r[0] for r in ratios), *(s[0] for s in speedups)])
    print(f"median of {args.repeat} runs, {args.rows:,} rows:")
    for name, seconds in figures.items():
        print(f"  {name:<{width}}  {seconds * 1000:8.0f} ms")
    for name, ours, theirs, target in ratios:
        verdict = "ok" if ours / theirs <= target else "OVER TARGET"
        print(f"  {name:<{width}}  {ours / theirs:8.2f}×  (target ≤ {target}×, {verdict})")
    for name, theirs, target in speedups:
        speedup = theirs / figures["budgetlint check -o annotated.xlsx (process)"]
        verdict = "ok" if speedup >= target else "UNDER TARGET"
        print(f"  {name:<{width}}  {speedup:8.2f}×  (target ≥ {target}×, {verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
