"""Structure inside a list (FORMATS.md §1.2): level rows above their projects (一、/（一）, or a department
row), 合计 first or last, 其中 breakdown rows, two tables side by side, more amount columns.

A reader that takes every row with figures for a project double-counts: level rows, 小计, 合计 and
breakdown rows are never projects, never summed, never checked as projects. The workbooks and their
plants are in tests/fixtures/hierarchy.py; the row structures below are written out by hand.
"""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from fixtures import hierarchy
from fixtures.expect import above_info, assert_exactly_the_plants

FORMATS = ["xlsx", "xls", "ods"]
D = Decimal


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("make", hierarchy.PLANTED_BUILDERS + hierarchy.CLEAN_BUILDERS, ids=lambda make: make.__name__)
def test_planted_findings_and_nothing_else_above_info(budgetlint, tmp_path, make, ext):
    assert_exactly_the_plants(budgetlint, make(tmp_path, ext))


# ----------------------------------------------------------------------------- row kinds, levels, parents

# (row, kind, level, parent_row) of every table row, 1-based Excel rows; the header is row 3.
LEVELS_TOTAL_FIRST_ROWS = [
    (4, "total", None, None),  # 合计 right under the header
    (5, "level", 1, None),  # 一 | 综合办公室
    (6, "project", 2, 5),
    (7, "project", 2, 5),
    (8, "project", 2, 5),
    (9, "level", 1, None),  # 二 | 城市管理办公室 (its 年初 planted wrong: still a level row)
    (10, "project", 2, 9),
    (11, "project", 2, 9),
    (12, "project", 2, 9),
    (13, "project", 2, 9),
]
TWO_LEVELS_ROWS = [
    (4, "level", 1, None),  # 一、城市运行类
    (5, "level", 2, 4),  # （一）城市管理办公室
    (6, "project", 3, 5),
    (7, "project", 3, 5),
    (8, "project", 3, 5),
    (9, "level", 2, 4),  # （二）平安建设办公室 (its 年初 planted wrong: still a level row)
    (10, "project", 3, 9),
    (11, "project", 3, 9),
    (12, "level", 1, None),  # 二、民生保障类
    (13, "level", 2, 12),  # （一）民生保障办公室
    (14, "project", 3, 13),
    (15, "project", 3, 13),
    (16, "project", 3, 13),
    (17, "level", 2, 12),  # （二）市民服务中心
    (18, "project", 3, 17),
    (19, "project", 3, 17),
    (20, "project", 3, 17),
    (21, "total", None, None),
]
BREAKDOWN_ROWS = [
    (4, "project", 1, None),  # 1 街道街巷准物业管理服务
    (5, "breakdown", 2, 4),  # 其中：市级资金
    (6, "breakdown", 2, 4),  # 　　区级资金 (indented with full-width spaces)
    (7, "project", 1, None),  # 2 月坛地区保洁经费
    (8, "breakdown", 2, 7),  # 其中：市级资金
    (9, "breakdown", 2, 7),  # 区级资金 (not indented)
    (10, "project", 1, None),  # 3 环保、河长制经费
    (11, "breakdown", 2, 10),
    (12, "breakdown", 2, 10),
    (13, "project", 1, None),  # 4 无主渣土废弃物清运费
    (14, "breakdown", 2, 13),  # 其中：市级资金 alone
    (15, "project", 1, None),  # 5 失管老旧小区准物业应急处置服务
    (16, "total", None, None),
    (17, "breakdown", 1, 16),  # 其中：财政拨款 (a breakdown of 合计: the total counts as depth 0)
    (18, "breakdown", 1, 16),  # 其他资金
]
LEVELS_WITH_BREAKDOWNS_ROWS = [
    (4, "total", None, None),
    (5, "breakdown", 1, 4),  # 其中：财政拨款
    (6, "breakdown", 1, 4),  # 其他资金
    (7, "level", 1, None),  # 一、 | 综合办公室
    (8, "project", 2, 7),
    (9, "project", 2, 7),
    (10, "breakdown", 3, 9),
    (11, "breakdown", 3, 9),
    (12, "level", 1, None),  # 二、 | 城市管理办公室
    (13, "project", 2, 12),
    (14, "breakdown", 3, 13),
    (15, "breakdown", 3, 13),
    (16, "project", 2, 12),
    (17, "project", 2, 12),
]
DEPARTMENT_ROWS_ABOVE_ROWS = [
    (4, "level", 1, None),  # | 综合办公室 | (no 序号, no 项目名称)
    (5, "project", 2, 4),
    (6, "project", 2, 4),
    (7, "project", 2, 4),
    (8, "level", 1, None),  # | 社区建设办公室 |
    (9, "project", 2, 8),
    (10, "project", 2, 8),
    (11, "project", 2, 8),
    (12, "project", 2, 8),
    (13, "total", None, None),
]
STRUCTURES = {
    hierarchy.levels_total_first: LEVELS_TOTAL_FIRST_ROWS,
    hierarchy.levels_total_first_clean: LEVELS_TOTAL_FIRST_ROWS,
    hierarchy.two_levels: TWO_LEVELS_ROWS,
    hierarchy.two_levels_clean: TWO_LEVELS_ROWS,
    hierarchy.breakdown_rows: BREAKDOWN_ROWS,
    hierarchy.breakdown_rows_clean: BREAKDOWN_ROWS,
    hierarchy.levels_with_breakdowns: LEVELS_WITH_BREAKDOWNS_ROWS,
    hierarchy.department_rows_above: DEPARTMENT_ROWS_ABOVE_ROWS,
}


