"""budgetlint.read_list and `budgetlint extract` on every fixture layout in every format.

The expected rows come from tests/fixtures/layouts.py; the figures from the seed report.
"""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from fixtures import layouts, seed_report

CORE_COLUMNS = [
    "sheet", "table", "row", "kind", "seq", "unit", "department", "project",
    "budget_initial", "budget_adjusted", "actual", "ratio",
    "budget_initial_cell", "budget_adjusted_cell", "actual_cell", "ratio_cell", "source_unit",
    "level", "parent_row",
]
DECIMAL_COLUMNS = ["budget_initial", "budget_adjusted", "actual", "ratio"]
EXTRA_COLUMNS = sorted(set(layouts.KNOWN_EXTRAS.values()) | {"资金来源"})


def read(budgetlint, path: Path) -> pl.DataFrame:
    return budgetlint.read_list(str(path))


def mismatches(frame: pl.DataFrame, expected: list[dict], label_seq: bool = True) -> list[str]:
    """Every difference between ``frame`` and ``expected``, one readable line each.

    ``label_seq=False`` leaves out the seq of 小计/合计 rows: test_total_label_is_not_a_seq
    checks it on its own, so that one disputed point does not hide every other difference.
    """
    problems = [f"missing column {name!r}" for name in CORE_COLUMNS if name not in frame.columns]
    if problems:
        return problems
    rows = frame.to_dicts()
    if len(rows) != len(expected):
        got = [(row["row"], row["kind"], row["project"]) for row in rows]
        want = [(row["row"], row["kind"], row["project"]) for row in expected]
        return [f"{len(rows)} rows instead of {len(expected)}:\n  got  {got}\n  want {want}"]
    for got, want in zip(rows, expected):
        for column, value in want.items():
            if column == "seq" and want["kind"] != "project" and not label_seq:
                continue
            if column not in got:
                problems.append(f"missing column {column!r}")
            elif not same_value(got[column], value):
                problems.append(f"row {want['row']} ({want['project'] or want['kind']}) {column}: "
                                f"got {got[column]!r}, want {value!r}")
    extras_not_expected = [name for name in frame.columns
                           if name not in CORE_COLUMNS and name not in expected[0]]
    for name in extras_not_expected:
        if frame[name].null_count() != frame.height:
            problems.append(f"unexpected values in column {name!r}: {frame[name].to_list()}")
    return problems


def same_value(got, want) -> bool:
    if want is None or got is None:
        return got is None and want is None
    if isinstance(want, Decimal):
        return Decimal(str(got)) == want  # by value: 80 == 80.00
    return got == want


def assert_rows(frame: pl.DataFrame, expected: list[dict], label_seq: bool = True) -> None:
    problems = mismatches(frame, expected, label_seq)
    assert not problems, "\n".join(problems[:40])


# ----------------------------------------------------------------------------- every layout × format


@pytest.mark.parametrize(("layout", "ext"), layouts.layout_cases(), ids=lambda value: str(value))
def test_read_list_rows_and_provenance(budgetlint, workbooks, layout, ext):
    frame = read(budgetlint, workbooks.path(layout, ext))
    assert_rows(frame, workbooks.expected(layout, ext), label_seq=False)


@pytest.mark.parametrize("layout", ["clean", "subtotals_total_spellings", "seed_report_tables"])
def test_total_label_is_not_a_seq(budgetlint, workbooks, layout):
    """合计/合 计/总计/小计 are labels, wherever written: seq stays null on those rows,
    as department does on 小计 (it names the department) and project on 总计."""
    frame = read(budgetlint, workbooks.path(layout, "xlsx"))
    labels = frame.filter(pl.col("kind") != "project")
    assert labels["seq"].to_list() == [None] * labels.height


