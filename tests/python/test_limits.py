"""Reading limits as settings: `[limits]` in budgetlint.toml, `--limit KEY=VALUE`, Python's `limits=`.

Two small workbooks from the hostile corpus's pieces: the 附件1 table (one wrong ratio, A001 at G7),
which spans a few dozen cells on its sheet, and the same table beside a 说明 sheet whose one cell
holds 40,000 characters, past the default bound of 32,767 (Excel's own).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures import hostile

BIN = Path(sys.executable).parent / "budgetlint"

SHEET_REFUSED = "的工作表“附件1”超出读取上限"
HINT = "--limit max_cells_per_sheet=N"
CHECKED = ("A001", hostile.WRONG_RATIO_CELL)
LONG_CHARS = 40_000


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def output(result: subprocess.CompletedProcess) -> str:
    return result.stdout + result.stderr


@pytest.fixture()
def table(tmp_path) -> Path:
    return hostile.table_workbook(tmp_path / "附件1-月坛街道.xlsx")


@pytest.fixture()
def long_note(tmp_path) -> Path:
    """The table, and a 说明 sheet whose A1 holds 40,000 characters."""
    note = ("说明", hostile.WORKSHEET_REL, "worksheets/sheet2.xml", hostile.sheet_xml([["备" * LONG_CHARS]]))
    return hostile.table_workbook(tmp_path / "附件1-说明.xlsx", extra_sheets=[note])


def assert_checked(result: subprocess.CompletedProcess) -> None:
    assert result.returncode == 1, output(result)
    for word in CHECKED:
        assert word in result.stdout, output(result)
    assert "超出读取上限" not in output(result)


def assert_sheet_refused(result: subprocess.CompletedProcess, path: Path) -> None:
    text = output(result)
    assert result.returncode == 2, text
    assert str(path) in text and SHEET_REFUSED in text, text
    assert "超过上限 10 个" in text, text
    assert HINT in text and "[limits]" in text, text
    assert "A001" not in result.stdout, text


# --------------------------------------------------------------------------- command line


def test_default_limits_check_the_table(table):
    assert_checked(run("check", str(table)))


def test_limit_flag_refuses_a_sheet_past_it(table):
    assert_sheet_refused(run("check", str(table), "--limit", "max_cells_per_sheet=10"), table)
    # Raised again (with separators), the same file is checked.
    assert_checked(run("check", str(table), "--limit", "max_cells_per_sheet=10", "--limit", "max_cells_per_sheet=1_000"))


def test_the_refusal_in_english_names_the_flag(table):
    result = run("check", str(table), "--lang", "en", "--limit", "max_cells_per_sheet=10")
    assert result.returncode == 2, output(result)
    assert "sheet '附件1' is beyond the reading limits" in output(result), output(result)
    assert "raise this limit: --limit max_cells_per_sheet=N" in output(result), output(result)


def test_a_limit_above_the_default_reads_what_the_default_refuses(long_note):
    refused = run("check", str(long_note))
    assert refused.returncode == 2, output(refused)
    assert "的工作表“说明”超出读取上限" in output(refused), output(refused)
    assert f"单元格 A1 有 {LONG_CHARS:,} 个字符，超过上限 32,767 个" in output(refused), output(refused)
    assert "--limit max_cell_chars=N" in output(refused), output(refused)
    assert_checked(run("check", str(long_note), "--limit", "max_cell_chars=50_000"))


def test_the_settings_file_sets_limits_and_the_flag_goes_over_it(table, tmp_path):
    (tmp_path / "budgetlint.toml").write_text("[limits]\nmax_cells_per_sheet = 10\n", encoding="utf-8")
    assert_sheet_refused(run("check", str(table), cwd=tmp_path), table)
    assert_checked(run("check", str(table), "--limit", "max_cells_per_sheet=20_000_000", cwd=tmp_path))
    # The same file by --config, from another folder.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    assert_sheet_refused(run("check", str(table), "--config", str(tmp_path / "budgetlint.toml"), cwd=elsewhere), table)
    assert_checked(run("check", str(table), cwd=elsewhere))


@pytest.mark.parametrize(
    ("toml", "words"),
    [
        ("[limits]\nmax_cells_per_sheet = 0\n", ["[limits] 读取上限 max_cells_per_sheet 应为大于 0 的整数", "而不是 0"]),
        ("[limits]\nmax_sheets = -5\n", ["读取上限 max_sheets 应为大于 0 的整数", "而不是 -5"]),
        ("[limits]\nmax_bytes = 1.5\n", ["读取上限 max_bytes 应为大于 0 的整数"]),
        ("[limits]\nmax_cells = 10\n", ["max_cells", "unknown field"]),
    ],
)
def test_a_bad_limits_table_is_refused_naming_the_key(table, tmp_path, toml, words):
    config = tmp_path / "budgetlint.toml"
    config.write_text(toml, encoding="utf-8")
    result = run("check", str(table), cwd=tmp_path)
    assert result.returncode == 2, output(result)
    assert f"配置文件 {config.name} 有误" in result.stderr, output(result)
    for word in words:
        assert word in result.stderr, output(result)


@pytest.mark.parametrize(
    ("flag", "words"),
    [
        ("max_cells_per_sheet=0", ["--limit max_cells_per_sheet=0：读取上限 max_cells_per_sheet 应为大于 0 的整数"]),
        ("max_cells_per_sheet=many", ["max_cells_per_sheet", "而不是 many"]),
        ("max_rows=10", ["未知读取上限 max_rows", "max_cells_per_sheet"]),
        ("max_cells_per_sheet", ["--limit max_cells_per_sheet：应写成 名称=值"]),
    ],
)
def test_a_bad_limit_flag_is_refused_naming_the_key(table, flag, words):
    result = run("check", str(table), "--limit", flag)
    assert result.returncode == 2, output(result)
    for word in words:
        assert word in result.stderr, output(result)


def test_annotate_reads_within_the_limits(table, tmp_path):
    target = tmp_path / "out.checked.xlsx"
    result = run("check", str(table), "-o", str(target), "--limit", "max_cells_per_sheet=10")
    assert_sheet_refused(result, table)
    assert not target.exists()
    result = run("check", str(table), "-o", str(target))
    assert result.returncode == 1 and target.exists(), output(result)


def test_extract_reads_within_the_limits(table, tmp_path):
    result = run("extract", str(table), "--limit", "max_cells_per_sheet=10")
    assert result.returncode == 2 and SHEET_REFUSED in result.stderr and HINT in result.stderr, output(result)
    out = tmp_path / "rows.csv"
    assert run("extract", str(table), "-o", str(out)).returncode == 0
    (tmp_path / "budgetlint.toml").write_text("[limits]\nmax_cells_per_sheet = 10\n", encoding="utf-8")
    result = run("extract", str(table), cwd=tmp_path)
    assert result.returncode == 2 and SHEET_REFUSED in result.stderr, output(result)


def test_batch_reads_within_the_limits(table, tmp_path):
    out = tmp_path / "out"
    result = run("batch", str(table), "--out-dir", str(out), "--quiet", "--limit", "max_cells_per_sheet=10")
    assert result.returncode == 2, output(result)
    with (out / "status.csv").open(encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 1, rows
    reason = " ".join(rows[0].values())
    assert "unreadable" in reason and SHEET_REFUSED in reason and HINT in reason, rows


# --------------------------------------------------------------------------- Python


def test_python_check_takes_limits(budgetlint, table):
    bl = budgetlint
    with pytest.raises(bl.BudgetlintError) as raised:
        bl.check(table, limits={"max_cells_per_sheet": 10})
    error = raised.value
    assert isinstance(error, bl.UnreadableWorkbook)
    assert error.path == str(table) and error.sheet == "附件1"
    assert SHEET_REFUSED in str(error) and "超过上限 10 个" in str(error) and HINT in str(error), str(error)
    assert 'limits={"max_cells_per_sheet": N}' in str(error), str(error)
    # Collected instead of raised.
    rep = bl.check(table, limits={"max_cells_per_sheet": 10}, on_error="collect")
    assert [(path, kind) for path, kind, _ in rep.failures] == [(str(table), "UnreadableWorkbook")]
    # Default and raised limits read it.
    for limits in (None, {"max_cells_per_sheet": 20_000_000}, {"max_cells_per_sheet": "20_000_000"}):
        rep = bl.check(table, limits=limits)
        assert rep.failures == [] and "A001" in rep.findings["rule"].to_list(), limits


def test_python_limits_above_the_default(budgetlint, long_note):
    bl = budgetlint
    with pytest.raises(bl.UnreadableWorkbook) as raised:
        bl.check(long_note)
    assert raised.value.sheet == "说明" and "max_cell_chars" in str(raised.value)
    rep = bl.check(long_note, limits={"max_cell_chars": 50_000})
    assert "A001" in rep.findings["rule"].to_list()


def test_python_limits_go_over_the_settings_file(budgetlint, table, tmp_path):
    bl = budgetlint
    config = tmp_path / "limits.toml"
    config.write_text("[limits]\nmax_cells_per_sheet = 10\n", encoding="utf-8")
    with pytest.raises(bl.UnreadableWorkbook, match="超出读取上限"):
        bl.check(table, config=config)
    rep = bl.check(table, config=config, limits={"max_cells_per_sheet": 1_000})
    assert "A001" in rep.findings["rule"].to_list()


@pytest.mark.parametrize(
    ("limits", "words"),
    [
        ({"max_cells_per_sheet": 0}, ["读取上限 max_cells_per_sheet 应为大于 0 的整数", "而不是 0"]),
        ({"max_sheets": -1}, ["max_sheets", "而不是 -1"]),
        ({"max_bytes": 1.5}, ["max_bytes", "而不是 1.5"]),
        ({"max_sheets": True}, ["max_sheets", "而不是 True"]),
        ({"max_rows": 10}, ["未知读取上限 max_rows"]),
    ],
)
def test_python_bad_limits_are_config_errors(budgetlint, table, limits, words):
    bl = budgetlint
    for call in (
        lambda: bl.check(table, limits=limits),
        lambda: bl.read_list(table, limits=limits),
        lambda: bl.read_forms(table, limits=limits),
    ):
        with pytest.raises(bl.ConfigError) as raised:
            call()
        for word in words:
            assert word in str(raised.value), str(raised.value)
    with pytest.raises(bl.ConfigError):
        bl.check(table, limits=[("max_sheets", 1)])


def test_python_read_functions_take_limits(budgetlint, table):
    bl = budgetlint
    assert bl.read_list(table).height == 5
    assert bl.read_list(table, limits={"max_cells_per_sheet": 1_000}).height == 5
    for call in (
        lambda: bl.read_list(table, limits={"max_cells_per_sheet": 10}),
        lambda: bl.read_list(table, strict=False, limits={"max_cells_per_sheet": 10}),
        lambda: bl.read_forms(table, limits={"max_cells_per_sheet": 10}),
    ):
        with pytest.raises(bl.UnreadableWorkbook) as raised:
            call()
        assert raised.value.sheet == "附件1" and HINT in str(raised.value), str(raised.value)
    forms, indicators = bl.read_forms(table, limits={"max_sheets": 1})
    assert forms.height == 0 and indicators.height == 0
    second = ("第二", hostile.WORKSHEET_REL, "worksheets/sheet2.xml", hostile.sheet_xml([["x"]]))
    two = hostile.table_workbook(table.with_name("two.xlsx"), extra_sheets=[second])
    assert bl.read_list(two).height == 5
    with pytest.raises(bl.UnreadableWorkbook, match="共有 2 个工作表，超过上限 1 个") as raised:
        bl.read_list(two, limits={"max_sheets": 1})
    assert raised.value.sheet is None and "--limit max_sheets=N" in str(raised.value)
