"""Rules of the user's own: a polars condition in Python, a polars SQL condition in budgetlint.toml; their
findings in the frame, the JSON, the command line's outputs and the annotated workbook alike."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from fixtures import forms

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "附件1-月坛街道-2020.xlsx"
BIN = Path(sys.executable).parent / "budgetlint"
# Projects of the example whose name holds 社区 and whose adjusted budget is over 100 万元.
COMMUNITY_OVER_100 = ["E5", "E22", "E28", "E39", "E42", "E45", "E46"]
ERROR_FILL = "FFC7CE"
WARNING_FILL = "FFE699"

TOML_RULE = """
[[rules]]
id = "U001"
message = "社区类项目调整后预算超过100万元"
severity = "{severity}"
column = "budget_adjusted"
when = "project LIKE '%社区%' AND budget_adjusted > 100"
"""


def community_rule(bl, **overrides):
    arguments = {
        "severity": "warning",
        "when": pl.col("project").str.contains("社区") & (pl.col("budget_adjusted") > 100),
        "column": "budget_adjusted",
    }
    arguments.update(overrides)
    return bl.Rule("U001", "社区类项目调整后预算超过100万元", **arguments)


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def fill_of(sheet, cell: str) -> str:
    return (sheet[cell].fill.fgColor.rgb or "")[-6:].upper()


def test_a_polars_rule_becomes_findings_at_each_matching_rows_cell(budgetlint):
    rep = budgetlint.check(EXAMPLE, rules=[community_rule(budgetlint)])
    mine = rep.findings.filter(pl.col("rule") == "U001")
    assert mine["cell"].to_list() == COMMUNITY_OVER_100
    assert set(mine["severity"]) == {"warning"} and set(mine["message"]) == {"社区类项目调整后预算超过100万元"}
    first = mine.row(0, named=True)
    assert first["sheet"] == "附件1" and first["row"] == 5
    assert first["unit"] == "北京市西城区人民政府月坛街道办事处" and first["table"]
    assert first["project"] and "社区" in first["project"]
    assert first["found"] == "395.41"
    # The built-in findings are untouched; the exit code counts the new ones (warnings do not fail by default).
    assert rep.findings.filter(pl.col("rule") == "A001").height == 5
    assert rep.exit_code == 1
    assert json.loads(rep.to_json())["summary"]["warnings"] == len(COMMUNITY_OVER_100)
    assert sum(f["rule"] == "U001" for f in json.loads(rep.to_json())["findings"]) == len(COMMUNITY_OVER_100)


def test_a_sql_string_condition_selects_the_same_rows(budgetlint):
    rule = community_rule(budgetlint, when="project LIKE '%社区%' AND budget_adjusted > 100")
    rep = budgetlint.check(EXAMPLE, rules=[rule])
    assert rep.findings.filter(pl.col("rule") == "U001")["cell"].to_list() == COMMUNITY_OVER_100


def test_the_annotated_workbook_marks_the_custom_findings(budgetlint, tmp_path):
    rep = budgetlint.check(EXAMPLE, rules=[community_rule(budgetlint, severity="error")])
    out = rep.write_annotated(tmp_path / "out.xlsx")
    book = openpyxl.load_workbook(out)
    sheet = book["附件1"]
    for cell in COMMUNITY_OVER_100:
        assert fill_of(sheet, cell) == ERROR_FILL, cell
        assert "U001" in sheet[cell].comment.text and "社区类项目" in sheet[cell].comment.text
    listed = [row for row in book["检查结果"].iter_rows(values_only=True) if "U001" in row]
    assert len(listed) >= len(COMMUNITY_OVER_100)


def test_rules_on_forms_and_indicators(budgetlint, tmp_path):
    case = forms.self_evaluation_form(tmp_path, "xlsx")
    all_forms = budgetlint.Rule("U010", "每张表都看一眼", on="forms", when=pl.lit(True), column="budget_adjusted", severity="info")
    scored = budgetlint.Rule("U011", "指标未达成", on="indicators", when=pl.col("verdict") == "not_met")
    rep = budgetlint.check(case.path, rules=[all_forms, scored], show_info=True)
    frames = rep.forms
    on_forms = rep.findings.filter(pl.col("rule") == "U010")
    assert on_forms.height == frames.height > 0
    assert on_forms["cell"].to_list() == [c or t for c, t in zip(frames["budget_adjusted_cell"], frames["title_cell"])]
    assert on_forms["form"].to_list() == frames["form"].to_list()
    assert on_forms["unit"].null_count() == 0 and on_forms["table"].null_count() == 0
    not_met = rep.indicators.filter(pl.col("verdict") == "not_met")
    on_indicators = rep.findings.filter(pl.col("rule") == "U011")
    assert on_indicators.height == not_met.height
    assert on_indicators["cell"].to_list() == [a or t for a, t in zip(not_met["actual_cell"], not_met["target_cell"])]
    assert on_indicators["row"].to_list() == not_met["row"].to_list()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda bl: bl.Rule("A001", "m", when="true"), "A001"),
        (lambda bl: bl.Rule("e002", "m", when="true"), "E002"),
        (lambda bl: bl.Rule("U 1", "m", when="true"), "U 1"),
        (lambda bl: bl.Rule("U001", "", when="true"), "message"),
        (lambda bl: bl.Rule("U001", "m", when="true", severity="fatal"), "severity"),
        (lambda bl: bl.Rule("U001", "m", when="true", on="tables"), "on"),
        (lambda bl: bl.Rule("U001", "m", when=42), "when"),
    ],
)
def test_bad_rules_are_refused_when_made(budgetlint, make, message):
    with pytest.raises(budgetlint.ConfigError, match=message):
        make(budgetlint)


def test_bad_rules_are_refused_when_checked(budgetlint):
    rule = community_rule(budgetlint)
    with pytest.raises(budgetlint.ConfigError, match="twice"):
        budgetlint.check(EXAMPLE, rules=[rule, rule])
    with pytest.raises(budgetlint.ConfigError, match="budget_adjusted"):
        budgetlint.check(EXAMPLE, rules=[community_rule(budgetlint, column="no_such_column")])
    with pytest.raises(budgetlint.ConfigError, match="U001"):
        budgetlint.check(EXAMPLE, rules=[community_rule(budgetlint, when=pl.col("no_such_column") > 1)])
    with pytest.raises(budgetlint.ConfigError, match="bl.Rule"):
        budgetlint.check(EXAMPLE, rules=["U001"])


def test_the_settings_files_rules_apply_in_python_too(budgetlint, tmp_path):
    config = tmp_path / "budgetlint.toml"
    config.write_text(TOML_RULE.format(severity="warning"), encoding="utf-8")
    rep = budgetlint.check(EXAMPLE, config=config)
    assert rep.findings.filter(pl.col("rule") == "U001")["cell"].to_list() == COMMUNITY_OVER_100
    with pytest.raises(budgetlint.ConfigError, match="twice"):
        budgetlint.check(EXAMPLE, config=config, rules=[community_rule(budgetlint)])


def test_the_command_line_takes_rules_from_the_settings_file(tmp_path):
    (tmp_path / "budgetlint.toml").write_text(TOML_RULE.format(severity="error"), encoding="utf-8")
    text = run("check", str(EXAMPLE), cwd=tmp_path)
    assert text.returncode == 1, text.stderr
    assert sum(" U001 " in line for line in text.stdout.splitlines()) == len(COMMUNITY_OVER_100)
    data = json.loads(run("check", str(EXAMPLE), "--format", "json", cwd=tmp_path).stdout)
    assert [f["cell"] for f in data["findings"] if f["rule"] == "U001"] == COMMUNITY_OVER_100
    assert data["summary"]["errors"] == 5 + len(COMMUNITY_OVER_100)
    csv = pl.read_csv(run("check", str(EXAMPLE), "--format", "csv", cwd=tmp_path).stdout.encode("utf-8"))
    assert csv.filter(pl.col("rule") == "U001").height == len(COMMUNITY_OVER_100)
    out = tmp_path / "annotated.xlsx"
    written = run("check", str(EXAMPLE), "-o", str(out), cwd=tmp_path)
    assert written.returncode == 1 and str(out) in written.stderr
    sheet = openpyxl.load_workbook(out)["附件1"]
    assert all(fill_of(sheet, cell) == ERROR_FILL and "U001" in sheet[cell].comment.text for cell in COMMUNITY_OVER_100)


def test_the_command_line_refuses_bad_rules(tmp_path):
    config = tmp_path / "budgetlint.toml"
    config.write_text(TOML_RULE.format(severity="warning").replace('id = "U001"', 'id = "A001"'), encoding="utf-8")
    clash = run("check", str(EXAMPLE), "--config", str(config), "--lang", "en")
    assert clash.returncode == 2 and "A001" in clash.stderr
    config.write_text(TOML_RULE.format(severity="warning") + 'colour = "red"\n', encoding="utf-8")
    unknown = run("check", str(EXAMPLE), "--config", str(config))
    assert unknown.returncode == 2 and "colour" in unknown.stderr
    config.write_text(TOML_RULE.format(severity="warning").replace("budget_adjusted > 100", "no_such_column > 100"), encoding="utf-8")
    broken = run("check", str(EXAMPLE), "--config", str(config), "--lang", "en")
    assert broken.returncode == 2 and "U001" in broken.stderr and "no_such_column" in broken.stderr
