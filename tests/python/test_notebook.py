"""The three notebooks run top to bottom on the bundled examples, from a working directory outside the
repository, as an analyst's Jupyter would run them (a real kernel, through nbclient)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
EXPECTED = ["01_check_one_submission.ipynb", "02_review_a_folder.ipynb", "03_custom_rule.ipynb"]


def test_the_notebooks_are_committed_without_outputs():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == EXPECTED
    for name in EXPECTED:
        book = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
        for cell in book["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, f"{name} holds outputs"


def outputs_text(book) -> str:
    parts = []
    for cell in book.cells:
        for output in cell.get("outputs", []):
            parts.append(output.get("text", ""))
            parts.extend(str(v) for v in output.get("data", {}).values())
    return "\n".join(parts)


@pytest.mark.parametrize("name", EXPECTED)
def test_notebook_runs_top_to_bottom_from_another_directory(name, tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat", reason="the test extra installs nbclient")
    from nbclient import NotebookClient

    monkeypatch.chdir(tmp_path)
    book = nbformat.read(NOTEBOOKS / name, as_version=4)
    started = time.monotonic()
    NotebookClient(book, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    assert time.monotonic() - started < 30
    errors = [o for c in book.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    text = outputs_text(book)
    out = tmp_path / "budgetlint-output"
    if name.startswith("01"):
        assert (out / "附件1-月坛街道-2020.checked.xlsx").is_file()
        assert "#FFC7CE" in text, "the report renders as its coloured HTML view"
    elif name.startswith("02"):
        assert (out / "execution_by_department.png").stat().st_size > 0
        assert {p.name for p in out.glob("*.checked.xlsx")} == {"附件1-月坛街道-2020.checked.xlsx", "附件2-月坛街道-2020.checked.xlsx", "表1-表8-月坛街道-2020.checked.xlsx"}
        assert "image/png" in json.dumps([o.get("data", {}) for c in book.cells for o in c.get("outputs", [])])
    else:
        assert "U001" in text and "U002" in text
        assert (out / "附件1-月坛街道-2020.custom.checked.xlsx").is_file()
