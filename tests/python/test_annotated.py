"""The annotated workbook, opened with openpyxl: fills and notes on exactly the finding cells, links,
live roll-up formulas with cached values, a chart, and the input's values, merges and widths kept."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

BIN = Path(sys.executable).parent / "budgetlint"
FILLS = {"FFFFC7CE": "error", "FFFFE699": "warning", "FFBDD7EE": "info"}


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, timeout=120)


def filled_cells(sheet) -> dict[str, str]:
    return {
        cell.coordinate: FILLS[cell.fill.fgColor.rgb]
        for row in sheet.iter_rows()
        for cell in row
        if cell.fill is not None and cell.fill.fgColor is not None and cell.fill.fgColor.rgb in FILLS
    }


@pytest.fixture(scope="module")
def seed_annotated(workbooks, budgetlint, tmp_path_factory):
    source = workbooks.path("seed_table1", "xlsx")
    out = tmp_path_factory.mktemp("annotated") / "seed.checked.xlsx"
    report = budgetlint.check(source, show_info=True)
    report.write_annotated(out)
    return source, out, report


def test_fills_and_notes_sit_on_exactly_the_finding_cells(seed_annotated):
    _, out, report = seed_annotated
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["检查结果", "表1", "重算汇总"]
    sheet = book["表1"]
    expected = {}
    for finding in report.findings.iter_rows(named=True):
        rank = ["info", "warning", "error"]
        current = expected.get(finding["cell"])
        expected[finding["cell"]] = max(current or "info", finding["severity"], key=rank.index)
    assert filled_cells(sheet) == expected
    for cell, _ in expected.items():
        note = sheet[cell].comment
        assert note is not None and note.author == "budgetlint"
    assert "A001" in sheet["G28"].comment.text and "98.69%" in sheet["G28"].comment.text


def test_results_sheet_counts_and_links_every_finding(seed_annotated):
    _, out, report = seed_annotated
    sheet = openpyxl.load_workbook(out)["检查结果"]
    rows = list(sheet.iter_rows(values_only=True))
    counts = {row[0]: row[1] for row in rows[3:6]}
    assert counts == {"错误": 5, "警告": 0, "提示": report.findings.filter(severity="info").height}
    header_row = next(i for i, row in enumerate(rows, start=1) if row[0] == "序号")
    links = [sheet.cell(row=r, column=3).hyperlink for r in range(header_row + 1, header_row + 1 + report.findings.height)]
    assert all(link is not None for link in links)
    targets = {link.location for link in links}
    assert targets == {f"'表1'!{cell}" for cell in report.findings["cell"]}
    assert sheet.auto_filter.ref == f"A{header_row}:J{header_row + report.findings.height}"


def test_rollup_formulas_are_live_and_cache_the_recomputed_values(seed_annotated):
    _, out, report = seed_annotated
    formulas = openpyxl.load_workbook(out)["重算汇总"]
    cached = openpyxl.load_workbook(out, data_only=True)["重算汇总"]
    summary = report.summary
    for i, line in enumerate(summary.iter_rows(named=True), start=2):
        if line["is_total"] == "true":
            assert formulas.cell(row=i, column=4).value == f"=SUM(D2:D{i - 1})"
        else:
            assert formulas.cell(row=i, column=4).value.startswith("=SUM('表1'!D")
        assert formulas.cell(row=i, column=7).value == f'=IF(E{i}=0,"",F{i}/E{i})'
        for column, name in [(4, "budget_initial"), (5, "budget_adjusted"), (6, "actual")]:
            assert Decimal(str(cached.cell(row=i, column=column).value)) == line[name]
    office = formulas.cell(row=2, column=5).value
    assert office == "=SUM('表1'!E4:E9)"  # 综合办公室: the first six projects, rows 4–9
    with zipfile.ZipFile(out) as archive:
        assert any(name.startswith("xl/charts/chart") for name in archive.namelist())


def test_the_input_survives_values_merges_widths_and_formats(seed_annotated):
    source, out, _ = seed_annotated
    before = openpyxl.load_workbook(source)["表1"]
    after = openpyxl.load_workbook(out)["表1"]
    assert {str(r) for r in after.merged_cells.ranges} == {str(r) for r in before.merged_cells.ranges}
    for letter, dimension in before.column_dimensions.items():
        if dimension.width:
            assert after.column_dimensions[letter].width == pytest.approx(dimension.width, abs=0.01), letter
    for row in before.iter_rows():
        for cell in row:
            twin = after[cell.coordinate]
            assert twin.value == cell.value, cell.coordinate
            if cell.value is not None:
                assert twin.number_format == cell.number_format, cell.coordinate
    assert after.freeze_panes == "A4"  # below the header on row 3


def test_formulas_are_kept_only_when_plain_and_text_stays_text(budgetlint, workbooks, tmp_path):
    source = tmp_path / "formulas.xlsx"
    book = xlsxwriter.Workbook(str(source))
    sheet = book.add_worksheet("附件1")
    sheet.write_row(0, 0, ["项目名称", "调整后预算金额", "实际支出金额", "预算支出比例", "备注"])
    sheet.write_row(1, 0, ["甲", 10, 10])
    sheet.write_row(2, 0, ["乙", 20, 20])
    sheet.write_formula(1, 3, "=C2/B2", None, 1)
    sheet.write_string(1, 4, "=1+1")
    sheet.write_formula(2, 4, '=WEBSERVICE("http://example.invalid/")', None, "离线")
    sheet.write_string(3, 0, "合计")
    sheet.write_formula(3, 1, "=SUM(B2:B3)", None, 30)
    sheet.write_formula(3, 2, "=SUM(C2:C3)", None, 30)
    book.close()
    out = tmp_path / "formulas.checked.xlsx"
    budgetlint.check(source).write_annotated(out)
    copy = openpyxl.load_workbook(out)["附件1"]
    assert copy["B4"].value == "=SUM(B2:B3)" and copy["D2"].value == "=C2/B2"
    assert copy["E2"].value == "=1+1" and copy["E2"].data_type == "s"
    assert copy["E3"].value == "离线"
    cached = openpyxl.load_workbook(out, data_only=True)["附件1"]
    assert cached["B4"].value == 30


def test_cli_writes_beside_inputs_or_to_a_folder_and_never_over_an_input(workbooks, tmp_path):
    source = tmp_path / "附件1.xlsx"
    source.write_bytes(workbooks.path("seed_table1", "xlsx").read_bytes())
    original = source.read_bytes()
    result = run("check", str(source), "-o", str(source))
    assert result.returncode == 2 and "输入" in result.stderr
    assert source.read_bytes() == original
    result = run("check", str(source), "--annotate")
    assert result.returncode == 1
    assert (tmp_path / "附件1.checked.xlsx").is_file()
    assert f"已写出标注工作簿： {tmp_path / '附件1.checked.xlsx'}" in result.stderr
    for ext in ["xls", "ods"]:
        (tmp_path / f"seed.{ext}").write_bytes(workbooks.path("seed_table1", ext).read_bytes())
    (tmp_path / "broken.xlsx").write_bytes(b"not a workbook")
    out_dir = tmp_path / "out"
    result = run("check", str(tmp_path), "--annotate", "--out-dir", str(out_dir), "--format", "json")
    assert result.returncode == 2
    written = sorted(p.name for p in out_dir.iterdir())
    # seed.xls and seed.ods share a name: each keeps its own copy, named with its extension.
    assert written == sorted(["seed.ods.checked.xlsx", "seed.xls.checked.xlsx", "附件1.checked.xlsx"])
    assert not any(p.name.startswith(".") for p in out_dir.iterdir()), "no temporary file left"


@pytest.mark.parametrize("ext", ["xls", "ods"])
def test_other_formats_are_copied_with_their_values(budgetlint, workbooks, tmp_path, ext):
    source = workbooks.path("seed_table1", ext)
    out = tmp_path / f"seed-{ext}.checked.xlsx"
    budgetlint.check(source).write_annotated(out)
    sheet = openpyxl.load_workbook(out)["表1"]
    assert sheet["C28"].value == "残疾人两项补贴"
    assert filled_cells(sheet) == {cell: "error" for cell in ["G28", "G29", "G30", "G31", "G32"]}


def test_a_tall_sheet_keeps_every_mark_and_merge(budgetlint, tmp_path):
    """A tall sheet with merges down 3,000 rows: every mark and merge survives the copy."""
    source = tmp_path / "tall.xlsx"
    book = xlsxwriter.Workbook(str(source))
    sheet = book.add_worksheet("附件1")
    percent = book.add_format({"num_format": "0.00%"})
    sheet.merge_range(0, 0, 0, 4, "西城区区级项目支出绩效跟踪清单")
    sheet.write_row(1, 0, ["实施部室", "项目名称", "调整后预算金额", "实际支出金额", "预算支出比例"])
    sheet.merge_range(2, 0, 3001, 0, "综合办公室")
    sheet.merge_range(3002, 0, 6001, 0, "城市管理办公室")
    for i in range(6000):
        row = 2 + i
        sheet.write_string(row, 1, f"项目{i:05d}")
        sheet.write_number(row, 2, 100)
        if i != 4321:
            sheet.write_number(row, 3, 50)
        sheet.write_number(row, 4, 0.9 if i == 1234 else 0.5, percent)
    book.close()
    out = tmp_path / "tall.checked.xlsx"
    budgetlint.check(source).write_annotated(out)
    copy = openpyxl.load_workbook(out)["附件1"]
    assert filled_cells(copy) == {"E1237": "error", "D4324": "error"}
    assert "A001" in copy["E1237"].comment.text and "V001" in copy["D4324"].comment.text
    assert {str(r) for r in copy.merged_cells.ranges} == {"A1:E1", "A3:A3002", "A3003:A6002"}
    assert copy["A3003"].value == "城市管理办公室" and copy["B6002"].value == "项目05999"
