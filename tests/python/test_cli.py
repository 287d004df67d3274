"""The `budgetlint` console script as a pipeline uses it: exit codes, formats, language, config."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from fixtures import planted

BIN = Path(sys.executable).parent / "budgetlint"


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_check_exits_1_on_errors_and_prints_grouped_text(workbooks):
    result = run("check", str(workbooks.path("seed_table1", "xlsx")))
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].endswith("seed_table1.xlsx")
    assert lines[1].strip().startswith("工作表")
    assert sum("A001" in line for line in lines) == 5
    assert lines[-1].startswith("共检查 1 个文件：5 个错误，0 个警告")
    assert "\x1b[" not in result.stdout, "no colour when not on a terminal"


def test_check_exit_codes_follow_fail_on(workbooks, tmp_path):
    clean = str(workbooks.path("clean", "xlsx"))
    assert run("check", clean).returncode == 0
    seed = str(workbooks.path("seed_table1", "xlsx"))
    assert run("check", seed, "--fail-on", "never").returncode == 0
    warnings_only = planted.planted_list(tmp_path)
    assert run("check", str(warnings_only.path), "--disable", "A001,A002,A003,V001,V002", "--fail-on", "error").returncode == 0
    assert run("check", str(warnings_only.path), "--disable", "A001,A002,A003,V001,V002", "--fail-on", "warning").returncode == 1


def test_unreadable_file_exits_2_and_the_batch_carries_on(workbooks):
    bad = workbooks.bad["not_a_workbook"].path
    result = run("check", str(bad), str(workbooks.path("seed_table1", "xlsx")), "--format", "json")
    assert result.returncode == 2
    data = json.loads(result.stdout)
    assert data["summary"]["unreadable"] == 1 and data["summary"]["errors"] == 5
    assert str(bad) in result.stderr


def test_absurd_figures_are_reported_not_crashed_on(tmp_path):
    """A 29-digit typo and float noise for a divisor once overflowed rust_decimal and aborted the run."""
    import xlsxwriter

    path = tmp_path / "absurd.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("附件1")
    sheet.write_row(0, 0, ["项目名称", "调整后预算金额", "实际支出金额", "预算支出比例"])
    sheet.write_row(1, 0, ["甲", 1e-27, 7e28, 1.0])
    sheet.write_row(2, 0, ["乙", 5.55e-17, 900.0, 0.9])
    book.close()
    for args in (["--format", "json"], ["-o", str(tmp_path / "absurd.checked.xlsx")]):
        result = run("check", str(path), *args)
        assert result.returncode == 1, result.stderr
        assert "panicked" not in result.stderr
    findings = json.loads(run("check", str(path), "--format", "json").stdout)["findings"]
    refused = [f for f in findings if f["rule"] == "V002"]
    assert [f["cell"] for f in refused] == ["C2"]
    assert "超出可核对的范围" in refused[0]["message"]


def test_json_and_csv_output_carry_every_field(workbooks, tmp_path):
    seed = str(workbooks.path("seed_table1", "xlsx"))
    data = json.loads(run("check", seed, "--format", "json").stdout)
    first = data["findings"][0]
    assert set(first) >= {"file", "sheet", "cell", "rule", "severity", "message", "found", "expected", "inputs"}
    csv_out = run("check", seed, "--format", "csv").stdout
    frame = pl.read_csv(csv_out.encode("utf-8"))
    assert frame.height == 5 and frame.columns[0] == "file"
    out = tmp_path / "findings.parquet"
    assert run("check", seed, "-o", str(out)).returncode == 1
    assert pl.read_parquet(out).height == 5


def test_english_on_request(workbooks):
    result = run("check", str(workbooks.path("seed_table1", "xlsx")), "--lang", "en")
    assert "the ratio reads 100.00 %" in result.stdout
    assert result.stdout.splitlines()[-1].startswith("1 file(s) checked: 5 error(s)")


def test_config_in_working_directory_and_unknown_keys(workbooks, tmp_path):
    seed = str(workbooks.path("seed_table1", "xlsx"))
    (tmp_path / "budgetlint.toml").write_text('disable = ["A001"]\n', encoding="utf-8")
    assert run("check", seed, cwd=tmp_path).returncode == 0
    (tmp_path / "budgetlint.toml").write_text("shout = 1\n", encoding="utf-8")
    result = run("check", seed, cwd=tmp_path)
    assert result.returncode == 2 and "shout" in result.stderr


def test_a_folder_is_checked_file_by_file(workbooks, tmp_path):
    folder = tmp_path / "submitted"
    folder.mkdir()
    for name in ["clean", "seed_table1"]:
        (folder / f"{name}.xlsx").write_bytes(workbooks.path(name, "xlsx").read_bytes())
    (folder / "broken.xlsx").write_bytes(b"not a workbook")
    data = json.loads(run("check", str(folder), "--format", "json").stdout)
    assert data["summary"]["files"] == 3 and data["summary"]["unreadable"] == 1
    assert {Path(f["file"]).name for f in data["findings"]} == {"seed_table1.xlsx"}


def test_rules_and_explain():
    rules = run("rules")
    assert rules.returncode == 0 and "A001" in rules.stdout and "X004" in rules.stdout
    explained = run("explain", "A001", "--lang", "en")
    assert explained.returncode == 0 and "266.47 ÷ 270.00" in explained.stdout
    assert run("explain", "Z999").returncode == 2


@pytest.mark.parametrize("args", [["check"], ["nonsense"], ["check", "x.xlsx", "--format", "yaml"]])
def test_usage_errors_exit_2(args):
    assert run(*args).returncode == 2


def test_an_unknown_output_extension_is_refused_before_checking(workbooks, tmp_path):
    out = tmp_path / "findings.txt"
    result = run("check", str(workbooks.path("seed_table1", "xlsx")), "-o", str(out))
    assert result.returncode == 2
    assert ".xlsx" in result.stderr and result.stdout == ""
    assert not out.exists()


def test_a_closed_pipe_ends_the_output_quietly(workbooks):
    """`budgetlint … | head -1`: the reader leaving is no internal error."""
    seed = str(workbooks.path("seed_report_tables", "xlsx"))
    for args in (["extract", seed], ["check", seed, "--show-info", "--format", "csv"]):
        proc = subprocess.Popen([str(BIN), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.stdout.readline()
        proc.stdout.close()
        proc.wait(timeout=60)
        stderr = proc.stderr.read().decode("utf-8")
        assert "内部错误" not in stderr and "Traceback" not in stderr and "panicked" not in stderr, stderr


def test_extract_files_keep_the_shown_decimals(workbooks, tmp_path):
    out = tmp_path / "rows.json"
    assert run("extract", str(workbooks.path("general_precision", "xlsx")), "-o", str(out)).returncode == 0
    text = out.read_text(encoding="utf-8")
    assert ": 80.00," in text and ": 80," not in text, "General 80 in a column of 405.81 is written as 80.00"


def test_annotate_gives_every_input_its_own_copy_mirroring_the_folders(workbooks, tmp_path):
    import shutil
    source = workbooks.path("clean", "xlsx")
    inbox = tmp_path / "inbox"
    for relative in ("a.xlsx", "a.xlsm", "sub/a.xlsx"):
        (inbox / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(source, inbox / relative)
    (inbox / "sub" / "up").symlink_to("..")  # a link back up the tree is not searched again
    out = tmp_path / "out"
    result = run("check", str(inbox), "--annotate", "--out-dir", str(out), "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["summary"]["files"] == 3
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*.xlsx"))
    assert written == ["a.xlsm.checked.xlsx", "a.xlsx.checked.xlsx", "sub/a.checked.xlsx"]
