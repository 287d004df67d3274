"""Performance forms (FORMATS.md §2): 附件2 跟踪分析表 and the national 执行监控表 / 自评表 / 申报表, read by
``read_forms`` into a forms frame and an indicators frame, checked (A001, A006, E002, I001–I007), and reconciled
with each other (X005, I007) and with 附件1 lists (X001, X002).

The workbooks, their plants and the record of every form written are in tests/fixtures/forms.py. The first
part of this file checks the fixtures themselves with python-calamine (no budgetlint): every recorded cell holds
what the record says, and the rules recomputed from the cells as read back give exactly the planted set.
"""

from __future__ import annotations

import json
import subprocess
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from fixtures import forms
from fixtures.expect import above_info, assert_exactly_the_plants

FORMATS = ["xlsx", "xls", "ods"]
BIN = Path(sys.executable).parent / "budgetlint"
D = Decimal
BUILDERS = forms.PLANTED_BUILDERS + forms.CLEAN_BUILDERS
ALL_CASES = [(make, ext) for make in BUILDERS for ext in FORMATS] + [(forms.forms_among_other_sheets, "xlsx")]


def case_id(value) -> str:
    return value.__name__ if callable(value) else str(value)


def squashed(text) -> str | None:
    return None if text is None else "".join(str(text).split())


def dec(value) -> Decimal | None:
    return None if value is None else D(str(value))


# ============================================================================= the fixtures themselves (calamine)

calamine = pytest.importorskip("python_calamine")


def cell_index(address: str) -> tuple[int, int]:
    letters = "".join(ch for ch in address if ch.isalpha())
    col = 0
    for letter in letters:
        col = col * 26 + ord(letter) - ord("A") + 1
    return int(address[len(letters):]) - 1, col - 1


def address(row: int, col: int) -> str:
    from fixtures.sheet import a1

    return a1(row, col)


class Cells:
    """Every sheet of a written workbook as python-calamine reads it, addressed A1 style."""

    def __init__(self, path: Path):
        book = calamine.CalamineWorkbook.from_path(str(path))
        self.grids = {}
        for name in book.sheet_names:
            sheet = book.get_sheet_by_name(name)
            first_row, first_col = sheet.start or (0, 0)
            self.grids[name] = [[] for _ in range(first_row)] + [[""] * first_col + row for row in sheet.to_python()]

    def raw(self, sheet: str, cell: str):
        row, col = cell_index(cell)
        grid = self.grids[sheet]
        if row >= len(grid) or col >= len(grid[row]):
            return ""
        return grid[row][col]

    def text(self, sheet: str, cell: str) -> str | None:
        raw = self.raw(sheet, cell)
        if raw == "" or raw is None:
            return None
        return str(raw).strip() or None

    def figure(self, sheet: str, cell: str, ratio: bool = False) -> Decimal | None:
        """A figure as written; a ratio in percent (a % number cell holds the fraction). Blank and `—`: None."""
        raw = self.raw(sheet, cell)
        if isinstance(raw, (int, float)) and not isinstance(raw, bool):
            value = D(repr(float(raw)))
            return value * 100 if ratio else value
        text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "")
        if text in ("", "—", "-"):
            return None
        return D(text.rstrip("%"))

    def level_above(self, sheet: str, row: int, col: int) -> str | None:
        """The text a merged level cell shows on ``row`` (0-based): the nearest non-blank cell at or above it."""
        for r in range(row, -1, -1):
            value = self.text(sheet, address(r, col))
            if value is not None:
                return value
        return None


def files_of(case) -> dict[Path, Cells]:
    return {path: Cells(path) for path in case.paths}


def cells_for(case, opened: dict, sheet: str) -> Cells:
    return opened[case.sheet_files[sheet]]


HALF = D("0.005")


def overlaps(lo1, hi1, lo2, hi2) -> bool:
    return lo1 <= hi2 and lo2 <= hi1