def test_column_types(budgetlint, workbooks):
    frame = read(budgetlint, workbooks.path("clean", "xlsx"))
    assert frame.columns[: len(CORE_COLUMNS)] == CORE_COLUMNS
    for name in DECIMAL_COLUMNS:
        assert isinstance(frame.schema[name], pl.Decimal), f"{name} is {frame.schema[name]}"
    for name in ("table", "row", "level", "parent_row"):
        assert frame.schema[name].is_integer(), f"{name} is {frame.schema[name]}"
    for name in set(CORE_COLUMNS) - set(DECIMAL_COLUMNS) - {"table", "row", "level", "parent_row"}:
        assert frame.schema[name] == pl.String, f"{name} is {frame.schema[name]}"


@pytest.mark.parametrize("ext", layouts.ALL_FORMATS)
def test_extras_are_kept_as_text(budgetlint, workbooks, ext):
    frame = read(budgetlint, workbooks.path("synonyms_extras", ext))
    for name in EXTRA_COLUMNS:
        assert frame.schema[name] == pl.String, f"{name} is {frame.schema[name]}"
    reasons = dict(zip(frame["project"], frame["deviation_reason"]))
    assert reasons["街区环境综合整治"] == "部分整治点位延至2021年实施"


@pytest.mark.parametrize("ext", layouts.ALL_FORMATS)
def test_general_number_takes_its_column_precision(budgetlint, workbooks, ext):
    """FORMATS.md §4: `80` in a General column of 405.81 stands for 80.00, so it reads as 80.00."""
    frame = read(budgetlint, workbooks.path("general_precision", ext))
    by_project = {row["project"]: row for row in frame.to_dicts()}
    assert str(by_project["城市体检项目经费"]["budget_initial"]) == "80.00"
    assert str(by_project["社区党组织服务群众经费"]["budget_adjusted"]) == "379.50"


@pytest.mark.parametrize("ext", ("xlsx", "xlsm", "ods"))
def test_formula_shows_its_cached_value_as_the_user_sees_it(budgetlint, workbooks, ext):
    """The cached SUM is 1192.8899999999999 (binary float); the user sees 1,192.89."""
    frame = read(budgetlint, workbooks.path("formulas", ext))
    total = frame.filter(pl.col("kind") == "total").to_dicts()[0]
    assert str(total["budget_initial"]).rstrip("0") == "1192.89"
    assert str(total["actual"]).rstrip("0") == "1126.29"


# ----------------------------------------------------------------------------- the seed report

SEED_ROW_SUMS = {  # the 52 rows of 表1 added exactly (万元)
    "budget_initial": Decimal("23439.10"),
    "budget_adjusted": Decimal("23233.44"),
    "actual": Decimal("22991.25"),
}
SEED_PRINTED_TOTAL = {  # what 表1's 合计 row shows
    "budget_initial": Decimal("23439.08"),
    "budget_adjusted": Decimal("23233.43"),
    "actual": Decimal("22991.25"),
    "ratio": Decimal("98.96"),
}
SEED_DEPARTMENT_SIZES = {
    "综合办公室": 6, "城市管理办公室": 11, "党群工作办公室": 7, "民生保障办公室": 6,
    "平安建设办公室": 7, "社区建设办公室": 7, "市民服务中心": 7, "地区协调服务办公室": 1,
}


def seed_departments() -> dict[str, str]:
    department, found = "", {}
    for row in seed_report.TABLE1.rows:
        department = seed_report.normalized_department(row.department) or department
        found[row.project] = department
    return found


@pytest.mark.parametrize("ext", layouts.ALL_FORMATS)
@pytest.mark.parametrize("layout", ["seed_table1", "seed_attachment1"])
def test_seed_table1_sums_and_printed_total(budgetlint, workbooks, layout, ext):
    frame = read(budgetlint, workbooks.path(layout, ext))
    projects = frame.filter(pl.col("kind") == "project")
    assert projects.height == 52
    for column, expected in SEED_ROW_SUMS.items():
        assert sum(projects[column].to_list(), Decimal(0)) == expected, column
    total = frame.filter(pl.col("kind") == "total").to_dicts()
    assert len(total) == 1
    for column, expected in SEED_PRINTED_TOTAL.items():
        assert Decimal(str(total[0][column])) == expected, column