@pytest.mark.parametrize("make", list(STRUCTURES), ids=lambda make: make.__name__)
def test_fixture_writes_the_structure_written_out_here(tmp_path, make):
    """The builders' own record of what they wrote agrees with the hand-written lists (no budgetlint)."""
    case = make(tmp_path)
    assert [(row, kind, level, parent) for _, row, kind, level, parent in case.structure] == STRUCTURES[make]


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("make", list(STRUCTURES), ids=lambda make: make.__name__)
def test_read_list_kinds_levels_and_parents(budgetlint, tmp_path, make, ext):
    frame = budgetlint.read_list(str(make(tmp_path, ext).path))
    for name in ("level", "parent_row"):
        assert name in frame.columns, f"read_list has no {name!r} column"
        assert frame.schema[name].is_integer(), f"{name} is {frame.schema[name]}"
    got = frame.sort("row").select("row", "kind", "level", "parent_row").rows()
    assert got == STRUCTURES[make]


@pytest.mark.parametrize("ext", FORMATS)
def test_report_projects_frame_has_the_same_structure(budgetlint, tmp_path, ext):
    projects = budgetlint.check(hierarchy.two_levels(tmp_path, ext).path).projects
    assert projects.sort("row").select("row", "kind", "level", "parent_row").rows() == TWO_LEVELS_ROWS


@pytest.mark.parametrize("ext", FORMATS)
def test_breakdown_rows_keep_their_labels_and_are_not_projects(budgetlint, tmp_path, ext):
    frame = budgetlint.read_list(str(hierarchy.breakdown_rows_clean(tmp_path, ext).path))
    projects = frame.filter(pl.col("kind") == "project")["project"].to_list()
    assert projects == ["街道街巷准物业管理服务", "月坛地区保洁经费", "环保、河长制经费", "无主渣土废弃物清运费",
                        "失管老旧小区准物业应急处置服务"]
    assert "区级资金" not in projects and "其他资金" not in projects