def oracle(case) -> set[tuple[str, str, str]]:
    """The findings above info that the rules of tests/fixtures/forms.py give on the cells as read back."""
    opened = files_of(case)
    found: set[tuple[str, str, str]] = set()
    for form in case.forms:
        c = cells_for(case, opened, form.sheet)
        s = form.sheet
        fig = lambda cell, ratio=False: c.figure(s, cell, ratio) if cell else None  # noqa: E731
        # A001: ratio = actual ÷ divisor within the rounding intervals
        divisor = "initial" if form.kind == "monitoring" else "adjusted"
        for line in form.lines:
            if "ratio" not in line.cells:
                continue
            stated, num, den = fig(line.cells["ratio"], True), fig(line.cells["actual"]), fig(line.cells[divisor])
            if stated is None or num is None or not den:
                continue
            lo, hi = 100 * (num - HALF) / (den + HALF), 100 * (num + HALF) / (den - HALF)
            if not overlaps(lo, hi, stated - HALF, stated + HALF):
                found.add(("A001", s, line.cells["ratio"]))
        # A006: the 其中 rows (complete) add up to the total, per amount column and half
        for half in ("annual", "midterm"):
            lines = [x for x in form.lines if x.half == half]
            total = next((x for x in lines if x.role == "total"), None)
            parts = [x for x in lines if x.role == "part"]
            if total is None or not parts:
                continue
            for role in ("initial", "adjusted", "actual", "projection", "amount"):
                if role not in total.cells or fig(total.cells[role]) is None:
                    continue
                summed = sum((fig(p.cells[role]) or D(0) for p in parts), D(0))
                if abs(summed - fig(total.cells[role])) > HALF * (len(parts) + 1):
                    found.add(("A006", s, total.cells[role]))
        # E002: 附件2 only
        if form.kind == "tracking":
            total = form.line()
            ratio = fig(total.cells["ratio"], True)
            if ratio is not None and ratio < 90 and c.text(s, total.cells["reason"]) is None:
                found.add(("E002", s, total.cells["ratio"]))
        # I001 / I002 / I003
        for x in form.indicators:
            if c.text(s, x.target_cell) is None:
                found.add(("I001", s, x.target_cell))
            if form.kind != "declaration" and c.text(s, x.actual_cell) is None:
                found.add(("I002", s, x.actual_cell))
            compared = x.projection_cell if form.kind == "monitoring" else x.actual_cell
            if x.verdict == "not_met" and all(c.text(s, cell) is None for cell in x.cause_cells):
                found.add(("I003", s, compared))
        # I004: the required kinds, one finding (at most) per form at its title
        kinds = {(x.level1, x.level2) for x in form.indicators}
        has = {
            "数量": (forms.OUT, forms.QTY) in kinds,
            "时效": (forms.OUT, forms.TIME) in kinds,
            "满意度": any(level1 == forms.SAT for level1, _ in kinds),
        }
        if not all(has.values()):
            found.add(("I004", s, form.title_cell))
        # I006: scores
        if form.total_score_cell:
            scored = [(fig(x.score_max_cell), fig(x.score_cell), x.score_cell) for x in form.indicators]
            fund = form.line()
            if "score" in fund.cells:
                scored.append((fig(fund.cells["score_max"]), fig(fund.cells["score"]), fund.cells["score"]))
            # 分值 are weights set by the scoring rules: exact, not rounded figures (forms.py's docstring)
            for most, got, cell in scored:
                if most is not None and got is not None and got - HALF > most:
                    found.add(("I006", s, cell))
            scores = [got for _, got, _ in scored if got is not None]
            if abs(sum(scores, D(0)) - fig(form.total_score_cell)) > HALF * (len(scores) + 1):
                found.add(("I006", s, form.total_score_cell))
            weights = [most for most, _, _ in scored if most is not None]
            if sum(weights, D(0)) != 100:
                found.add(("I006", s, form.total_score_max_cell))
            if "score" in fund.cells:
                most, got, ratio = fig(fund.cells["score_max"]), fig(fund.cells["score"]), fig(fund.cells["ratio"], True)
                expected = min(most, most * ratio / 100)
                if abs(got - expected) > HALF + most * HALF / 100:
                    found.add(("I006", s, fund.cells["score"]))
    found |= _across_forms(case, opened)
    found |= _list_and_forms(case, opened)
    return found


def normalized(name: str) -> str:
    return "".join(unicodedata.normalize("NFKC", name).split())


def _across_forms(case, opened) -> set[tuple[str, str, str]]:
    """X005 and I007 between the forms of one project and one (known) year, at the later form."""
    found = set()
    ordered = sorted(case.forms, key=lambda f: (list(case.sheet_files).index(f.sheet), f.form))
    for j, later in enumerate(ordered):
        for earlier in ordered[:j]:
            if later.year is None or later.year != earlier.year or normalized(later.project) != normalized(earlier.project):
                continue
            c_later, c_earlier = cells_for(case, opened, later.sheet), cells_for(case, opened, earlier.sheet)
            amounts = {"monitoring", "self_evaluation", "tracking"}
            if later.kind in amounts and earlier.kind in amounts:
                roles = ["initial"]
                if {later.kind, earlier.kind} == {"self_evaluation", "tracking"}:
                    roles += ["adjusted", "actual"]
                for role in roles:
                    a = c_later.figure(later.sheet, later.line().cells[role])
                    b = c_earlier.figure(earlier.sheet, earlier.line().cells[role])
                    if a != b:
                        found.add(("X005", later.sheet, later.line().cells[role]))
            targets = {squashed(x.level3): c_earlier.text(earlier.sheet, x.target_cell)
                       for x in earlier.indicators if x.half == "annual"}
            for x in later.indicators:
                key = squashed(x.level3)
                if x.half == "annual" and key in targets:
                    mine = c_later.text(later.sheet, x.target_cell)
                    if mine is not None and targets[key] is not None and mine != targets[key]:
                        found.add(("I007", later.sheet, x.target_cell))
    return found


