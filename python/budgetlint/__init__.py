"""budgetlint: checks the workbooks Chinese budget units submit with their performance-tracking reports.

检查绩效跟踪报表（附件1 项目支出绩效跟踪清单、报告表1…表N、绩效表）：精确重算比例、小计与合计，逐格指出矛盾。

    >>> import budgetlint as bl
    >>> rep = bl.check("附件1.xlsx")          # doctest: +SKIP
    >>> rep.findings                           # doctest: +SKIP

Money is exact: amounts are polars ``Decimal`` columns in 万元 (a 元 table is divided by 10,000),
ratios are ``Decimal`` in percent (98.96 means 98.96 %). Nothing is ever a float.
"""

# No `from __future__ import annotations` here: it would leave a public name `annotations` in the
# package. The console script imports this package too, so it loads only what the command line
# needs: annotations naming polars are strings, and what only the Python API uses (pathlib, the
# HTML view, user rules, check_many) is imported on first use, which halves the script's start.
import os as _os
import typing as _typing

from budgetlint import _budgetlint as _native
from budgetlint._budgetlint import (
    BudgetlintError,
    ConfigError,
    InvalidFigure,
    NoTableFound,
    NoWorkbookFound,
    PasswordProtected,
    UnreadableWorkbook,
    WriteError,
    __version__,
)
if _typing.TYPE_CHECKING:
    import pathlib as _pathlib
    from collections.abc import Iterable, Mapping

    import polars as pl

    from budgetlint._batch import check_many
    from budgetlint._rules import Rule


def __getattr__(name: str) -> "_typing.Any":
    if name == "Rule":
        from budgetlint._rules import Rule

        return Rule
    if name == "check_many":
        from budgetlint._batch import check_many

        return check_many
    raise AttributeError(f"module 'budgetlint' has no attribute {name!r}")


def __dir__() -> "list[str]":
    return sorted([*globals(), "Rule", "check_many"])

__all__ = [
    "BudgetlintError",
    "ConfigError",
    "InvalidFigure",
    "NoTableFound",
    "NoWorkbookFound",
    "PasswordProtected",
    "Report",
    "Rule",
    "UnreadableWorkbook",
    "WriteError",
    "__version__",
    "check",
    "check_many",
    "explain",
    "read_forms",
    "read_list",
    "rules",
]

_PathLike = _typing.Union[str, "_os.PathLike[str]"]


def _written_limits(limits: "Mapping[str, object] | None") -> "dict[str, str] | None":
    """``{"max_cells_per_sheet": 20_000_000}`` as the native side takes it (each value as written)."""
    if limits is None:
        return None
    import collections.abc

    if not isinstance(limits, collections.abc.Mapping):
        raise ConfigError(f"limits 应为字典，如 {{\"max_cells_per_sheet\": 20_000_000}} (limits must be a dict), not {limits!r}")
    return {str(k): str(v) for k, v in limits.items()}


def read_list(path: "_PathLike", *, strict: bool = True, limits: "Mapping[str, object] | None" = None) -> "pl.DataFrame":
    """Read every 附件1-shaped table of one workbook into one frame, one row per table row.

    Columns: ``sheet``, ``table`` (0-based index in the workbook), ``row`` (1-based Excel row),
    ``kind`` (``project`` / ``subtotal`` / ``total``), ``seq``, ``department``, ``project``,
    ``budget_initial``, ``budget_adjusted``, ``actual`` (Decimal, 万元), ``ratio`` (Decimal, percent),
    ``budget_initial_cell`` … ``ratio_cell`` (A1 provenance), ``source_unit`` (``万元`` / ``元``), then
    the kept extra columns (``category``, ``target_status``, ``deviates_from_target``,
    ``deviation_reason``, ``remarks``, or the header text of any other column).

    With ``strict=True`` a figure that is not a number raises :class:`InvalidFigure` naming its cell;
    with ``strict=False`` it is read as null (``check`` reports it as V002).

    ``path`` is one workbook: a folder raises :class:`UnreadableWorkbook` (``check`` reads folders;
    ``check(folder).projects`` gives every workbook's rows with a ``file`` column).
    ``limits`` raises or lowers the reading limits, as :func:`check` takes them
    (``{"max_cells_per_sheet": 20_000_000}``); a workbook past one raises :class:`UnreadableWorkbook`.
    Raises :class:`BudgetlintError` subclasses with ``.path``, ``.sheet`` and ``.cell`` attributes.
    """
    return _native.read_list(_os.fspath(path), strict=strict, limits=_written_limits(limits))


