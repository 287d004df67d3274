"""The Python package as a user meets it: its namespace and stubs, folders and errors, the notebook view,
and the wheel `maturin build` makes, installed into a fresh venv."""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "python" / "budgetlint"
EXAMPLE = REPO / "examples" / "附件1-月坛街道-2020.xlsx"
REPORT_TABLES = REPO / "examples" / "表1-表8-月坛街道-2020.xlsx"


# --- namespace, stubs, types -------------------------------------------------------------------


def test_the_console_script_loads_only_the_command_line():
    # `budgetlint check` runs in Rust: its start should not pay for what only the Python API uses.
    code = "import sys, budgetlint.__main__; print(sorted(m for m in sys.modules if m.startswith(('budgetlint', 'polars', 'pathlib'))))"
    loaded = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout.strip()
    assert loaded == "['budgetlint', 'budgetlint.__main__', 'budgetlint._budgetlint']"


def test_the_public_namespace_is_all_and_nothing_else(budgetlint):
    public = sorted(n for n in dir(budgetlint) if not n.startswith("_"))
    assert public == sorted(n for n in budgetlint.__all__ if not n.startswith("_")), "dir(bl) shows only __all__"
    for name in ("os", "Path", "Mapping", "Iterable", "Union", "annotations", "escape", "PathLike"):
        assert not hasattr(budgetlint, name) or name.startswith("_"), name
    for name in budgetlint.__all__:
        item = getattr(budgetlint, name)
        if name != "__version__":
            assert (item.__doc__ or "").strip(), f"{name} has no docstring"


def test_errors_share_one_base_and_live_in_the_package(budgetlint):
    errors = [n for n in budgetlint.__all__ if n.endswith("Error") or n in ("UnreadableWorkbook", "PasswordProtected", "NoTableFound", "InvalidFigure", "NoWorkbookFound")]
    for name in errors:
        error = getattr(budgetlint, name)
        assert issubclass(error, budgetlint.BudgetlintError) and issubclass(error, Exception)
        assert error.__module__ == "budgetlint"