def _list_and_forms(case, opened) -> set[tuple[str, str, str]]:
    """X001 / X002 between an 附件1 (sheet 附件1: 项目名称 in C from row 4 to 合计) and the 附件2 forms."""
    if "附件1" not in case.sheet_files:
        return set()
    c = cells_for(case, opened, "附件1")
    listed = {}
    for r in range(3, 500):
        if c.text("附件1", address(r, 0)) == "合计":
            break
        name = c.text("附件1", address(r, 2))
        if name:
            listed[normalized(name)] = r
    found = set()
    seen = set()
    for form in case.forms:
        fc = cells_for(case, opened, form.sheet)
        key = normalized(fc.text(form.sheet, form.project_cell))
        if key not in listed:
            found.add(("X001", form.sheet, form.project_cell))
            continue
        seen.add(key)
        r = listed[key]
        line = form.line()
        for role, col, ratio in (("initial", 3, False), ("adjusted", 4, False), ("actual", 5, False), ("ratio", 6, True)):
            mine = fc.figure(form.sheet, line.cells[role], ratio)
            theirs = c.figure("附件1", address(r, col), ratio)
            if mine != theirs:
                found.add(("X002", form.sheet, line.cells[role]))
    for key, r in listed.items():
        if key not in seen:
            found.add(("X001", "附件1", address(r, 2)))
    return found


@pytest.mark.parametrize(("make", "ext"), ALL_CASES, ids=case_id)
def test_fixture_rules_recomputed_from_the_cells_give_the_plants(tmp_path, make, ext):
    """Independent of budgetlint: the rules, recomputed from the written cells, find exactly the plants."""
    case = make(tmp_path, ext)
    assert oracle(case) == {(p.rule, p.sheet, p.cell) for p in case.plants}


@pytest.mark.parametrize("ext", FORMATS)
def test_fixture_list_with_forms_rules_recomputed_give_the_plants(tmp_path, ext):
    case = forms.list_with_forms(tmp_path, ext)
    assert oracle(case) == {(p.rule, p.sheet, p.cell) for p in case.plants}
    assert len(case.forms) == 52 and len(case.plants) == 4


@pytest.mark.parametrize(("make", "ext"), ALL_CASES, ids=case_id)
def test_fixture_cells_hold_what_the_record_says(tmp_path, make, ext):
    """Titles, project names, indicator texts (levels through their merges) sit in the recorded cells."""
    case = make(tmp_path, ext)
    opened = files_of(case)
    wrong = []
    titles = {"tracking": forms.TRACKING_TITLE, "monitoring": forms.MONITORING_TITLE,
              "self_evaluation": forms.SELF_EVALUATION_TITLE, "declaration": forms.DECLARATION_TITLE}
    for form in case.forms:
        c, s = cells_for(case, opened, form.sheet), form.sheet
        expect = [(form.title_cell, titles[form.kind]), (form.project_cell, form.project.strip())]
        for x in form.indicators:
            row, target_col = cell_index(x.target_cell)
            level1_col = 1 if (form.kind == "declaration" and x.half == "annual") else target_col - 3
            expect += [(x.target_cell, x.target), (address(row, target_col - 1), x.level3)]
            if x.actual_cell:
                expect.append((x.actual_cell, x.actual))
            if x.projection_cell:
                expect.append((x.projection_cell, x.projection))
            for col, level in ((level1_col, x.level1), (target_col - 2, x.level2)):
                if c.level_above(s, row, col) != level:
                    wrong.append(f"{s}!{address(row, col)}: level {c.level_above(s, row, col)!r}, recorded {level!r}")
        for cell, value in expect:
            if c.text(s, cell) != (value.strip() if value else None):
                wrong.append(f"{s}!{cell} holds {c.raw(s, cell)!r}, recorded {value!r}")
    for plant in case.plants:
        assert plant.sheet in case.sheet_files, plant
    assert not wrong, "\n".join(wrong)