@pytest.mark.parametrize("ext", layouts.ALL_FORMATS)
def test_seed_table1_department_of_every_project(budgetlint, workbooks, ext):
    frame = read(budgetlint, workbooks.path("seed_table1", ext)).filter(pl.col("kind") == "project")
    assert dict(zip(frame["project"], frame["department"])) == seed_departments()
    assert Counter(frame["department"]) == SEED_DEPARTMENT_SIZES


@pytest.mark.parametrize("layout", ["seed_report_tables", "seed_report_stacked"])
@pytest.mark.parametrize("ext", layouts.ALL_FORMATS)
def test_seed_report_tables_one_per_table(budgetlint, workbooks, layout, ext):
    frame = read(budgetlint, workbooks.path(layout, ext))
    totals = frame.filter(pl.col("kind") == "total")
    assert totals["table"].to_list() == list(range(8))
    ratios = [Decimal(str(value)) for value in totals["ratio"]]
    printed = [Decimal(table.total.ratio.strip().rstrip("%")) for table in seed_report.TABLES]
    assert ratios == printed  # incl. 表3's text "   99.20%" and 表6's wrong 98.04%
    # every department table's projects are the same projects, with the same figures, as in 表1
    columns = ["project", "department", "budget_initial", "budget_adjusted", "actual", "ratio"]
    projects = frame.filter(pl.col("kind") == "project")
    summary = projects.filter(pl.col("table") == 0).select(columns)
    details = projects.filter(pl.col("table") > 0).select(columns)
    assert_frame_equal(details, summary.filter(pl.col("project").is_in(details["project"].implode())))


# ----------------------------------------------------------------------------- bad inputs

BAD_INPUT_ERRORS = {  # the subclass expected where the package defines it
    "not_a_workbook": "UnreadableWorkbook",
    "truncated": "UnreadableWorkbook",
    "encrypted": "UnreadableWorkbook",
    "empty": "NoTableFound",
    "no_header": "NoTableFound",
    "text_figure": "InvalidFigure",
    "error_figure": "InvalidFigure",
    **{f"bad_figures_{ext}": "InvalidFigure" for ext in layouts.ALL_FORMATS},
}


def read_error(budgetlint, path: Path):
    """The exception read_list raises, failing the test on no error or a non-budgetlint one."""
    try:
        budgetlint.read_list(str(path))
    except budgetlint.BudgetlintError as error:
        return error
    except BaseException as error:  # noqa: BLE001 — pyo3's PanicException is a BaseException
        if isinstance(error, KeyboardInterrupt):
            raise
        pytest.fail(f"{type(error).__module__}.{type(error).__name__} instead of a BudgetlintError: {error}")
    pytest.fail(f"read_list accepted {path.name}")


@pytest.mark.parametrize("name", sorted(BAD_INPUT_ERRORS))
def test_bad_input_raises_a_budgetlint_error_naming_file_sheet_cell(budgetlint, workbooks, name):
    bad = workbooks.bad[name]
    error = read_error(budgetlint, bad.path)
    assert type(error) is not budgetlint.BudgetlintError, "expected a subclass, got the base class"
    subclass = getattr(budgetlint, BAD_INPUT_ERRORS[name], None)
    if subclass is not None:
        assert isinstance(error, subclass), f"{type(error).__name__}, expected {subclass.__name__}"
    message = str(error)
    assert str(bad.path) in message, message
    if bad.sheet:
        assert bad.sheet in message, message
    if bad.cells:
        assert any(cell in message for cell in bad.cells), f"none of {bad.cells} in: {message}"
    assert_error_attributes(error, bad)


def assert_error_attributes(error, bad: layouts.BadInput) -> None:
    """.path/.sheet/.cell are optional; where present they must be right."""
    if getattr(error, "path", None) is not None:
        assert Path(error.path) == bad.path
    if bad.sheet and getattr(error, "sheet", None) is not None:
        assert error.sheet == bad.sheet
    if bad.cells and getattr(error, "cell", None) is not None:
        assert error.cell in bad.cells


