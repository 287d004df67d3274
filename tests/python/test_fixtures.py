"""The fixture workbooks themselves, read with python-calamine (independent of budgetlint).

When a read_list test fails, these say whether the workbook holds what its expectation
claims: every expected figure sits in the cell its provenance names, and merges survive.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal

import pytest

from fixtures import layouts

calamine = pytest.importorskip("python_calamine")

FIGURES = {"budget_initial": "amount", "budget_adjusted": "amount", "actual": "amount", "ratio": "ratio"}


def cell_index(address: str) -> tuple[int, int]:
    letters = "".join(ch for ch in address if ch.isalpha())
    col = 0
    for letter in letters:
        col = col * 26 + ord(letter) - ord("A") + 1
    return int(address[len(letters):]) - 1, col - 1


def sheet_grid(sheet) -> list[list]:
    """The sheet's values from A1: to_python() starts at the first used cell."""
    first_row, first_col = sheet.start or (0, 0)
    leading_rows = [[] for _ in range(first_row)]
    return leading_rows + [[""] * first_col + row for row in sheet.to_python()]


def raw_value(grid: list[list], address: str):
    row, col = cell_index(address)
    if row >= len(grid) or col >= len(grid[row]):
        return ""
    return grid[row][col]


def written_figure(raw) -> tuple[Decimal, bool] | None:
    """(value, written with %) of a cell, or None when blank."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return Decimal(repr(float(raw))), False
    text = unicodedata.normalize("NFKC", str(raw)).strip().replace(",", "")
    if not text:
        return None
    if text in ("—", "-"):
        return Decimal(0), False
    if text.endswith("%"):
        return Decimal(text[:-1]), True
    return Decimal(text), False


def denotes(raw, expected: Decimal | None, kind: str, unit: str) -> bool:
    figure = written_figure(raw)
    if expected is None or figure is None:
        return expected is None and figure is None
    value, percent_sign = figure
    if kind == "amount":
        candidates = [value / 10_000 if unit == "元" else value]
    elif percent_sign:
        candidates = [value]
    else:
        candidates = [value, value * 100]  # a percent number, or a fraction
    # cached formula sums carry binary noise (1192.8899999999999)
    return any(abs(candidate - expected) < Decimal("1e-9") for candidate in candidates)


@pytest.mark.parametrize(("layout", "ext"), layouts.layout_cases(), ids=lambda value: str(value))
def test_every_expected_figure_is_in_its_cell(workbooks, layout, ext):
    book = calamine.CalamineWorkbook.from_path(str(workbooks.path(layout, ext)))
    grids = {name: sheet_grid(book.get_sheet_by_name(name)) for name in book.sheet_names}
    wrong = []
    for row in workbooks.expected(layout, ext):
        for column, kind in FIGURES.items():
            address = row[f"{column}_cell"]
            raw = raw_value(grids[row["sheet"]], address)
            if not denotes(raw, row[column], kind, row["source_unit"]):
                wrong.append(f"{row['sheet']}!{address} holds {raw!r}, expected {row[column]}")
        if row["project"]:
            texts = [str(value) for value in grids[row["sheet"]][row["row"] - 1]]
            assert row["project"] in texts, f"row {row['row']}: {texts}"
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("ext", ["xlsx", "xlsm", "xls"])
@pytest.mark.parametrize("layout", ["clean", "two_row_header", "subtotals_total_spellings", "seed_table1"])
def test_merges_survive(workbooks, layout, ext):
    book, _ = layouts.LAYOUTS[layout][0]()
    workbook = calamine.CalamineWorkbook.from_path(str(workbooks.path(layout, ext)))
    for sheet in book.sheets:
        merged = workbook.get_sheet_by_name(sheet.name).merged_cell_ranges
        got = {(first[0], first[1], last[0], last[1]) for first, last in merged}
        assert got == {tuple(merge) for merge in sheet.merges}


def test_xlsm_is_macro_enabled(workbooks):
    import zipfile

    with zipfile.ZipFile(workbooks.path("clean", "xlsm")) as package:
        types = package.read("[Content_Types].xml").decode()
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types


def test_ods_package_starts_with_stored_mimetype(workbooks):
    import zipfile

    with zipfile.ZipFile(workbooks.path("clean", "ods")) as package:
        first = package.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert package.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"


def test_ods_formulas_are_openformula(workbooks):
    """LibreOffice takes `,` between arguments for an error (Err:508) and writes it over the result."""
    import re
    import zipfile

    with zipfile.ZipFile(workbooks.path("formulas", "ods")) as package:
        content = package.read("content.xml").decode()
    formulas = re.findall(r'table:formula="of:([^"]*)"', content)
    assert any("ROUND(" in f and ";" in f for f in formulas), formulas
    assert not any("," in f for f in formulas), formulas


def test_bad_inputs_are_what_they_claim(workbooks):
    bad = workbooks.bad
    assert bad["encrypted"].path.read_bytes()[:8] == bytes.fromhex("D0CF11E0A1B11AE1")  # an OLE container
    assert not bad["not_a_workbook"].path.read_bytes().startswith(b"PK")
    with pytest.raises(Exception):
        calamine.CalamineWorkbook.from_path(str(bad["truncated"].path))
    grid = calamine.CalamineWorkbook.from_path(str(bad["bad_figures_xlsx"].path)).get_sheet_by_index(0).to_python()
    assert "约300" in [value for row in grid for value in row]