def test_fixture_chart_sheet_is_a_chartsheet(tmp_path):
    import zipfile

    case = forms.forms_among_other_sheets(tmp_path)
    with zipfile.ZipFile(case.path) as package:
        names = package.namelist()
        workbook = package.read("xl/workbook.xml").decode()
    assert any(n.startswith("xl/chartsheets/") for n in names), names
    assert "支出图表" in workbook
    # the chart sheet sits between 支出明细 and 评审报告: a reader counting worksheets by index must not shift
    kinds = [(m.name, str(m.typ).rsplit(".", 1)[-1]) for m in calamine.CalamineWorkbook.from_path(str(case.path)).sheets_metadata]
    assert kinds == [("项目基本信息", "WorkSheet"), ("立项依据", "WorkSheet"), ("执行监控表", "WorkSheet"), ("自评表", "WorkSheet"),
                     ("支出明细", "WorkSheet"), ("支出图表", "ChartSheet"), ("评审报告", "WorkSheet")]


def test_fixture_many_forms_counts(tmp_path):
    case = forms.many_forms(tmp_path, n=120, per_sheet=50)
    c = Cells(case.path)
    titles = sum(row.count(forms.TRACKING_TITLE) for grid in c.grids.values() for row in grid)
    assert titles == 120 and len(c.grids) == 3


# ============================================================================= findings


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("make", BUILDERS, ids=case_id)
def test_planted_findings_and_nothing_else_above_info(budgetlint, tmp_path, make, ext):
    assert_exactly_the_plants(budgetlint, make(tmp_path, ext))


@pytest.mark.parametrize("ext", FORMATS)
def test_list_with_forms_reconciles_the_two_files(budgetlint, tmp_path, ext):
    """附件1 and 附件2 given together: X001 both ways, X002 at the form's cells, nothing else above info."""
    case = forms.list_with_forms(tmp_path, ext)
    findings = assert_exactly_the_plants(budgetlint, case)
    for row in above_info(findings).iter_rows(named=True):
        assert Path(row["file"]).name == case.sheet_files[row["sheet"]].name, row


@pytest.mark.parametrize("ext", FORMATS)
def test_forms_alone_are_not_reconciled_with_any_list(budgetlint, tmp_path, ext):
    """Without the 附件1 there is nothing to reconcile with: the forms file alone gives no X001/X002."""
    case = forms.list_with_forms(tmp_path, ext)
    findings = above_info(budgetlint.check(case.paths[1], show_info=True).findings)
    assert findings.height == 0, findings.select("sheet", "cell", "rule", "message")


def test_forms_among_other_sheets_skips_the_rest_as_info(budgetlint, tmp_path):
    case = forms.forms_among_other_sheets(tmp_path)
    report = budgetlint.check(case.path, show_info=True)
    findings = report.findings
    assert above_info(findings).height == 0, above_info(findings).select("sheet", "cell", "rule", "message")
    skipped = set(findings.filter(pl.col("rule") == "S003")["sheet"])
    assert skipped == set(forms.NON_FORM_SHEETS)
    assert "S001" not in set(findings["rule"])
    read = report.forms.sort("form")
    assert read.select("sheet", "kind", "year").rows() == [("执行监控表", "monitoring", 2019), ("自评表", "self_evaluation", 2019)]
    assert report.indicators.filter(pl.col("sheet") == "自评表").height == 8


