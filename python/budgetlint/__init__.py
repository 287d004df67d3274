"""budgetlint: checks the workbooks Chinese budget units submit with their performance-tracking reports.

检查绩效跟踪报表（附件1 项目支出绩效跟踪清单、报告表1…表N）：精确重算比例、小计与合计，逐格指出矛盾。

    >>> import budgetlint as bl
    >>> rep = bl.check("附件1.xlsx")          # doctest: +SKIP
    >>> rep.findings                           # doctest: +SKIP

Money is exact: amounts are polars ``Decimal`` columns in 万元 (a 元 table is divided by 10,000),
ratios are ``Decimal`` in percent (98.96 means 98.96 %). Nothing is ever a float.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping, Union

if TYPE_CHECKING:
    # Imported where a frame is built, so the console script starts without loading polars.
    import polars as pl

from budgetlint._budgetlint import (
    BudgetlintError,
    ConfigError,
    InvalidFigure,
    NoTableFound,
    PasswordProtected,
    UnreadableWorkbook,
    WriteError,
    __version__,
)
from budgetlint import _budgetlint as _native

__all__ = [
    "BudgetlintError",
    "ConfigError",
    "InvalidFigure",
    "NoTableFound",
    "PasswordProtected",
    "Report",
    "UnreadableWorkbook",
    "WriteError",
    "__version__",
    "check",
    "explain",
    "read_forms",
    "read_list",
    "rules",
]

PathLike = Union[str, "os.PathLike[str]"]


def read_list(path: PathLike, *, strict: bool = True) -> pl.DataFrame:
    """Read every 附件1-shaped table of a workbook into one frame, one row per table row.

    Columns: ``sheet``, ``table`` (0-based index in the workbook), ``row`` (1-based Excel row),
    ``kind`` (``project`` / ``subtotal`` / ``total``), ``seq``, ``department``, ``project``,
    ``budget_initial``, ``budget_adjusted``, ``actual`` (Decimal, 万元), ``ratio`` (Decimal, percent),
    ``budget_initial_cell`` … ``ratio_cell`` (A1 provenance), ``source_unit`` (``万元`` / ``元``), then
    the kept extra columns (``category``, ``target_status``, ``deviates_from_target``,
    ``deviation_reason``, ``remarks``, or the header text of any other column).

    With ``strict=True`` a figure that is not a number raises :class:`InvalidFigure` naming its cell;
    with ``strict=False`` it is read as null (``check`` reports it as V002).

    Raises :class:`BudgetlintError` subclasses with ``.path``, ``.sheet`` and ``.cell`` attributes.
    """
    return _native.read_list(os.fspath(path), strict=strict)


def read_forms(path: PathLike) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Read the performance forms of a workbook (附件2 跟踪分析表, 执行监控表, 自评表, 申报表).

    Returns ``(forms, indicators)``. ``forms`` has one row per form: ``sheet``, ``form`` (0-based
    index in the workbook), ``kind`` (``tracking`` / ``monitoring`` / ``self_evaluation`` /
    ``declaration``), ``year``, ``project``, ``department`` (主管部门), ``implementer`` (实施单位),
    ``unit``, the 年度资金总额 line's ``budget_initial``, ``budget_adjusted``, ``actual``, ``ratio``,
    ``projected``, ``score_max``, ``score`` (Decimal), ``total_score``, ``indicators`` (count) and
    provenance cells. ``indicators`` has one row per indicator: ``level1``…``level3`` (merged cells
    filled down), ``target`` and ``actual`` as written, ``target_kind``, ``verdict`` (``met`` /
    ``not_met`` / ``not_comparable``, null without an actual) with its ``reason``, ``score_max``,
    ``score``, ``cause``, ``ticked_causes``, ``half`` (``annual`` / ``midterm``) and cells.
    """
    return _native.read_forms(os.fspath(path))


