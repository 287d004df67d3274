"""The fastest script an analyst would write instead of budgetlint: polars (calamine through fastexcel)
reads the 附件1, polars expressions redo the ratio and total checks, XlsxWriter writes a marked copy.

    python benches/analyst_script.py IN.xlsx OUT.xlsx

Layout it assumes (what benches/bench.py generates): a title row, a 单位名称 row, the header on row 3
(序号 实施部室 项目名称 年初预算金额 调整后预算金额 实际支出金额 预算支出比例 偏差原因), one row per project,
then a row whose first cell is 合计. Amounts are 万元 shown as #,##0.00, the ratio a fraction shown as 0.00%.
A ratio is flagged when, shown to 2 decimals of a percent, it differs from 实际支出金额 / 调整后预算金额
shown the same way; a 合计 amount when it is more than 0.005 off the column's sum, the 合计 ratio by the
projects' rule applied to the sums. Every input cell is written back, flagged cells filled red, and an extra 检查结果 column says what the value should be.
"""

from __future__ import annotations

import sys

import polars as pl
import xlsxwriter

HEADER_ROWS = 3  # title, 单位名称, header
SEQ, DEPT, NAME, INITIAL, ADJUSTED, ACTUAL, RATIO, REASON = (f"column_{i}" for i in range(8))
AMOUNTS = [INITIAL, ADJUSTED, ACTUAL]
NUMBERS = [*AMOUNTS, RATIO]
TOLERANCE = 0.005


def main(source: str, target: str) -> int:
    # One read for the whole grid, every column as text: the title and header rows sit above the
    # numbers, and a second read for them would parse the whole sheet again (calamine has no
    # "first rows only"). Text to Float64 gives the same doubles back, so nothing is lost. A typed read
    # with header_row=2 saves little, still needs the title rows, and infers 序号 as Int64, nulling 合计.
    grid = pl.read_excel(
        source,
        sheet_name="附件1",
        engine="calamine",
        read_options={"header_row": None, "dtypes": "string"},
        drop_empty_rows=False,
        drop_empty_cols=False,
    )
    top, body = grid.head(HEADER_ROWS), grid.slice(HEADER_ROWS)
    body = body.with_columns(
        pl.col(NUMBERS).cast(pl.Float64, strict=False),
        pl.col(SEQ).cast(pl.Int64, strict=False).alias("seq_number"),
        (pl.col(SEQ) == "合计").fill_null(False).alias("is_total"),
    )
    projects = ~pl.col("is_total")
    expected = (pl.col(ACTUAL) / pl.col(ADJUSTED)).round(4)
    body = body.with_columns(
        expected.alias("expected"),
        (
            projects
            & (pl.col(ADJUSTED) != 0)
            & pl.col(RATIO).is_not_null()
            & (pl.col(RATIO).round(4) != expected)
        )
        .fill_null(False)
        .alias("flagged"),
    )

    # 合计: the sums of the project rows against what the row states.
    sums = body.filter(projects).select(pl.col(AMOUNTS).sum()).row(0)
    total_marks: dict[int, dict[int, str]] = {}  # body row -> {column: what it should be}
    for index in body.with_row_index().filter("is_total")["index"].to_list():
        stated, marks = body.row(index, named=True), total_marks.setdefault(index, {})
        for col, name, total in zip((3, 4, 5), AMOUNTS, sums):
            if stated[name] is not None and abs(stated[name] - total) > TOLERANCE:
                marks[col] = f"合计应为 {total:,.2f}"
        if sums[1] and stated[RATIO] is not None:
            should = round(sums[2] / sums[1], 4)
            if round(stated[RATIO], 4) != should:
                marks[6] = f"合计比例应为 {should:.2%}"

    book = xlsxwriter.Workbook(target, {"constant_memory": True})
    sheet = book.add_worksheet("附件1")
    amount = book.add_format({"num_format": "#,##0.00"})
    percent = book.add_format({"num_format": "0.00%"})
    red_amount = book.add_format({"num_format": "#,##0.00", "bg_color": "#FFC7CE"})
    red_percent = book.add_format({"num_format": "0.00%", "bg_color": "#FFC7CE"})

    # Rows above the data are few and untyped here: numbers where the text is one, else text.
    for r, values in enumerate(top.rows()):
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            try:
                sheet.write_number(r, c, float(value))
            except ValueError:
                sheet.write_string(r, c, value)
    sheet.write_string(HEADER_ROWS - 1, 8, "检查结果")

    # Column lists zipped and typed write_* calls: XlsxWriter's per-cell Python work is most of the
    # run, and DataFrame.write_excel (add_table, generic write) is slower still and cannot run in
    # constant_memory mode. constant_memory needs the rows in order, which this loop gives.
    write_number, write_string = sheet.write_number, sheet.write_string
    columns = [body[name].to_list() for name in (SEQ, "seq_number", DEPT, NAME, *NUMBERS, REASON, "flagged", "expected")]
    flagged = 0
    for index, row in enumerate(zip(*columns)):
        label, seq, dept, name, initial, adjusted, actual, ratio, reason, bad, should = row
        r = HEADER_ROWS + index
        if seq is not None:
            write_number(r, 0, seq)
        elif label:
            write_string(r, 0, label)
        if dept:
            write_string(r, 1, dept)
        if name:
            write_string(r, 2, name)
        marks = total_marks.get(index)
        if marks is None:
            # A project row: only the ratio can be flagged.
            for c, value in ((3, initial), (4, adjusted), (5, actual)):
                if value is not None:
                    write_number(r, c, value, amount)
            if ratio is not None:
                write_number(r, 6, ratio, red_percent if bad else percent)
                if bad:
                    write_string(r, 8, f"应为 {should:.2%}")
                    flagged += 1
        else:
            for c, value in ((3, initial), (4, adjusted), (5, actual), (6, ratio)):
                if value is not None:
                    plain, red = (percent, red_percent) if c == 6 else (amount, red_amount)
                    write_number(r, c, value, red if c in marks else plain)
            if marks:
                write_string(r, 8, "；".join(marks.values()))
                flagged += len(marks)
        if reason:
            write_string(r, 7, reason)
    book.close()
    print(f"{flagged} flagged cells")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