def test_the_cli_reports_the_same_plants(tmp_path):
    case = forms.monitoring_form(tmp_path, "xlsx")
    result = subprocess.run([str(BIN), "check", str(case.path), "--format", "json"], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 1, result.stderr
    data = json.loads(result.stdout)
    found = {(f["rule"], f["sheet"], f["cell"]) for f in data["findings"] if f["severity"] != "info"}
    assert found == {(p.rule, p.sheet, p.cell) for p in case.plants}


def test_many_forms_scaled_down_are_clean(budgetlint, tmp_path):
    """120 forms, 50 to a sheet, 3 units with the same project names and other figures and targets: nothing
    above info (no X005/I007 across units), every form read (benches/forms_bench.py times 1,000)."""
    case = forms.many_forms(tmp_path, n=120, per_sheet=50)
    report = budgetlint.check(case.path)
    assert above_info(report.findings).height == 0, above_info(report.findings).head(20)
    assert report.forms.height == 120
    assert report.forms["unit"].n_unique() == 3
    assert report.indicators.height == 120 * 6


# ============================================================================= read_forms: the frames

FORM_COLUMNS = ["sheet", "form", "kind", "year", "project", "department", "implementer", "unit", "budget_initial",
                "budget_adjusted", "actual", "ratio", "score_max", "score", "total_score", "title_cell", "project_cell"]
INDICATOR_COLUMNS = ["sheet", "form", "row", "level1", "level2", "level3", "target", "actual", "target_cell",
                     "actual_cell", "verdict", "reason", "score_max", "score", "half"]
DECIMALS = ["budget_initial", "budget_adjusted", "actual", "ratio", "score_max", "score", "total_score"]


def test_read_forms_columns_and_types(budgetlint, tmp_path):
    case = forms.self_evaluation_form(tmp_path, "xlsx")
    frames, indicators = budgetlint.read_forms(case.path)
    assert set(FORM_COLUMNS) <= set(frames.columns), set(FORM_COLUMNS) - set(frames.columns)
    assert "file" not in frames.columns and "file" not in indicators.columns
    assert set(INDICATOR_COLUMNS) <= set(indicators.columns), set(INDICATOR_COLUMNS) - set(indicators.columns)
    for name in DECIMALS:
        assert isinstance(frames.schema[name], pl.Decimal), f"forms.{name} is {frames.schema[name]}"
    for name in ("score_max", "score"):
        assert isinstance(indicators.schema[name], pl.Decimal), f"indicators.{name} is {indicators.schema[name]}"
    for name in ("form", "year"):
        assert frames.schema[name].is_integer(), f"forms.{name} is {frames.schema[name]}"
    for name in ("form", "row"):
        assert indicators.schema[name].is_integer(), f"indicators.{name} is {indicators.schema[name]}"
    assert frames.height == 4 and indicators.height == 32


# 附件2-1 of tracking_forms (planted): FORMATS §2.1's example, with 房屋安全合格率's target and 居民满意度's actual blank.
TRACKING_FORM = {
    "sheet": "附件2-1", "form": 0, "kind": "tracking", "year": None, "project": "社区居委会、服务站办公及活动用房租金",
    "department": "北京市西城区人民政府月坛街道办事处", "implementer": "综合办公室", "unit": "北京市西城区人民政府月坛街道办事处",
    "budget_initial": D("405.81"), "budget_adjusted": D("395.41"), "actual": D("395.41"), "ratio": D("100.00"),
    "score_max": None, "score": None, "total_score": None, "title_cell": "A1", "project_cell": "B2",
}
# (row, level1, level2, level3, target, actual, target_cell, actual_cell, verdict, score_max, score, half)
TRACKING_INDICATORS = [
    (9, "产出指标", "数量指标", "租赁房屋数量", "=12处", "12处", "E9", "F9", "met", None, None, "annual"),
    (10, "产出指标", "质量指标", "房屋安全合格率", None, "98%", "E10", "F10", "not_comparable", None, None, "annual"),
    (11, "产出指标", "时效指标", "租金支付及时性", "2020年12月31日前", "按时完成", "E11", "F11", "met", None, None, "annual"),
    (12, "产出指标", "成本指标", "租金成本", "≤405.81万元", "395.41万元", "E12", "F12", "met", None, None, "annual"),
    (13, "效益指标", "社会效益指标", "服务居民活动开展", "有效保障", "已保障", "E13", "F13", "met", None, None, "annual"),
    (14, "满意度指标", "服务对象满意度指标", "居民满意度", "≥90%", None, "E14", "F14", None, None, None, "annual"),
]

# 学科建设 of self_evaluation_form (planted): 发表高水平论文数量 scores 12.00 of 10.
SELF_EVALUATION_FORM = {
    "sheet": "学科建设", "form": 0, "kind": "self_evaluation", "year": 2019, "project": "学科建设专项经费",
    "department": "教育部", "implementer": "北京大学",
    "budget_initial": D("180.00"), "budget_adjusted": D("190.00"), "actual": D("171.00"), "ratio": D("90.00"),
    "score_max": D("10"), "score": D("9.00"), "total_score": D("99.00"), "title_cell": "A1", "project_cell": "C3",
}
SELF_EVALUATION_INDICATORS = [
    (13, "产出指标", "数量指标", "支持重点学科数量", "≥8个", "8个", "E13", "F13", "met", D("15"), D("15.00"), "annual"),
    (14, "产出指标", "数量指标", "发表高水平论文数量", "≥40篇", "46篇", "E14", "F14", "met", D("10"), D("12.00"), "annual"),
    (15, "产出指标", "质量指标", "学科建设任务完成率", "100%", "100%", "E15", "F15", "met", D("10"), D("10.00"), "annual"),
    (16, "产出指标", "时效指标", "资金支出时限", "2019年12月31日前", "按时完成", "E16", "F16", "met", D("10"), D("10.00"), "annual"),
    (17, "产出指标", "成本指标", "生均培养成本", "≤3.5万元", "3.2万元", "E17", "F17", "met", D("10"), D("10.00"), "annual"),
    (18, "效益指标", "社会效益指标", "服务国家战略需求能力", "显著提升", "显著提升", "E18", "F18", "met", D("15"), D("13.00"), "annual"),
    (19, "效益指标", "可持续影响指标", "学科建设长效机制", "持续完善", "持续完善", "E19", "F19", "met", D("10"), D("10.00"), "annual"),
    (20, "满意度指标", "服务对象满意度指标", "师生满意度", "≥90%", "93%", "E20", "F20", "met", D("10"), D("10.00"), "annual"),
]
INDICATOR_FIELDS = ["row", "level1", "level2", "level3", "target", "actual", "target_cell", "actual_cell", "verdict",
                    "score_max", "score", "half"]


def as_written(row: dict, decimals=DECIMALS) -> dict:
    """Decimals as Decimal, texts stripped, for comparing with the literals above."""
    out = {}
    for key, value in row.items():
        if key in decimals:
            out[key] = dec(value)
        elif isinstance(value, str):
            out[key] = value.strip()
        else:
            out[key] = value
    return out


def form_row(frame: pl.DataFrame, sheet: str) -> dict:
    rows = frame.filter(pl.col("sheet") == sheet).rows(named=True)
    assert len(rows) == 1, rows
    return as_written(rows[0])


def indicator_rows(frame: pl.DataFrame, sheet: str) -> list[tuple]:
    rows = frame.filter(pl.col("sheet") == sheet).sort("row", "half").rows(named=True)
    return [tuple(as_written(r, ("score_max", "score"))[k] for k in INDICATOR_FIELDS) for r in rows]


@pytest.mark.parametrize("ext", FORMATS)
def test_read_forms_tracking_form_exactly(budgetlint, tmp_path, ext):
    frames, indicators = budgetlint.read_forms(forms.tracking_forms(tmp_path, ext).path)
    got = form_row(frames, "附件2-1")
    assert {k: got[k] for k in TRACKING_FORM} == TRACKING_FORM
    assert indicator_rows(indicators, "附件2-1") == TRACKING_INDICATORS


@pytest.mark.parametrize("ext", FORMATS)
def test_read_forms_self_evaluation_form_exactly(budgetlint, tmp_path, ext):
    frames, indicators = budgetlint.read_forms(forms.self_evaluation_form(tmp_path, ext).path)
    got = form_row(frames, "学科建设")
    assert {k: got[k] for k in SELF_EVALUATION_FORM} == SELF_EVALUATION_FORM
    assert indicator_rows(indicators, "学科建设") == SELF_EVALUATION_INDICATORS


@pytest.mark.parametrize("ext", FORMATS)
def test_verdict_reasons(budgetlint, tmp_path, ext):
    """A reason only where the pair cannot be compared; not met is a verdict, not a refusal."""
    _, indicators = budgetlint.read_forms(forms.tracking_forms(tmp_path, ext).path)
    for row in indicators.iter_rows(named=True):
        if row["verdict"] in ("met", "not_met"):
            assert row["reason"] is None, row
        elif row["verdict"] == "not_comparable":
            assert row["reason"], row
    events = indicators.filter(pl.col("level3") == "专题宣传活动场次").row(0, named=True)
    assert (events["verdict"], events["reason"]) == ("not_met", None)


def _records(case) -> tuple[dict, dict]:
    forms_by_key = {(f.sheet, f.form): f for f in case.forms}
    indicators_by_key = {(x.sheet, x.form, x.row, x.half): x for f in case.forms for x in f.indicators}
    return forms_by_key, indicators_by_key


@pytest.mark.parametrize(("make", "ext"), ALL_CASES, ids=case_id)
def test_read_forms_finds_every_form_written(budgetlint, tmp_path, make, ext):
    """Kind, year, project, form index and provenance of every form, in every layout and format."""
    case = make(tmp_path, ext)
    frames, _ = budgetlint.read_forms(case.path)
    got = sorted((r["sheet"], r["form"], r["kind"], r["year"], squashed(r["project"]), r["title_cell"], r["project_cell"])
                 for r in frames.iter_rows(named=True))
    want = sorted((f.sheet, f.form, f.kind, f.year, squashed(f.project), f.title_cell, f.project_cell) for f in case.forms)
    assert got == want


@pytest.mark.parametrize(("make", "ext"), ALL_CASES, ids=case_id)
def test_read_forms_indicators_are_the_rows_written(budgetlint, tmp_path, make, ext):
    """Every indicator with its 一级/二级 filled down from their merged cells, 三级, target and cells; the actual
    (实际完成值) and the verdict on 附件2 and 自评表; 分值/得分 where the form scores."""
    case = make(tmp_path, ext)
    _, indicators = budgetlint.read_forms(case.path)
    forms_by_key, records = _records(case)
    got = {(r["sheet"], r["form"], r["row"], r["half"]): r for r in indicators.iter_rows(named=True)}
    assert sorted(got) == sorted(records)
    wrong = []
    for key, x in records.items():
        r = got[key]
        kind = forms_by_key[key[:2]].kind
        want = {"level1": x.level1, "level2": x.level2, "level3": squashed(x.level3), "target": x.target,
                "target_cell": x.target_cell}
        have = {"level1": r["level1"], "level2": r["level2"], "level3": squashed(r["level3"]),
                "target": r["target"].strip() if r["target"] else None, "target_cell": r["target_cell"]}
        if kind in ("tracking", "self_evaluation"):
            want |= {"actual": x.actual, "actual_cell": x.actual_cell, "verdict": x.verdict}
            have |= {"actual": r["actual"].strip() if r["actual"] else None, "actual_cell": r["actual_cell"],
                     "verdict": r["verdict"]}
        if x.score_cell:
            want |= {"score_max": dec(x.score_max), "score": x.score}
            have |= {"score_max": dec(r["score_max"]), "score": dec(r["score"])}
        if kind == "declaration":
            want |= {"actual": None, "verdict": None}
            have |= {"actual": r["actual"], "verdict": r["verdict"]}
        if want != have:
            wrong.append(f"{key}: {have} != {want}")
    assert not wrong, "\n".join(wrong[:20])


@pytest.mark.parametrize("ext", FORMATS)
def test_merged_levels_are_filled_down(budgetlint, tmp_path, ext):
    """一级 merged over 4 产出 rows and 二级 数量指标 over 2 rows (学科建设 B13:B17, C13:C14): every row has both."""
    _, indicators = budgetlint.read_forms(forms.self_evaluation_form(tmp_path, ext).path)
    sheet = indicators.filter(pl.col("sheet") == "学科建设").sort("row")
    assert sheet["level1"].to_list() == ["产出指标"] * 5 + ["效益指标"] * 2 + ["满意度指标"]
    assert sheet["level2"].to_list()[:2] == ["数量指标", "数量指标"]
    assert indicators["level1"].null_count() == 0 and indicators["level2"].null_count() == 0


@pytest.mark.parametrize("ext", FORMATS)
def test_declaration_indicators_come_out_in_both_halves(budgetlint, tmp_path, ext):
    frames, indicators = budgetlint.read_forms(forms.declaration_form(tmp_path, ext).path)
    assert frames.select("kind", "year").rows() == [("declaration", 2020)]
    rows = indicators.sort("row", "half")
    midterm = rows.filter(pl.col("half") == "midterm")
    annual = rows.filter(pl.col("half") == "annual")
    assert midterm["row"].to_list() == annual["row"].to_list() == list(range(14, 21))
    assert midterm["target"].to_list() == ["≥60集", "≥36场", "100%", "2022年12月31日前", "≤600万元", "≥30万人次", "≥90%"]
    assert annual["target"].to_list() == ["≥20集", "≥12场", "100%", "2020年12月31日前", "≤200万元", None, "≥90%"]
    assert midterm["target_cell"].to_list() == [f"E{r}" for r in range(14, 21)]
    assert annual["target_cell"].to_list() == [f"H{r}" for r in range(14, 21)]
    # the annual half has no 一级 column of its own: it shares the row's (B), and its 二级 is merged in F
    assert annual["level1"].to_list() == midterm["level1"].to_list() == \
        ["产出指标"] * 5 + ["效益指标", "满意度指标"]
    assert annual["level2"].to_list() == midterm["level2"].to_list() == \
        ["数量指标", "数量指标", "质量指标", "时效指标", "成本指标", "社会效益指标", "服务对象满意度指标"]
    assert annual["actual"].null_count() == annual.height and annual["verdict"].null_count() == annual.height


@pytest.mark.parametrize("ext", FORMATS)
def test_monitoring_form_figures_are_the_periods(budgetlint, tmp_path, ext):
    """监控表: actual is the 1-N月执行数, ratio the 1-N月执行率 (÷ 年初预算数); numbers as text read as numbers."""
    frames, indicators = budgetlint.read_forms(forms.monitoring_form_clean(tmp_path, ext).path)
    got = form_row(frames, "执行监控表")
    assert {k: got[k] for k in ("kind", "year", "project", "implementer", "budget_initial", "budget_adjusted", "actual",
                                "ratio", "score_max", "score", "total_score", "title_cell", "project_cell")} == {
        "kind": "monitoring", "year": 2019, "project": "网络思想政治教育精品内容建设", "implementer": "北京大学",
        "budget_initial": D("190.00"), "budget_adjusted": None, "actual": D("85.50"), "ratio": D("45.00"),
        "score_max": None, "score": None, "total_score": None, "title_cell": "A1", "project_cell": "C3"}
    rows = indicators.sort("row")
    assert rows["actual"].to_list() == ["5集", "4场", "100%", "按计划推进", "85.5万元", "4.2万人次", "91%"]
    assert rows["actual_cell"].to_list() == [f"E{r}" for r in range(13, 20)]


@pytest.mark.parametrize(("make", "period", "year"), [(forms.monitoring_form_h1, "1-6月", 2020),
                                                       (forms.monitoring_form_m8, "1-8月", 2019)], ids=["1-6月", "1-8月"])
@pytest.mark.parametrize("ext", FORMATS)
def test_monitoring_periods(budgetlint, tmp_path, make, period, year, ext):
    case = make(tmp_path, ext)
    frames, _ = budgetlint.read_forms(case.path)
    row = frames.row(0, named=True)
    total = case.forms[0].line()
    assert (row["kind"], row["year"]) == ("monitoring", year)
    assert (dec(row["actual"]), dec(row["ratio"])) == (total.values["actual"], total.values["ratio"]), period


@pytest.mark.parametrize("ext", FORMATS)
def test_stacked_forms_are_numbered_in_sheet_order(budgetlint, tmp_path, ext):
    frames, indicators = budgetlint.read_forms(forms.stacked_forms(tmp_path, ext).path)
    assert frames.sort("form").select("form", "kind", "year", "title_cell").rows() == [
        (0, "tracking", 2019, "A1"), (1, "monitoring", 2019, "A19"), (2, "self_evaluation", 2019, "A38"),
        (3, "declaration", 2020, "A57")]
    assert indicators.group_by("form").len().sort("form")["len"].to_list() == [6, 6, 6, 12]


def test_report_frames_carry_the_file_first(budgetlint, tmp_path):
    case = forms.list_with_forms(tmp_path, "xlsx")
    report = budgetlint.check(case.paths)
    for frame in (report.forms, report.indicators):
        assert frame.columns[0] == "file"
    assert {Path(f).name for f in report.forms["file"]} == {case.paths[1].name}
    assert report.forms.height == 52
    alone, alone_indicators = budgetlint.read_forms(case.paths[1])
    assert report.forms.drop("file").sort("form").equals(alone.sort("form"))
    assert report.indicators.height == alone_indicators.height == 52 * 6
    listed = report.projects.filter(pl.col("kind") == "project")
    assert listed.height == 52


def test_annotated_copy_marks_form_cells_and_recomputes_each_form_live(budgetlint, tmp_path):
    """Form findings are filled and noted like list findings; 重算汇总 recomputes 执行率, 执行率得分 and 总分."""
    openpyxl = pytest.importorskip("openpyxl")
    case = forms.self_evaluation_form(tmp_path, "xlsx")
    report = budgetlint.check(case.path)
    out = report.write_annotated(tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(out)
    for plant in case.plants:
        cell = book[plant.sheet][plant.cell]
        assert cell.comment is not None and plant.rule in cell.comment.text, plant
        assert cell.fill.fgColor.rgb.endswith(("FFC7CE", "FFE699")), plant
    formulas = list(book["重算汇总"].iter_rows(values_only=True))
    cached = list(openpyxl.load_workbook(out, data_only=True)["重算汇总"].iter_rows(values_only=True))
    header = next(i for i, row in enumerate(formulas) if row[0] == "表单")
    lines = {row[2]: (row, cached[i]) for i, row in enumerate(formulas[header + 1:], start=header + 1) if row[0]}
    formula, value = lines["学生资助"]
    assert formula[6].startswith("=IF(") and formula[8].startswith("=IF(") and formula[9].startswith("=SUM('学生资助'!")
    assert Decimal(str(value[6])).quantize(Decimal("0.0001")) == Decimal("0.9540")
    # 10 × 95.40 %: the 得分 the form should have stated, where it states 10.00.
    assert Decimal(str(value[8])).quantize(Decimal("0.01")) == Decimal("9.54")
    _, total = lines["实验平台"]
    assert Decimal(str(total[9])) == Decimal("96.25")