def read_forms(path: "_PathLike", *, limits: "Mapping[str, object] | None" = None) -> "tuple[pl.DataFrame, pl.DataFrame]":
    """Read the performance forms of one workbook (附件2 跟踪分析表, 执行监控表, 自评表, 申报表).

    Returns ``(forms, indicators)``. ``forms`` has one row per form: ``sheet``, ``form`` (0-based
    index in the workbook), ``kind`` (``tracking`` / ``monitoring`` / ``self_evaluation`` /
    ``declaration``), ``year``, ``project``, ``department`` (主管部门), ``implementer`` (实施单位),
    ``unit``, the 年度资金总额 line's ``budget_initial``, ``budget_adjusted``, ``actual``, ``ratio``,
    ``projected``, ``score_max``, ``score`` (Decimal), ``total_score``, ``indicators`` (count) and
    provenance cells (``title_cell``, ``project_cell``, ``budget_adjusted_cell`` …). ``indicators``
    has one row per indicator: ``level1``…``level3`` (merged cells filled down), ``target`` and
    ``actual`` as written, ``target_kind``, ``verdict`` (``met`` / ``not_met`` / ``not_comparable``,
    null without an actual) with its ``reason``, ``score_max``, ``score``, ``cause``,
    ``ticked_causes``, ``half`` (``annual`` / ``midterm``) and cells.

    ``path`` is one workbook: a folder raises :class:`UnreadableWorkbook` (``check(folder).forms``
    and ``.indicators`` read every workbook of a folder). ``limits`` as :func:`read_list`.
    """
    return _native.read_forms(_os.fspath(path), limits=_written_limits(limits))


class Report:
    """The outcome of :func:`check`: findings, normalized rows, forms and the recomputed roll-up.

    In Jupyter a report shows its counts by severity and rule, the findings and the top of each
    checked table or form with its finding cells filled as in the annotated workbook.
    """

    def __init__(self, native: "_native.NativeReport") -> None:
        self._native = native
        self._cache: "dict[str, pl.DataFrame]" = {}

    def _frame(self, name: str) -> "pl.DataFrame":
        if name not in self._cache:
            self._cache[name] = getattr(self._native, name)()
        return self._cache[name]

    @property
    def findings(self) -> "pl.DataFrame":
        """One row per finding: file, sheet, cell, rule, severity, message, found, expected, inputs,
        unit, table, form, row, department, project (your own rules' findings included)."""
        return self._frame("findings")

    @property
    def projects(self) -> "pl.DataFrame":
        """The normalized rows of every table read (as :func:`read_list`, plus a ``file`` column)."""
        return self._frame("projects")

    @property
    def summary(self) -> "pl.DataFrame":
        """The department roll-up recomputed from the project rows, each table closed by its total."""
        return self._frame("summary")

    @property
    def forms(self) -> "pl.DataFrame":
        """One row per performance form read (as :func:`read_forms`, plus a ``file`` column)."""
        return self._frame("forms")

    @property
    def indicators(self) -> "pl.DataFrame":
        """One row per indicator of every form, with its parsed target, actual and verdict."""
        return self._frame("indicators")

    @property
    def failures(self) -> "list[tuple[str, str, str]]":
        """(path, kind, message) for each file that could not be read (with ``on_error="collect"``)."""
        return self._native.failures()

    @property
    def exit_code(self) -> int:
        """What the command line would exit with: 0 clean, 1 findings reach ``fail_on``, 2 unreadable file."""
        return self._native.exit_code()

    def write_annotated(self, path: "_PathLike", file: "_PathLike | None" = None) -> "_pathlib.Path":
        """Write the annotated copy of a checked workbook to ``path`` (an .xlsx; never over an input).

        Findings' cells are filled by severity and carry a note; a first sheet 检查结果 lists the
        findings with links, and 重算汇总 holds the department roll-up as live formulas with a chart.
        ``file`` chooses the input when the report covers several. Returns ``path``.
        """
        paths = self._native.checked_paths()
        if file is None:
            if len(paths) != 1:
                raise ConfigError(f"报告包含 {len(paths)} 个文件，请用 file= 指定要标注的一个 (the report covers {len(paths)} files: choose one with file=)")
            index = 0
        else:
            wanted = _os.fspath(file)
            if wanted not in paths:
                raise ConfigError(f"{wanted} 不在本报告中 (not in this report); files: {', '.join(paths)}")
            index = paths.index(wanted)
        self._native.write_annotated(_os.fspath(path), index)
        import pathlib

        return pathlib.Path(path)

    def to_json(self) -> str:
        """Summary counts, findings and failures as JSON (exact decimal numbers): what
        ``budgetlint check --format json`` prints."""
        return self._native.to_json()

    def to_pandas(self, what: str = "findings") -> "_typing.Any":
        """One of the report's frames (``findings``, ``projects``, ``summary``, ``forms`` or
        ``indicators``) as a pandas DataFrame. Needs pandas (and pyarrow), which budgetlint does not
        install; amounts stay exact (``decimal.Decimal`` objects)."""
        if what not in ("findings", "projects", "summary", "forms", "indicators"):
            raise ConfigError(f"to_pandas: what 应为 findings、projects、summary、forms 或 indicators, not {what!r}")
        try:
            import pandas  # type: ignore[import-untyped]  # noqa: F401
        except ImportError as error:
            raise ImportError("Report.to_pandas() needs pandas: pip install pandas pyarrow (polars frames need neither)") from error
        return self._frame(what).to_pandas()

    def __repr__(self) -> str:
        return f"<budgetlint.Report {self._native.summary_line()}>"

    def _repr_html_(self) -> str:
        from budgetlint import _html

        return _html.render(self._native, self.findings)


