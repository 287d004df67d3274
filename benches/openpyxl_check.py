"""The alternative budgetlint is measured against: an openpyxl script doing the same ratio and total
checks on a 附件1 (header on row 3, 项目名称 in C, amounts in D–F, ratio in G) and writing a copy
with each inconsistent cell filled red. It uses a fixed tolerance, not the rounding model.

    python benches/openpyxl_check.py IN.xlsx OUT.xlsx
"""

from __future__ import annotations

import sys
from decimal import Decimal

import openpyxl
from openpyxl.comments import Comment
from openpyxl.styles import PatternFill

RED = PatternFill("solid", fgColor="FFC7CE")


def main(source: str, target: str) -> int:
    book = openpyxl.load_workbook(source)
    sheet = book.worksheets[0]
    sums = [Decimal(0)] * 3
    findings = 0
    for row in sheet.iter_rows(min_row=4):
        label, amounts, ratio = row[0].value, [c.value for c in row[3:6]], row[6]
        if label == "合计":
            for cell, total in zip(row[3:6], sums):
                if cell.value is not None and abs(Decimal(str(cell.value)) - total) > Decimal("0.01") * 3:
                    cell.fill, cell.comment = RED, Comment(f"合计应为 {total}", "check")
                    findings += 1
            continue
        if None in amounts[1:] or ratio.value is None:
            continue
        sums = [s + Decimal(str(a or 0)) for s, a in zip(sums, amounts)]
        adjusted, actual = Decimal(str(amounts[1])), Decimal(str(amounts[2]))
        if adjusted and abs(actual / adjusted - Decimal(str(ratio.value))) > Decimal("0.0001"):
            ratio.fill, ratio.comment = RED, Comment(f"应为 {actual / adjusted:.2%}", "check")
            findings += 1
    book.save(target)
    print(f"{findings} findings")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], sys.argv[2]))
