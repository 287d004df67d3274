"""The check engine end to end: the seed report's own errors, planted errors of every rule, settings."""

from __future__ import annotations

import json

import polars as pl
import pytest

from fixtures import layouts, planted
from fixtures.expect import above_info, assert_exactly_the_plants

FORMATS = ["xlsx", "xlsm", "xls", "ods"]

SEED_RATIO_ERRORS = {
    "残疾人两项补贴",
    "残疾人职业康复劳动项目",
    "残联温馨家园",
    "成立困难群众救助服务所（购买服务）",
    "民政代管地方离退休人员工资",
}


def test_paths_may_come_as_a_list(budgetlint, workbooks):
    one, other = workbooks.path("seed_table1", "xlsx"), workbooks.path("seed_table1", "xls")
    assert budgetlint.check([one, other]).findings.equals(budgetlint.check(one, other).findings)
    assert budgetlint.check([one, other]).findings.height == 10


@pytest.mark.parametrize("ext", FORMATS)
def test_seed_table1_has_exactly_its_five_ratio_errors(budgetlint, workbooks, ext):
    report = budgetlint.check(workbooks.path("seed_table1", ext), show_info=True)
    findings = report.findings
    a001 = findings.filter(pl.col("rule") == "A001")
    assert set(a001["project"]) == SEED_RATIO_ERRORS
    assert len(a001) == 5
    a004 = findings.filter(pl.col("rule") == "A004")
    assert a004["project"].to_list() == ["在乡及伤残人员全年经费"]
    assert above_info(findings).height == 5, above_info(findings)
    first = a001.filter(pl.col("project") == "残疾人两项补贴").row(0, named=True)
    assert (first["found"], first["expected"], first["inputs"]) == ("100.00%", "98.69%", "266.47 ÷ 270.00")


@pytest.mark.parametrize("ext", FORMATS)
def test_seed_rounding_remainders_are_info_not_errors(budgetlint, workbooks, ext):
    findings = budgetlint.check(workbooks.path("seed_table1", ext), show_info=True).findings
    remainder = findings.filter((pl.col("rule") == "A005") & (pl.col("project") == "学区理事会工作经费"))
    assert remainder.select("severity", "found", "expected").row(0) == ("info", "79.94%", "79.92%")
    hidden = budgetlint.check(workbooks.path("seed_table1", ext)).findings
    assert "A005" not in set(hidden["rule"]), "info is hidden unless asked for"


@pytest.mark.parametrize("layout", ["seed_report_tables", "seed_report_stacked"])
@pytest.mark.parametrize("ext", FORMATS)
def test_seed_report_tables_agree_but_table6_total_ratio_is_wrong(budgetlint, workbooks, layout, ext):
    findings = budgetlint.check(workbooks.path(layout, ext)).findings
    assert not set(findings["rule"]) & {"X003", "X004"}
    table6 = findings.filter((pl.col("table") == "表6") & (pl.col("rule") == "A001"))
    assert table6.select("project", "found", "expected").rows() == [(None, "98.04%", "99.90%")]
    other = findings.filter(~((pl.col("rule") == "A001") & ((pl.col("table") == "表6") | pl.col("project").is_in(SEED_RATIO_ERRORS))))
    assert above_info(other).height == 0, other


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("make", [planted.planted_list, planted.planted_report, planted.no_header])
def test_every_planted_error_is_found_and_nothing_else_above_info(budgetlint, tmp_path, make, ext):
    assert_exactly_the_plants(budgetlint, make(tmp_path, ext))


def test_each_rule_is_planted_somewhere():
    catalog = {"A001", "A002", "A003", "A004", "A005", "V001", "V002", "V003", "V004", "V005",
               "S001", "S002", "E001", "E002", "E003", "X003", "X004"}
    from pathlib import Path
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        rules = {p.rule for make in (planted.planted_list, planted.planted_report, planted.no_header)
                 for p in make(Path(directory)).plants}
    assert rules == catalog


def test_clean_layouts_have_no_findings_above_info(budgetlint, workbooks):
    for layout in ["clean", "two_row_header", "synonyms_extras", "subtotals_total_spellings", "yuan_units",
                   "offset_table", "general_precision", "formulas"]:
        for ext in FORMATS:
            if (layout, ext) not in workbooks.cases:
                continue
            findings = budgetlint.check(workbooks.path(layout, ext)).findings
            assert above_info(findings).height == 0, (layout, ext, findings)


def test_settings_switch_rules_and_change_severity_and_thresholds(budgetlint, tmp_path):
    case = planted.planted_list(tmp_path)
    base = budgetlint.check(case.path)
    assert "E002" in set(base.findings["rule"])
    off = budgetlint.check(case.path, disable=["E002", "a001"])
    assert not {"E002", "A001"} & set(off.findings["rule"])
    louder = budgetlint.check(case.path, severity={"E002": "error"})
    assert louder.findings.filter(pl.col("rule") == "E002")["severity"].to_list() == ["error"]
    lenient = budgetlint.check(case.path, thresholds={"low_execution_percent": 60})
    assert "E002" not in set(lenient.findings["rule"])