# ----------------------------------------------------------------------------- the CLI


def run_cli(*args: str) -> subprocess.CompletedProcess:
    executable = Path(sys.executable).parent / "budgetlint"
    assert executable.exists(), f"no console script at {executable}"
    return subprocess.run([str(executable), *args], capture_output=True, text=True, timeout=120)


def extract(tmp_path: Path, files: list[Path], suffix: str) -> Path:
    out = tmp_path / f"out{suffix}"
    result = run_cli("extract", *map(str, files), "-o", str(out))
    assert result.returncode == 0, result.stderr
    assert out.exists()
    return out


def expected_extract(budgetlint, files: list[Path]) -> pl.DataFrame:
    frames = [read(budgetlint, path).insert_column(0, pl.lit(str(path)).alias("file")) for path in files]
    return pl.concat(frames, how="diagonal_relaxed")


def assert_same_records(got: list[dict], want: list[dict]) -> None:
    """Compare records read back from a text format: decimals by value, the rest as text."""
    assert len(got) == len(want)
    for got_row, want_row in zip(got, want):
        for column, value in want_row.items():
            assert column in got_row, f"missing column {column}"
            assert same_text_value(got_row[column], value), (
                f"row {want_row['row']} {column}: got {got_row[column]!r}, want {value!r}")


def same_text_value(got, want) -> bool:
    if want is None:
        return got in (None, "")
    if isinstance(want, Decimal):
        return got not in (None, "") and Decimal(str(got)) == want
    return str(got) == str(want)


def test_cli_extract_parquet(budgetlint, workbooks, tmp_path):
    files = [workbooks.path("clean", "xlsx")]
    got = pl.read_parquet(extract(tmp_path, files, ".parquet"))
    assert got.columns[0] == "file"
    assert_frame_equal(got, expected_extract(budgetlint, files))


def test_cli_extract_csv_several_files(budgetlint, workbooks, tmp_path):
    files = [workbooks.path("clean", "xlsx"), workbooks.path("yuan_units", "xls"),
             workbooks.path("synonyms_extras", "ods")]
    got = pl.read_csv(extract(tmp_path, files, ".csv"), infer_schema=False)
    want = expected_extract(budgetlint, files)
    assert got.columns == want.columns
    assert_same_records(got.to_dicts(), want.to_dicts())


def test_cli_extract_json(budgetlint, workbooks, tmp_path):
    files = [workbooks.path("text_figures", "xlsm")]
    out = extract(tmp_path, files, ".json")
    try:
        got = pl.read_json(out).to_dicts()  # an array of records
    except pl.exceptions.PolarsError:
        got = pl.read_ndjson(out).to_dicts()  # one record per line
    want = expected_extract(budgetlint, files)
    assert_same_records(got, want.to_dicts())


@pytest.mark.parametrize("name", ["not_a_workbook", "encrypted", "no_header"])
def test_cli_exits_2_naming_the_bad_file(workbooks, tmp_path, name):
    bad = workbooks.bad[name]
    result = run_cli("extract", str(bad.path), "-o", str(tmp_path / "out.csv"))
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert str(bad.path) in result.stderr
    assert "Traceback" not in result.stderr and "panicked" not in result.stderr
    assert not (tmp_path / "out.csv").exists(), "nothing read, nothing written"


def test_cli_extract_writes_the_readable_files_and_says_what_it_left_out(workbooks, tmp_path):
    good, bad = workbooks.path("clean", "xlsx"), workbooks.bad["not_a_workbook"].path
    out = tmp_path / "out.csv"
    result = run_cli("extract", str(good), str(bad), "-o", str(out))
    assert result.returncode == 2, result.stderr
    assert set(pl.read_csv(out, infer_schema=False)["file"].to_list()) == {str(good)}
    assert "1 个文件未能读取" in result.stderr, result.stderr