def check(
    *paths: "_PathLike | Iterable[_PathLike]",
    config: "_PathLike | None" = None,
    on_error: str = "raise",
    rules: "Iterable[Rule] | None" = None,
    lang: "str | None" = None,
    show_info: "bool | None" = None,
    fail_on: "str | None" = None,
    disable: "Iterable[str] | None" = None,
    severity: "Mapping[str, str] | None" = None,
    thresholds: "Mapping[str, object] | None" = None,
    limits: "Mapping[str, object] | None" = None,
) -> Report:
    """Check workbooks (files, folders, or a list of them) and return a :class:`Report`.

    A folder stands for every .xlsx .xlsm .xls .ods inside it (recursively), as on the command line;
    when the paths hold no workbook at all, :class:`NoWorkbookFound` is raised.

    Settings come from ``config`` (or ``./budgetlint.toml``), then these keywords:
    ``lang`` ("zh"/"en"), ``show_info``, ``fail_on`` ("error"/"warning"/"never"), ``disable``
    (rule ids), ``severity`` ({"E002": "error"}), ``thresholds`` ({"low_execution_percent": 85}).
    ``rules`` adds checks of your own (:class:`Rule`), as ``[[rules]]`` in the settings file does.
    ``limits`` raises or lowers the bounds on the work one file may cause, over ``[limits]`` of the
    settings file (``{"max_cells_per_sheet": 20_000_000}``; keys ``max_bytes``, ``max_cells_per_sheet``,
    ``max_cells_per_workbook``, ``max_merged_cells_per_sheet``, ``max_merged_cells_per_workbook``, ``max_sheets``, ``max_cell_chars``;
    each a whole number above 0): a file past one is unreadable (:class:`UnreadableWorkbook`).
    ``on_error="raise"`` raises on the first unreadable file; ``"collect"`` lists it in ``failures``.
    """
    # check(["a.xlsx", "b.xlsx"]) reads as check("a.xlsx", "b.xlsx").
    flat: "list[_PathLike]" = []
    for arg in paths:
        flat.extend(arg if isinstance(arg, (list, tuple)) else [_typing.cast("_PathLike", arg)])
    if not flat:
        raise ConfigError("check() 需要至少一个文件或文件夹 (at least one path)")
    from budgetlint import _rules

    own_rules = list(rules) if rules is not None else []
    _rules.validate(own_rules)  # before the work, which a large folder makes long
    native = _native.check(
        [_os.fspath(p) for p in flat],
        config=None if config is None else _os.fspath(config),
        on_error=on_error,
        lang=lang,
        show_info=show_info,
        fail_on=fail_on,
        disable=None if disable is None else list(disable),
        severity=None if severity is None else dict(severity),
        thresholds=None if thresholds is None else {k: str(v) for k, v in thresholds.items()},
        limits=_written_limits(limits),
    )
    if own_rules:
        _rules.apply(native, own_rules)
    return Report(native)


def rules(lang: str = "zh") -> "pl.DataFrame":
    """The rule catalog as a frame: id, severity, title."""
    import polars as pl

    return pl.DataFrame(_native.rules(lang), schema=["id", "severity", "title"], orient="row")


def explain(rule_id: str, lang: str = "zh") -> str:
    """What a rule finds, why it matters, and an example."""
    return _native.explain(rule_id, lang)