def test_settings_file_is_read_and_unknown_keys_are_rejected(budgetlint, tmp_path):
    case = planted.planted_list(tmp_path)
    config = tmp_path / "budgetlint.toml"
    config.write_text('lang = "en"\ndisable = ["E002"]\n[thresholds]\nbudget_adjustment_percent = 50\n', encoding="utf-8")
    report = budgetlint.check(case.path, config=config, show_info=True)
    assert "E002" not in set(report.findings["rule"])
    assert report.findings.filter(pl.col("rule") == "A001")["message"][0].startswith("残疾人两项补贴: the ratio reads")
    keyword_wins = budgetlint.check(case.path, config=config, lang="zh")
    assert "预算支出比例填" in keyword_wins.findings.filter(pl.col("rule") == "A001")["message"][0]
    config.write_text("colour = true\n", encoding="utf-8")
    with pytest.raises(budgetlint.ConfigError, match="colour"):
        budgetlint.check(case.path, config=config)


def test_report_frames_and_json(budgetlint, workbooks):
    report = budgetlint.check(workbooks.path("seed_report_tables", "xlsx"))
    # 表2–表8 repeat every project but 第七次全国人口普查经费, whose department has no table of its own.
    assert report.projects.filter(pl.col("kind") == "project").height == 52 + 51
    summary = report.summary
    assert summary.schema["budget_adjusted"] == pl.Decimal(38, 2)
    table1_total = summary.filter((pl.col("table") == 0) & (pl.col("is_total") == "true")).row(0, named=True)
    assert table1_total["projects"] == 52
    assert str(table1_total["budget_adjusted"]) == "23233.44"
    office = summary.filter((pl.col("table") == 0) & (pl.col("department") == "综合办公室")).row(0, named=True)
    assert (office["projects"], str(office["budget_initial"]), str(office["ratio"])) == (6, "1411.65", "100.00")
    data = json.loads(report.to_json())
    assert data["summary"]["errors"] == 11
    assert data["summary"]["exit_code"] == 1
    assert {f["rule"] for f in data["findings"]} == {"A001"}
    assert "11 个错误" in repr(report)
    assert "<table>" in report._repr_html_()


def test_unreadable_files_raise_or_are_collected(budgetlint, workbooks):
    good = workbooks.path("clean", "xlsx")
    bad = workbooks.bad["truncated"].path
    with pytest.raises(budgetlint.UnreadableWorkbook) as raised:
        budgetlint.check(good, bad)
    assert raised.value.path == str(bad)
    report = budgetlint.check(good, bad, on_error="collect")
    assert [p for p, _, _ in report.failures] == [str(bad)]
    assert report.exit_code == 2
    assert report.projects["file"].unique().to_list() == [str(good)]


def test_catalog_and_explanations(budgetlint):
    catalog = budgetlint.rules()
    assert {"A001", "X004", "S001"} <= set(catalog["id"])
    assert catalog.filter(pl.col("id") == "A001")["severity"][0] == "error"
    text = budgetlint.explain("a001")
    assert "266.47 ÷ 270.00" in text and "A001" in text
    assert "Example" in budgetlint.explain("A001", lang="en")
    with pytest.raises(budgetlint.ConfigError):
        budgetlint.explain("Z999")


def _ratio_cell_of(sheet, project: str) -> tuple[int, int]:
    row = next(r for (r, _), cell in sheet.cells.items() if cell.value == project)
    col = next(c for (r, c), cell in sheet.cells.items() if r == row and cell.num_format and "%" in cell.num_format)
    return row, col


@pytest.mark.parametrize("ext", ["xlsx", "xls", "ods"])
def test_a_ratio_is_read_at_the_decimals_its_format_shows(budgetlint, tmp_path, ext):
    """266.47 ÷ 270.00 = 98.69%: a ratio shown as 99% (0.99 formatted `0%`) is within its rounding,
    one shown as 99.00% is not, whether the unit saved the list as .xlsx, .xls or .ods."""
    from fixtures.writers import write_book

    book, _ = layouts.LAYOUTS["seed_table1"][0]()
    row, col = _ratio_cell_of(book.sheets[0], "残疾人两项补贴")
    flagged = {}
    for shown in ("0%", "0.00%"):
        book.sheets[0].put(row, col, 0.99, shown)
        path = write_book(book, tmp_path / f"shown-{shown.replace('%', 'pct')}.{ext}")
        a001 = budgetlint.check(path).findings.filter(pl.col("rule") == "A001")
        flagged[shown] = "残疾人两项补贴" in a001["project"].to_list()
    assert flagged == {"0%": False, "0.00%": True}


@pytest.mark.parametrize("ext", ["xls", "ods"])
def test_lists_saved_as_xlsx_and_as_xls_or_ods_get_the_same_findings(budgetlint, workbooks, ext):
    """The number formats an .xls or .ods states are read as an .xlsx's are (amounts quoted with their decimals)."""
    both = [name for (name, e) in workbooks.cases if e == ext and (name, "xlsx") in workbooks.cases]
    assert "yuan_units" in both
    columns = ["rule", "severity", "sheet", "cell", "message", "found", "expected", "inputs"]
    for name in both:
        xlsx = budgetlint.check(workbooks.path(name, "xlsx"), show_info=True).findings.select(columns)
        other = budgetlint.check(workbooks.path(name, ext), show_info=True).findings.select(columns)
        assert other.equals(xlsx), name