# ----------------------------------------------------------------------------- side by side


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("uneven", [False, True], ids=["even", "uneven"])
def test_side_by_side_tables_are_both_read(budgetlint, tmp_path, ext, uneven):
    make = hierarchy.side_by_side_uneven if uneven else hierarchy.side_by_side
    frame = budgetlint.read_list(str(make(tmp_path, ext).path))
    tables = frame["table"].unique().sort().to_list()
    assert len(tables) == 2
    left, right = (frame.filter(pl.col("table") == t).sort("row") for t in tables)
    assert left.filter(pl.col("kind") == "project").height == 6
    assert right.filter(pl.col("kind") == "project").height == 7
    # A two-row header moves the 2019 list a row down; the 2020 list beside it stays.
    assert left.filter(pl.col("kind") == "total")["row"].to_list() == [11 if uneven else 10]
    assert right.filter(pl.col("kind") == "total")["row"].to_list() == [11]
    assert {cell[0] for cell in left["ratio_cell"].drop_nulls()} == {"G"}
    assert {cell[0] for cell in right["ratio_cell"].drop_nulls()} == {"O"}
    assert right["project"].drop_nulls().to_list() == list(hierarchy.SIDE_2020)


# ----------------------------------------------------------------------------- more amount columns

# 追加（减）预算数 and 结余资金 of the 8 projects and the 合计, as written.
MORE_CHANGE = ["15.58", "0.00", "9.36", "2.30", "15.56", "0.00", "24.27", "2.00"]
MORE_BALANCE = ["0.00", "0.00", "2.72", "2.30", "0.00", "0.00", "0.08", "0.04"]


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("planted", [True, False], ids=["planted", "clean"])
def test_more_amount_columns_are_decimal_columns(budgetlint, tmp_path, ext, planted):
    make = hierarchy.more_amount_columns if planted else hierarchy.more_amount_columns_clean
    frame = budgetlint.read_list(str(make(tmp_path, ext).path)).sort("row")
    for name in ("budget_change", "balance"):
        assert name in frame.columns, f"read_list has no {name!r} column: {frame.columns}"
        assert isinstance(frame.schema[name], pl.Decimal), f"{name} is {frame.schema[name]}"
    change = [D(v) for v in MORE_CHANGE]
    balance = [D(v) for v in MORE_BALANCE]
    if planted:
        change[2] += 10  # 机关办公楼设备运行经费: 19.36 stated
        balance[6] += 10  # 社区居委会、服务站办公及运行经费: 10.08 stated
    projects = frame.filter(pl.col("kind") == "project")
    assert [D(str(v)) for v in projects["budget_change"]] == change
    assert [D(str(v)) for v in projects["balance"]] == balance
    total = frame.filter(pl.col("kind") == "total").row(0, named=True)
    assert D(str(total["budget_change"])) == (D("79.07") if planted else D("69.07"))
    assert D(str(total["balance"])) == D("5.14")  # the 合计's own 调整后 − 实际 in both


# ----------------------------------------------------------------------------- the roll-up counts projects once


@pytest.mark.parametrize("make", hierarchy.PLANTED_BUILDERS + hierarchy.CLEAN_BUILDERS, ids=lambda make: make.__name__)
def test_summary_counts_each_project_once(budgetlint, tmp_path, make):
    """重算汇总 / Report.summary: each table's total line counts the project rows only and adds up their
    figures only (no level, 小计, 合计 or 其中 row), and its departments share out the same projects."""
    case = make(tmp_path)
    report = budgetlint.check(case.path)
    summary = report.summary
    totals = summary.filter(pl.col("is_total") == "true").sort("table")
    assert totals.height == len(case.project_sums)
    for line, (count, initial, adjusted, actual) in zip(totals.iter_rows(named=True), case.project_sums):
        assert line["projects"] == count, line
        assert (D(str(line["budget_initial"])), D(str(line["budget_adjusted"])), D(str(line["actual"]))) == (initial, adjusted, actual), line
        departments = summary.filter((pl.col("table") == line["table"]) & (pl.col("is_total") != "true"))
        assert departments["projects"].sum() == count, departments
    projects = report.projects.filter(pl.col("kind") == "project")
    assert projects.height == sum(count for count, *_ in case.project_sums)