class Report:
    """The outcome of :func:`check`: findings, normalized projects and the recomputed roll-up."""

    def __init__(self, native: _native.NativeReport) -> None:
        self._native = native
        self._cache: dict[str, pl.DataFrame] = {}

    def _frame(self, name: str) -> pl.DataFrame:
        if name not in self._cache:
            self._cache[name] = getattr(self._native, name)()
        return self._cache[name]

    @property
    def findings(self) -> pl.DataFrame:
        """One row per finding: file, sheet, cell, rule, severity, message, found, expected, inputs, …"""
        return self._frame("findings")

    @property
    def projects(self) -> pl.DataFrame:
        """The normalized rows of every table read (as :func:`read_list`, plus a ``file`` column)."""
        return self._frame("projects")

    @property
    def summary(self) -> pl.DataFrame:
        """The department roll-up recomputed from the project rows, each table closed by its total."""
        return self._frame("summary")

    @property
    def forms(self) -> pl.DataFrame:
        """One row per performance form read (as :func:`read_forms`, plus a ``file`` column)."""
        return self._frame("forms")

    @property
    def indicators(self) -> pl.DataFrame:
        """One row per indicator of every form, with its parsed target, actual and verdict."""
        return self._frame("indicators")

    @property
    def failures(self) -> list[tuple[str, str, str]]:
        """(path, kind, message) for each file that could not be read (with ``on_error="collect"``)."""
        return self._native.failures()

    @property
    def exit_code(self) -> int:
        """What the command line would exit with: 0 clean, 1 findings reach ``fail_on``, 2 unreadable file."""
        return self._native.exit_code()

    def write_annotated(self, path: PathLike, file: PathLike | None = None) -> Path:
        """Write the annotated copy of a checked workbook to ``path`` (an .xlsx; never over an input).

        Findings' cells are filled by severity and carry a note; a first sheet 检查结果 lists the
        findings with links, and 重算汇总 holds the department roll-up as live formulas with a chart.
        ``file`` chooses the input when the report covers several.
        """
        paths = self._native.checked_paths()
        if file is None:
            if len(paths) != 1:
                raise ConfigError(f"报告包含 {len(paths)} 个文件，请用 file= 指定要标注的一个 (choose one with file=)")
            index = 0
        else:
            wanted = os.fspath(file)
            if wanted not in paths:
                raise ConfigError(f"{wanted} 不在本报告中 (not in this report)")
            index = paths.index(wanted)
        self._native.write_annotated(os.fspath(path), index)
        return Path(path)

    def to_json(self) -> str:
        """Summary counts, findings and failures as JSON (exact decimal numbers)."""
        return self._native.to_json()

    def __repr__(self) -> str:
        return f"<budgetlint.Report {self._native.summary_line()}>"

    def _repr_html_(self) -> str:
        findings = self.findings
        shown = findings.select("sheet", "cell", "rule", "severity", "message", "found", "expected")
        colours = {"error": "#fde2e1", "warning": "#fff1cc", "info": "#e3efff"}
        rows = "".join(
            f'<tr style="background:{colours.get(r["severity"], "")}">'
            + "".join(f"<td>{escape('' if v is None else str(v))}</td>" for v in r.values())
            + "</tr>"
            for r in shown.iter_rows(named=True)
        )
        head = "".join(f"<th>{escape(c)}</th>" for c in shown.columns)
        summary = escape(self._native.summary_line())
        return f"<p><b>budgetlint</b> — {summary}</p><table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def check(
    *paths: PathLike,
    config: PathLike | None = None,
    on_error: str = "raise",
    lang: str | None = None,
    show_info: bool | None = None,
    fail_on: str | None = None,
    disable: Iterable[str] | None = None,
    severity: Mapping[str, str] | None = None,
    thresholds: Mapping[str, object] | None = None,
) -> Report:
    """Check workbooks (files or folders) and return a :class:`Report`.

    Settings come from ``config`` (or ``./budgetlint.toml``), then these keywords:
    ``lang`` ("zh"/"en"), ``show_info``, ``fail_on`` ("error"/"warning"/"never"), ``disable``
    (rule ids), ``severity`` ({"E002": "error"}), ``thresholds`` ({"low_execution_percent": 85}).
    ``on_error="raise"`` raises on the first unreadable file; ``"collect"`` lists it in ``failures``.
    """
    # check(["a.xlsx", "b.xlsx"]) reads as check("a.xlsx", "b.xlsx").
    paths = tuple(p for arg in paths for p in (arg if isinstance(arg, (list, tuple)) else [arg]))
    if not paths:
        raise ConfigError("check() 需要至少一个文件或文件夹 (at least one path)")
    native = _native.check(
        [os.fspath(p) for p in paths],
        config=None if config is None else os.fspath(config),
        on_error=on_error,
        lang=lang,
        show_info=show_info,
        fail_on=fail_on,
        disable=None if disable is None else list(disable),
        severity=None if severity is None else dict(severity),
        thresholds=None if thresholds is None else {k: str(v) for k, v in thresholds.items()},
    )
    return Report(native)


def rules(lang: str = "zh") -> pl.DataFrame:
    """The rule catalog as a frame: id, severity, title."""
    import polars as pl

    return pl.DataFrame(_native.rules(lang), schema=["id", "severity", "title"], orient="row")


def explain(rule_id: str, lang: str = "zh") -> str:
    """What a rule finds, why it matters, and an example."""
    return _native.explain(rule_id, lang)


