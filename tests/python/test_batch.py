"""`budgetlint batch` and `bl.check_many`: a period's inbox (tests/fixtures/submissions.py) checked with each
unit's files reconciled together, annotated copies in a mirrored tree, consolidated tables, a status
line per input, exit codes, --resume, no half-written output after a kill, and the Dask path.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from fixtures import submissions

BIN = Path(sys.executable).parent / "budgetlint"
UNITS = 12
# Units 0 (folder layout), 1 (flat) and 2 (bare: no 单位名称 line, only its folder names the unit) carry
# one X002 each between their 附件1 and 附件2; unit 9's 附件1 is corrupt.
PLANTED = (0, 1, 2)


def make_inbox(directory: Path, units: int = UNITS, projects=(20, 26)) -> submissions.Inbox:
    box = submissions.inbox(directory, units, projects=projects, plant_x002=PLANTED, corrupt_share=0.1)
    # Files met in an inbox that are not workbooks to check.
    (directory / "~$附件1-锁定.xlsx").write_bytes(b"lock")
    (directory / "绩效跟踪报告.docx").write_bytes(b"PK\x03\x04 not really")
    shutil.copy(box.submissions[3].list_path, directory / "旧结果.checked.xlsx")
    # Two units' files in one folder: never reconciled with each other.
    mixed = directory / "混合"
    submissions.write_list(mixed / "附件1.xlsx", "北京市东城区人民政府和平里街道办事处", list(submissions._rows(__import__("random").Random(7), 20)))
    submissions.write_forms(mixed / "附件2.xlsx", "北京市东城区人民政府安定门街道办事处", list(submissions._rows(__import__("random").Random(8), 20)), 6)
    return box


def run(*args: str, cwd: Path | None = None, timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN), *args], capture_output=True, text=True, cwd=cwd, timeout=timeout)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    box = make_inbox(root / "inbox")
    out = root / "out"
    result = run("batch", str(box.directory), "--out-dir", str(out))
    return box, out, result


def status_of(out: Path) -> pl.DataFrame:
    return pl.read_csv(out / "status.csv", infer_schema_length=0)


def planted_cells(box) -> set[tuple[str, str, str]]:
    return {(str(s.forms_path), sheet, cell) for s in box.submissions if s.planted_x002 for sheet, cell in s.x002_cells}


def test_a_unit_is_reconciled_with_its_own_forms_and_nothing_else_is_found(batch):
    box, out, result = batch
    assert result.returncode == 2, result.stderr  # the corrupt file
    findings = pl.read_csv(out / "findings.csv", infer_schema_length=0)
    above_info = findings.filter(pl.col("severity") != "info")
    got = {(r["file"], r["sheet"], r["cell"]) for r in above_info.iter_rows(named=True)}
    assert got == planted_cells(box), above_info.select("file", "sheet", "cell", "rule", "message")
    assert set(above_info["rule"]) == {"X002"}
    # The bare unit's 附件1 names no unit: its folder does, and the list takes that name.
    bare = box.submissions[2]
    assert bare.layout == "bare"
    status = status_of(out)
    line = status.filter(pl.col("relative") == f"{bare.unit}/附件1.xlsx").row(0, named=True)
    assert line["group_files"] == "2" and line["unit"] == bare.full_name


def test_two_units_in_one_folder_are_never_reconciled(batch):
    _, out, _ = batch
    status = status_of(out).filter(pl.col("relative").str.starts_with("混合/"))
    assert status.height == 2
    assert status["group_files"].to_list() == ["1", "1"]
    assert len(set(status["group_unit"])) == 2
    findings = pl.read_csv(out / "findings.csv", infer_schema_length=0)
    assert findings.filter(pl.col("file").str.contains("混合")).height == 0


def test_annotated_copies_mirror_the_input_tree(batch):
    box, out, _ = batch
    for s in box.submissions:
        for path in (s.list_path, s.forms_path):
            if path is None:
                continue
            relative = path.relative_to(box.directory)
            copy = out / relative.parent / f"{relative.stem}.checked.xlsx"
            if s.corrupt and path == s.list_path:
                assert not copy.exists()
                continue
            assert copy.is_file(), copy
            book = openpyxl.load_workbook(copy, read_only=True)
            assert book.sheetnames[0] == "检查结果"
    assert (out / "混合" / "附件2.checked.xlsx").is_file()
    # The records --resume reads, hidden beside the copies.
    assert (out / ".budgetlint" / box.submissions[0].list_path.relative_to(box.directory).parent / "附件1.xlsx.findings.json").is_file()


def test_consolidated_tables_agree_and_summarise_by_unit_and_rule(batch):
    box, out, _ = batch
    csv = pl.read_csv(out / "findings.csv", infer_schema_length=0)
    parquet = pl.read_parquet(out / "findings.parquet")
    assert parquet.height == csv.height > 0
    assert parquet.columns == csv.columns and "unit" in parquet.columns
    assert sorted(parquet["cell"].to_list()) == sorted(csv["cell"].to_list())
    book = openpyxl.load_workbook(out / "findings.xlsx")
    assert book.sheetnames == ["按单位汇总", "按规则汇总", "问题清单", "文件状态"]
    rows = list(book["问题清单"].iter_rows(min_row=2, values_only=True))
    assert len([r for r in rows if r[0]]) == csv.height
    by_rule = {r[0]: r for r in book["按规则汇总"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert by_rule["X002"][3] == 2 * len(PLANTED) and by_rule["X002"][5] == len(PLANTED)
    by_unit = {r[0]: r for r in book["按单位汇总"].iter_rows(min_row=2, values_only=True) if r[0]}
    planted = box.submissions[0]
    assert by_unit[planted.full_name][6] == 2 and by_unit[planted.full_name][9] == "X002×2"
    corrupt = next(s for s in box.submissions if s.corrupt)
    assert by_unit[corrupt.unit][2] == 1, "the unreadable file counts for the unit its folder or name names"
    status_rows = [r for r in book["文件状态"].iter_rows(min_row=2, values_only=True) if r[0]]
    assert len(status_rows) == status_of(out).height


def test_status_says_what_became_of_every_input(batch):
    box, out, _ = batch
    status = status_of(out)
    by_name = {Path(r["relative"]).name if "/" not in r["relative"] else r["relative"]: r for r in status.iter_rows(named=True)}
    checked = status.filter(pl.col("status") == "checked")
    assert checked.height == len(box.files) - 1 + 2  # all but the corrupt one, and the mixed folder's two
    assert all(float(s) >= 0 for s in checked["seconds"])
    corrupt = next(s for s in box.submissions if s.corrupt)
    line = by_name[str(corrupt.list_path.relative_to(box.directory))]
    assert line["status"] == "unreadable" and line["kind"] and line["reason"]
    assert by_name["~$附件1-锁定.xlsx"]["status"] == "skipped" and by_name["~$附件1-锁定.xlsx"]["kind"] == "lock_file"
    assert by_name["绩效跟踪报告.docx"]["kind"] == "not_a_spreadsheet"
    assert by_name["旧结果.checked.xlsx"]["kind"] == "own_output"
    planted = box.submissions[0]
    line = by_name[str(planted.forms_path.relative_to(box.directory))]
    assert line["errors"] == "2" and line["annotated"].endswith("附件2.checked.xlsx")


def test_exit_codes(tmp_path):
    box = submissions.inbox(tmp_path / "in", 2, projects=(20, 22), plant_x002=(1,), corrupt_share=0, layouts=("folder",))
    clean, planted = (s.list_path.parent for s in box.submissions)
    assert run("batch", str(clean), "--out-dir", str(tmp_path / "o1"), "-q").returncode == 0
    assert run("batch", str(planted), "--out-dir", str(tmp_path / "o2"), "-q").returncode == 1
    assert run("batch", str(planted), "--out-dir", str(tmp_path / "o3"), "-q", "--fail-on", "never").returncode == 0
    (clean / "坏.xlsx").write_bytes(b"not a workbook")
    result = run("batch", str(clean), "--out-dir", str(tmp_path / "o4"))
    assert result.returncode == 2 and "坏.xlsx" in result.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    assert run("batch", str(empty), "--out-dir", str(tmp_path / "o5")).returncode == 2


def test_progress_lines_when_not_on_a_terminal(batch):
    _, _, result = batch
    lines = [l for l in result.stderr.splitlines() if l.startswith("[")]
    done, total = lines[-1][1:].split("]")[0].split("/")
    assert done == total == str(len(status_of(batch[1]).filter(pl.col("status") != "skipped")))
    assert "个文件/秒" in lines[-1]


def test_resume_skips_unchanged_inputs_and_rebuilds_the_tables(tmp_path):
    box = make_inbox(tmp_path / "in")
    out = tmp_path / "out"
    first = run("batch", str(box.directory), "--out-dir", str(out), "-q")
    assert first.returncode == 2
    copies = {p: p.stat().st_mtime_ns for p in out.rglob("*.checked.xlsx")}
    findings = pl.read_csv(out / "findings.csv", infer_schema_length=0)
    for name in ("findings.csv", "findings.parquet", "findings.xlsx", "status.csv"):
        (out / name).unlink()
    touched = box.submissions[4].list_path
    time.sleep(0.05)
    touched.write_bytes(touched.read_bytes())  # a unit sent its file again
    second = run("batch", str(box.directory), "--out-dir", str(out), "--resume", "-q")
    assert second.returncode == 2
    for name in ("findings.csv", "findings.parquet", "findings.xlsx", "status.csv"):
        assert (out / name).is_file(), name
    changed = {p for p, ns in copies.items() if p.stat().st_mtime_ns != ns}
    relative = touched.relative_to(box.directory)
    assert changed == {out / relative.parent / f"{relative.stem}.checked.xlsx"}
    status = status_of(out)
    resumed = status.filter(pl.col("resumed") == "true")
    assert resumed.height == len(copies) - 1
    again = pl.read_csv(out / "findings.csv", infer_schema_length=0)
    assert again.sort("file", "cell").equals(findings.sort("file", "cell"))
    # Other settings, other findings: nothing is taken over.
    third = run("batch", str(box.directory), "--out-dir", str(out), "--resume", "-q", "--show-info")
    assert third.returncode == 2
    assert status_of(out).filter(pl.col("resumed") == "true").height == 0


def test_a_killed_batch_leaves_only_whole_outputs_and_resume_finishes_it(tmp_path):
    box = make_inbox(tmp_path / "in", units=16, projects=(60, 80))
    out = tmp_path / "out"
    proc = subprocess.Popen([str(BIN), "batch", str(box.directory), "--out-dir", str(out), "-j", "1", "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list(out.rglob("*.checked.xlsx"))) < 3:
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    written = list(out.rglob("*.checked.xlsx"))
    assert 3 <= len(written) < len(box.files), "killed mid-way"
    for path in out.rglob("*"):
        if path.is_dir():
            continue
        name = path.name
        if name.startswith("."):
            assert name.endswith(f".{proc.pid}.tmp"), f"{name}: a temporary file, clearly named"
            continue
        if ".budgetlint" in path.relative_to(out).parts:
            json.loads(path.read_text(encoding="utf-8"))  # a record is whole
            continue
        assert name.endswith(".checked.xlsx"), f"{name}: no consolidated table before the end"
        openpyxl.load_workbook(path, read_only=True).close()
    result = run("batch", str(box.directory), "--out-dir", str(out), "--resume", "-q")
    assert result.returncode == 2, result.stderr
    assert not [p for p in out.rglob("*.tmp")], "--resume cleans what the killed run left"
    status = status_of(out)
    assert 0 < status.filter(pl.col("resumed") == "true").height < status.height
    assert (out / "findings.xlsx").is_file()


# --------------------------------------------------------------------------- Python


def test_check_many_finds_the_same_and_every_frame_has_a_unit(budgetlint, batch):
    box, out, _ = batch
    report = budgetlint.check_many(box.directory, jobs=2)
    for name in ("findings", "projects", "summary", "forms", "indicators"):
        assert "unit" in getattr(report, name).columns, name
    above_info = report.findings.filter(pl.col("severity") != "info")
    assert {(r["file"], r["sheet"], r["cell"]) for r in above_info.iter_rows(named=True)} == planted_cells(box)
    assert len(report.failures) == 1 and report.exit_code == 2
    batch_findings = pl.read_parquet(out / "findings.parquet")
    assert sorted(batch_findings["cell"].to_list()) == sorted(report.findings["cell"].to_list())


def _sorted(frame: pl.DataFrame) -> pl.DataFrame:
    frame = frame.select(sorted(frame.columns))
    return frame.sort(frame.columns, nulls_last=True)


def test_check_many_on_a_dask_cluster_equals_the_local_report(budgetlint, batch):
    distributed = pytest.importorskip("dask.distributed")
    box, _, _ = batch
    local = budgetlint.check_many(box.directory)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as client:
            remote = budgetlint.check_many(box.directory, client=client)
    assert _sorted(remote.findings).equals(_sorted(local.findings))
    assert remote.findings.equals(local.findings), "files in input order, as locally"
    for name in ("projects", "summary", "forms", "indicators"):
        assert _sorted(getattr(remote, name)).equals(_sorted(getattr(local, name))), name
    assert remote.failures == local.failures
    assert remote.exit_code == local.exit_code == 2
    assert repr(remote) == repr(local)