def test_the_stub_declares_every_native_name(budgetlint):
    from budgetlint import _budgetlint as native

    stub = ast.parse((PACKAGE / "_budgetlint.pyi").read_text(encoding="utf-8"))
    declared = {n.name for n in stub.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    declared |= {t.id for n in stub.body if isinstance(n, ast.AnnAssign) for t in [n.target] if isinstance(t, ast.Name)}
    exported = {n for n in dir(native) if not n.startswith("__")} | {"__version__"}
    missing = exported - declared
    assert not missing, f"the stub lacks {missing}"
    methods = {n.name for c in stub.body if isinstance(c, ast.ClassDef) and c.name == "NativeReport" for n in c.body if isinstance(n, ast.FunctionDef)}
    assert {m for m in dir(native.NativeReport) if not m.startswith("_")} <= methods
    assert (PACKAGE / "py.typed").is_file()


def test_mypy_strict_accepts_a_script_using_the_api(tmp_path):
    mypy = pytest.importorskip("mypy.api", reason="mypy is optional (pip install mypy)")
    script = tmp_path / "use.py"
    script.write_text(
        "import polars as pl\nimport budgetlint as bl\n\n"
        "rule = bl.Rule('U001', 'm', when=pl.col('budget_adjusted') > 100, column='budget_adjusted')\n"
        "rep: bl.Report = bl.check('a.xlsx', rules=[rule], lang='en', disable=['V004'])\n"
        "frame: pl.DataFrame = rep.findings\ncode: int = rep.exit_code\n"
        "forms, indicators = bl.read_forms('a.xlsx')\nlist_rows: pl.DataFrame = bl.read_list('a.xlsx', strict=False)\n"
        "text: str = bl.explain('A001') + rep.to_json() + rep._repr_html_()\n"
        "try:\n    bl.check('x')\nexcept bl.NoWorkbookFound as error:\n    print(error.path)\n",
        encoding="utf-8",
    )
    out, err, status = mypy.run(["--strict", "--no-incremental", "--cache-dir", str(tmp_path / "mypy-cache"), str(script)])
    assert status == 0, out + err


# --- folders and errors -------------------------------------------------------------------------


def test_check_of_an_empty_folder_says_there_is_nothing_to_check(budgetlint, tmp_path):
    (tmp_path / "notes.txt").write_text("not a workbook", encoding="utf-8")
    with pytest.raises(budgetlint.NoWorkbookFound) as caught:
        budgetlint.check(tmp_path)
    assert caught.value.path == str(tmp_path) and str(tmp_path) in str(caught.value)
    assert ".xlsx" in str(caught.value)
    with pytest.raises(budgetlint.NoWorkbookFound, match="no workbook to check"):
        budgetlint.check(tmp_path, lang="en")
    cli = subprocess.run([str(Path(sys.executable).parent / "budgetlint"), "check", str(tmp_path), "--lang", "en"], capture_output=True, text=True)
    assert cli.returncode == 2 and "no workbook to check" in cli.stderr and str(tmp_path) in cli.stderr


def test_check_of_a_folder_reads_every_workbook_inside(budgetlint, tmp_path):
    for source in (EXAMPLE, REPORT_TABLES):
        shutil.copy(source, tmp_path / source.name)
    (tmp_path / "~$附件1-月坛街道-2020.xlsx").write_bytes(b"lock file")
    rep = budgetlint.check(tmp_path)
    assert sorted(Path(p).name for p in rep.projects["file"].unique()) == sorted([EXAMPLE.name, REPORT_TABLES.name])


@pytest.mark.parametrize("reader", ["read_list", "read_forms"])
def test_readers_say_a_folder_is_not_a_workbook(budgetlint, tmp_path, reader):
    with pytest.raises(budgetlint.UnreadableWorkbook) as caught:
        getattr(budgetlint, reader)(tmp_path)
    message = str(caught.value)
    assert caught.value.path == str(tmp_path) and "folder" in message and "文件夹" in message and "bl.check" in message


def test_readers_name_a_missing_file(budgetlint, tmp_path):
    missing = tmp_path / "附件1.xlsx"
    for reader in (budgetlint.read_list, lambda p: budgetlint.read_forms(p)):
        with pytest.raises(budgetlint.UnreadableWorkbook) as caught:
            reader(missing)
        assert caught.value.path == str(missing) and str(missing) in str(caught.value)


def test_read_forms_and_read_list_give_frames(budgetlint):
    rows = budgetlint.read_list(EXAMPLE)
    assert rows.height > 50 and isinstance(rows.schema["budget_adjusted"], pl.Decimal)
    assert budgetlint.read_list(EXAMPLE, strict=False).height == rows.height
    form_rows, indicators = budgetlint.read_forms(EXAMPLE)
    assert form_rows.height == 0 and indicators.height == 0
    assert {"budget_adjusted_cell", "total_score_cell", "title_cell"} <= set(form_rows.columns)


def test_bad_arguments_raise_config_errors(budgetlint):
    cases = [
        lambda: budgetlint.check(),
        lambda: budgetlint.check(EXAMPLE, on_error="ignore"),
        lambda: budgetlint.check(EXAMPLE, lang="fr"),
        lambda: budgetlint.check(EXAMPLE, fail_on="sometimes"),
        lambda: budgetlint.check(EXAMPLE, disable=["Z999"]),
        lambda: budgetlint.check(EXAMPLE, severity={"E002": "fatal"}),
        lambda: budgetlint.check(EXAMPLE, thresholds={"low_execution_percent": -1}),
        lambda: budgetlint.check(EXAMPLE, thresholds={"nonsense": 1}),
        lambda: budgetlint.check(EXAMPLE, config="no-such-budgetlint.toml"),
        lambda: budgetlint.explain("Z999"),
        lambda: budgetlint.rules("fr"),
    ]
    for case in cases:
        with pytest.raises(budgetlint.ConfigError):
            case()


def test_english_settings_errors_are_english(budgetlint):
    with pytest.raises(budgetlint.ConfigError, match="unknown rule Z999") as caught:
        budgetlint.check(EXAMPLE, lang="en", disable=["Z999"])
    assert not any("\u4e00" <= c <= "\u9fff" for c in str(caught.value)), str(caught.value)


def test_unreadable_files_raise_or_are_collected(budgetlint, tmp_path):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(budgetlint.UnreadableWorkbook) as caught:
        budgetlint.check(bad, EXAMPLE)
    assert caught.value.path == str(bad)
    rep = budgetlint.check([bad, EXAMPLE], on_error="collect")
    assert [(Path(p).name, kind) for p, kind, _ in rep.failures] == [("bad.xlsx", "UnreadableWorkbook")]
    assert rep.exit_code == 2


def test_write_annotated_needs_a_file_when_the_report_has_several(budgetlint, tmp_path):
    rep = budgetlint.check(EXAMPLE, REPORT_TABLES)
    with pytest.raises(budgetlint.ConfigError, match="file="):
        rep.write_annotated(tmp_path / "out.xlsx")
    with pytest.raises(budgetlint.ConfigError, match="not in this report"):
        rep.write_annotated(tmp_path / "out.xlsx", file=tmp_path / "other.xlsx")
    written = rep.write_annotated(tmp_path / "out.xlsx", file=str(EXAMPLE))
    assert written == tmp_path / "out.xlsx" and written.stat().st_size > 0
    with pytest.raises(budgetlint.WriteError):
        rep.write_annotated(EXAMPLE, file=str(EXAMPLE))


def test_report_frames_json_and_repr(budgetlint):
    rep = budgetlint.check(EXAMPLE)
    assert rep.findings.height == 5 and rep.projects.height > 50 and rep.summary.height > 0
    assert rep.forms.height == 0 and rep.indicators.height == 0
    data = json.loads(rep.to_json())
    assert data["summary"]["errors"] == 5 and len(data["findings"]) == 5
    assert repr(rep).startswith("<budgetlint.Report ")
    assert rep.exit_code == 1
    assert budgetlint.rules("en").columns == ["id", "severity", "title"]
    assert "A001" in budgetlint.explain("A001", lang="en")
    assert budgetlint.__version__


def test_to_pandas_is_optional(budgetlint, monkeypatch):
    rep = budgetlint.check(EXAMPLE)
    with pytest.raises(budgetlint.ConfigError):
        rep.to_pandas("nothing")
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            rep.to_pandas()
    else:
        assert len(rep.to_pandas("findings")) == 5
    monkeypatch.setitem(sys.modules, "pandas", None)  # as on a machine without pandas
    with pytest.raises(ImportError, match="pip install pandas"):
        rep.to_pandas()


# --- the notebook view --------------------------------------------------------------------------


def test_the_html_view_shows_counts_findings_and_coloured_cells(budgetlint):
    rep = budgetlint.check(EXAMPLE)
    html = rep._repr_html_()
    assert "A001" in html and "error" in html
    for finding in rep.findings.iter_rows(named=True):
        assert finding["message"] in html
    # The preview shows the sheet's cells, the finding cells filled as in the annotated workbook.
    assert "残疾人两项补贴" in html and "100.00%" in html
    assert html.count('style="background:#FFC7CE" title="[A001]') == 5
    assert "… " in html and "more rows" not in html  # Chinese by default: 另有 N 行
    assert "另有" in html


def test_the_html_view_caps_the_findings_and_escapes_text(budgetlint, tmp_path):
    import xlsxwriter

    path = tmp_path / "escape.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("附件1")
    sheet.write_row(0, 0, ["项目名称", "调整后预算金额", "实际支出金额", "预算支出比例"])
    for row in range(1, 61):
        sheet.write_row(row, 0, [f"<script>alert({row})</script>", 100.0, 50.0, 0.5])
    book.close()
    every_row = budgetlint.Rule("U001", "<b>每行</b>", when=pl.lit(True), severity="warning")
    rep = budgetlint.check(path, rules=[every_row], lang="en")
    html = rep._repr_html_()
    assert "<script>" not in html and "&lt;script&gt;" in html and "<b>每行</b>" not in html
    total = rep.findings.height
    assert total > 50 and f"{total - 50} more" in html
    assert "#FFE699" in html and "more rows not shown" in html


# --- the wheel ----------------------------------------------------------------------------------


@pytest.mark.wheel
def test_the_wheel_installs_into_a_fresh_venv_and_works(tmp_path):
    """`maturin build` (debug profile, sharing target/ with `maturin develop`) makes one abi3 wheel;
    installed with --no-deps into a fresh venv that gets polars from this environment, it imports,
    checks, gives frames, and its console script runs."""
    maturin = shutil.which("maturin", path=str(Path(sys.executable).parent)) or shutil.which("maturin")
    if maturin is None:
        pytest.fail("maturin is not installed in this environment (pip install maturin)")
    dist = tmp_path / "dist"
    env = {**os.environ, "VIRTUAL_ENV": str(Path(sys.executable).parent.parent)}
    command = [maturin, "build", "--quiet", "--out", str(dist), "--interpreter", sys.executable]
    for attempt in range(3):
        built = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=1500, env=env)
        # maturin stages the library in target/maturin/; another maturin run in the same work tree
        # (a developer's `maturin develop` beside the tests) can take it away in between: build again.
        if built.returncode == 0 or "target/maturin/" not in built.stderr:
            break
    assert built.returncode == 0, built.stderr[-3000:]
    wheels = list(dist.glob("budgetlint-*.whl"))
    assert len(wheels) == 1 and "-abi3-" in wheels[0].name, [w.name for w in wheels]
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=False)
    python = fresh / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], capture_output=True, text=True, check=True).stdout.strip()
    # polars comes from this environment (no network); budgetlint only from the wheel.
    import polars

    (Path(site) / "outer-polars.pth").write_text(str(Path(polars.__file__).parents[1]) + "\n", encoding="utf-8")
    installed = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", str(wheels[0])], capture_output=True, text=True, timeout=300)
    if installed.returncode != 0 and "no such option: --python" in installed.stderr:
        # pip before 22.3 cannot install into another interpreter: unpack the wheel instead.
        import zipfile

        zipfile.ZipFile(wheels[0]).extractall(site)
    else:
        assert installed.returncode == 0, installed.stderr
    probe = (
        "import json, sys, budgetlint as bl\n"
        "assert 'site-packages' in bl.__file__, bl.__file__\n"
        f"rep = bl.check({str(EXAMPLE)!r})\n"
        "assert json.loads(rep.to_json())['summary']['errors'] == 5\n"
        "assert rep.findings.height == 5\n"
        "print(bl.__version__)\n"
    )
    ran = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr
    console = fresh / "bin" / "budgetlint"
    if console.exists():
        cli = subprocess.run([str(console), "check", "--fail-on", "never", str(EXAMPLE)], capture_output=True, text=True, timeout=120)
        assert cli.returncode == 0 and "A001" in cli.stdout, cli.stderr
