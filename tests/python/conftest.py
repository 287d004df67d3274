"""Shared fixtures: every fixture workbook, generated once per test session."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

TESTS_DIR = Path(__file__).resolve().parents[1]
if str(TESTS_DIR) not in sys.path:
    sys.path.insert(0, str(TESTS_DIR))  # makes tests/fixtures importable as "fixtures"

from fixtures import layouts  # noqa: E402
from fixtures.generate import write_layouts  # noqa: E402


@dataclass
class GeneratedWorkbooks:
    directory: Path
    cases: dict[tuple[str, str], tuple[Path, list[dict]]]  # (layout, ext) -> (path, expected rows)
    bad: dict[str, layouts.BadInput]

    def path(self, layout: str, ext: str) -> Path:
        return self.cases[(layout, ext)][0]

    def expected(self, layout: str, ext: str) -> list[dict]:
        return self.cases[(layout, ext)][1]


@pytest.fixture(scope="session")
def workbooks(tmp_path_factory) -> GeneratedWorkbooks:
    directory = tmp_path_factory.mktemp("workbooks")
    return GeneratedWorkbooks(directory, write_layouts(directory), layouts.bad_inputs(directory / "bad"))


@pytest.fixture(scope="session")
def budgetlint():
    """The package under test; a missing build is a failure, not a skip."""
    try:
        import budgetlint
    except ImportError as error:
        pytest.fail(f"budgetlint is not importable ({error}); build it with `maturin develop`")
    return budgetlint
