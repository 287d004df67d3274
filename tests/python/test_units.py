"""Several budget units in one workbook (FORMATS.md §1.1, §3): unit sheets, a 汇总 over them, one long
list with a 单位名称 column, two units' report tables. A project is its unit plus its name: nothing of
one unit is ever compared with another's (same-named projects of different units are the rule, not an
error), and X003/X004 compare a summary only with its own parts.

The workbooks and their plants are in tests/fixtures/units.py.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from fixtures import units
from fixtures.expect import above_info, assert_exactly_the_plants

FORMATS = ["xlsx", "xls", "ods"]
BIN = Path(sys.executable).parent / "budgetlint"


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("make", units.PLANTED_BUILDERS + units.CLEAN_BUILDERS, ids=lambda make: make.__name__)
def test_planted_findings_and_nothing_else_above_info(budgetlint, tmp_path, make, ext):
    assert_exactly_the_plants(budgetlint, make(tmp_path, ext))


@pytest.mark.parametrize("ext", FORMATS)
def test_unit_sheets_sharing_project_names_are_never_compared(budgetlint, tmp_path, ext):
    """The case that gave thousands of false X003: five units, the same project names, other figures."""
    findings = budgetlint.check(units.unit_sheets(tmp_path, ext).path, show_info=True).findings
    assert not {"X003", "X004", "S002"} & set(findings["rule"]), findings.filter(pl.col("rule").is_in(["X003", "X004", "S002"]))


@pytest.mark.parametrize("ext", FORMATS)
def test_unit_sheets_projects_carry_the_unit_of_their_line(budgetlint, tmp_path, ext):
    """Each sheet's 单位名称 line names the unit of all its rows (the sheet name is only the short name)."""
    projects = budgetlint.check(units.unit_sheets(tmp_path, ext).path).projects
    assert "unit" in projects.columns
    assert projects.schema["unit"] == pl.String
    assert set(projects["sheet"]) == set(units.FIVE_UNITS)
    for short in units.FIVE_UNITS:
        rows = projects.filter(pl.col("sheet") == short)
        assert rows["unit"].to_list() == [units.FULL_NAMES[short]] * rows.height, short
        assert rows.filter(pl.col("kind") == "project").height == len(units.unit_projects(short))


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("make", [units.consolidated_list, units.consolidated_list_clean], ids=lambda make: make.__name__)
def test_consolidated_list_projects_carry_the_unit_column_text(budgetlint, tmp_path, make, ext):
    rows = budgetlint.check(make(tmp_path, ext).path).projects
    projects = rows.filter(pl.col("kind") == "project")
    per_unit = len(units.CONSOLIDATED_PROJECTS)
    expected = []
    for short in units.CONSOLIDATED_UNITS:
        extra = 1 if make is units.consolidated_list and short == "展览路街道" else 0  # 宣传经费 twice
        expected += [units.FULL_NAMES[short]] * (per_unit + extra)
    assert projects.sort("row")["unit"].to_list() == expected
    subtotals = rows.filter(pl.col("kind") == "subtotal")
    assert subtotals.height == len(units.CONSOLIDATED_UNITS)


@pytest.mark.parametrize("ext", FORMATS)
def test_summary_sheet_rows_carry_the_short_name_merged_or_repeated(budgetlint, tmp_path, ext):
    """汇总's 单位名称 column: 月坛街道 merged down its rows, the others repeated on every row."""
    case = units.unit_sheets_with_summary(tmp_path, ext)
    projects = budgetlint.check(case.path).projects
    summary_rows = projects.filter((pl.col("sheet") == "汇总") & (pl.col("kind") == "project")).sort("row")
    expected = []
    for short in units.FIVE_UNITS:
        count = len(units.unit_projects(short)) + (1 if short == "金融街街道" else 0)  # 公用经费 twice
        expected += [short] * count
    assert summary_rows["unit"].to_list() == expected
    assert projects.filter((pl.col("sheet") == "汇总") & (pl.col("kind") == "subtotal")).height == 5
    for short in units.FIVE_UNITS:
        own = projects.filter(pl.col("sheet") == short)["unit"].unique().to_list()
        assert own == [units.FULL_NAMES[short]], short


@pytest.mark.parametrize("ext", FORMATS)
def test_findings_name_their_unit(budgetlint, tmp_path, ext):
    findings = above_info(budgetlint.check(units.unit_sheets_with_summary(tmp_path, ext).path).findings)
    assert "unit" in findings.columns
    for row in findings.iter_rows(named=True):
        if row["sheet"] == "汇总":
            assert row["unit"] is not None and "金融街街道" in row["unit"], row
        else:
            assert row["unit"] == units.FULL_NAMES[row["sheet"]], row


@pytest.mark.parametrize("ext", FORMATS)
def test_two_units_findings_stay_in_their_unit(budgetlint, tmp_path, ext):
    findings = above_info(budgetlint.check(units.two_units_report_tables(tmp_path, ext).path).findings)
    assert set(findings["sheet"]) == {"展览路-表2"}
    assert set(findings["unit"]) == {units.FULL_NAMES["展览路街道"]}


@pytest.mark.parametrize("ext", FORMATS)
def test_summary_frame_has_the_unit_of_each_table(budgetlint, tmp_path, ext):
    summary = budgetlint.check(units.unit_sheets(tmp_path, ext).path).summary
    assert "unit" in summary.columns
    for row in summary.iter_rows(named=True):
        assert row["unit"] == units.FULL_NAMES[row["sheet"]], row
    totals = summary.filter(pl.col("is_total") == "true")
    assert sorted(totals["sheet"]) == sorted(units.FIVE_UNITS)
    for row in totals.iter_rows(named=True):
        assert row["projects"] == len(units.unit_projects(row["sheet"])), row


def test_the_cli_reports_the_same_plants(tmp_path):
    case = units.unit_sheets_with_summary(tmp_path, "xlsx")
    result = subprocess.run([str(BIN), "check", str(case.path), "--format", "json"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    found = {(f["rule"], f["sheet"], f["cell"]) for f in data["findings"] if f["severity"] != "info"}
    assert found == {(p.rule, p.sheet, p.cell) for p in case.plants}


def test_many_unit_sheets_scaled_down_are_clean(budgetlint, tmp_path):
    """20 units × 300 projects of the same names: no X003, no S002, nothing above info (no timing here;
    benches/units_bench.py measures the full 200 × 500)."""
    case = units.many_unit_sheets(tmp_path, units=20, projects=300)
    report = budgetlint.check(case.path)
    rules = set(report.findings["rule"])
    assert "X003" not in rules and "S002" not in rules
    assert above_info(report.findings).height == 0, above_info(report.findings).head(20)
    projects = report.projects.filter(pl.col("kind") == "project")
    assert projects.height == 20 * 300
    assert projects["unit"].n_unique() == 20
