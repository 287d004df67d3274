"""Formulas: computed where the file holds no result, named where they cannot be, and stale results noted.

Every expected figure comes from tests/fixtures/formulas.py, computed there in Decimal from the
figures written; the workbooks are read back by the CLI and by the Python API.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from fixtures import formulas

BIN = Path(sys.executable).parent / "budgetlint"


def check(path: Path, *extra: str) -> tuple[int, list[dict]]:
    run = subprocess.run([str(BIN), "check", str(path), "--format", "json", "--show-info", *extra],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout)["findings"]


def above_info(findings: list[dict]) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["cell"]) for f in findings if f["severity"] != "info")


def test_formulas_without_results_are_computed_and_checked(tmp_path, budgetlint):
    path = formulas.uncached_list(tmp_path / "openpyxl.xlsx")
    code, findings = check(path)
    # Filled by formulas, so never "missing"; and they add up, so nothing at all.
    assert above_info(findings) == []
    assert code == 0
    projects = budgetlint.check(path).projects
    ratios = [Decimal(str(r)) for r, kind in zip(projects["ratio"].to_list(), projects["kind"].to_list()) if kind == "project"]
    assert ratios == [formulas.ratio(p[4], p[3]) for p in formulas.PROJECTS]


def test_a_ratio_typed_over_its_formula_is_still_checked(tmp_path):
    row = formulas.FIRST_ROW + 1  # 培训经费: 75.50 / 80.00 = 94.38 %
    path = formulas.uncached_list(tmp_path / "typed.xlsx", typed_ratio=(row, "90.00"))
    _, findings = check(path)
    assert above_info(findings) == [("A001", f"G{row}")]
    [finding] = [f for f in findings if f["rule"] == "A001"]
    assert finding["expected"] == f"{formulas.ratio('75.50', '80.00')}%"


def test_a_typed_total_is_compared_with_the_computed_rows(tmp_path):
    wrong = formulas.column_total(3) + Decimal("12.34")
    path = formulas.uncached_list(tmp_path / "total.xlsx", typed_total=str(wrong))
    _, findings = check(path)
    rules = above_info(findings)
    assert ("A002", f"E{formulas.TOTAL_ROW}") in rules
    # The total's ratio formula reads the typed total: it agrees with it, so only A002 fires.
    assert {rule for rule, _ in rules} == {"A002"}


def test_shared_formulas_are_computed_cell_by_cell(tmp_path):
    row = formulas.FIRST_ROW + 2
    clean = formulas.shared_formula_list(tmp_path / "shared.xlsx")
    assert above_info(check(clean)[1]) == []
    typed = formulas.shared_formula_list(tmp_path / "shared_typed.xlsx", typed_ratio=(row, "99.00"))
    assert above_info(check(typed)[1]) == [("A001", f"G{row}")]


def test_formulas_that_cannot_be_computed_are_named_once_per_sheet_never_missing(tmp_path):
    path = formulas.uncomputable_list(tmp_path / "vlookup.xlsx")
    code, findings = check(path)
    assert above_info(findings) == [("S004", f"D{formulas.FIRST_ROW}")]
    [finding] = [f for f in findings if f["rule"] == "S004"]
    assert "VLOOKUP" in finding["message"] and str(len(formulas.PROJECTS)) in finding["message"]
    assert finding["severity"] == "warning"
    assert not [f for f in findings if f["rule"] in ("V001", "V002")]
    assert code == 0  # a warning does not fail the default --fail-on error
    english = subprocess.run([str(BIN), "check", str(path), "--lang", "en"], capture_output=True, text=True, timeout=120)
    assert "open and save the workbook in Excel" in english.stdout


def test_a_stale_stored_result_is_noted_and_a_fresh_one_is_not(tmp_path):
    fresh = formulas.stale_list(tmp_path / "fresh.xlsx", stale=False)
    assert above_info(check(fresh)[1]) == []
    stale = formulas.stale_list(tmp_path / "stale.xlsx", stale=True)
    _, findings = check(stale)
    cell = f"E{formulas.TOTAL_ROW}"
    # The 合计's ratio was stored from the stale total: it agrees with it (no A001), and is stale too.
    assert above_info(findings) == [("A002", cell), ("S005", cell), ("S005", f"G{formulas.TOTAL_ROW}")]
    [note] = [f for f in findings if f["rule"] == "S005" and f["cell"] == cell]
    assert Decimal(note["expected"]) == formulas.column_total(3)
    assert Decimal(note["found"]) == formulas.column_total(3) - Decimal("10.00")


def test_the_annotated_copy_carries_the_computed_results(tmp_path):
    calamine = pytest.importorskip("python_calamine")
    path = formulas.uncached_list(tmp_path / "copy_me.xlsx")
    out = tmp_path / "out"
    run = subprocess.run([str(BIN), "check", str(path), "--annotate", "--out-dir", str(out)], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    [copy] = list(out.glob("*.xlsx"))
    rows = calamine.CalamineWorkbook.from_path(str(copy)).get_sheet_by_name("附件1").to_python()
    total = rows[formulas.TOTAL_ROW - 1]
    assert Decimal(str(total[4])).quantize(Decimal("0.01")) == formulas.column_total(3)
    assert Decimal(str(rows[formulas.FIRST_ROW - 1][6])) == formulas.ratio(formulas.PROJECTS[0][4], formulas.PROJECTS[0][3])
