"""Rules of your own: a polars condition over the projects, forms or indicators frame of a report.

Every row where the condition is true becomes a finding at that row's cell for ``column``, with the
id, message and severity given, beside the built-in findings in every output (``Report.findings``,
``to_json()``, the command line's text, JSON and CSV, the annotated workbook).
"""

from __future__ import annotations

import re
import typing

from budgetlint import _budgetlint as _native
from budgetlint._budgetlint import ConfigError

if typing.TYPE_CHECKING:
    import polars as pl

SEVERITIES = ("error", "warning", "info")
TARGETS = ("projects", "indicators", "forms")
_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_ROW = "__budgetlint_row"


class Rule:
    """A check of your own, without Rust.

    ``when`` is a polars expression over the ``on`` frame (``"projects"``, the default, as
    :attr:`Report.projects`; ``"forms"`` as :attr:`Report.forms`; ``"indicators"`` as
    :attr:`Report.indicators`), or the same condition as a polars SQL string (what ``[[rules]]`` in
    ``budgetlint.toml`` takes)::

        bl.Rule("U001", "宣传经费不得超过100万元", severity="warning",
                when=pl.col("project").str.contains("宣传") & (pl.col("budget_adjusted") > 100),
                column="budget_adjusted")
        bl.Rule("U002", "执行率低于50%", when="ratio < 50", column="ratio")

    Each row where ``when`` is true becomes a finding at that row's cell of ``column`` (the frame's
    ``{column}_cell``; by default ``budget_adjusted`` for projects and forms, ``actual`` for
    indicators). ``id`` must not be a built-in rule's (``A001`` …); ``severity`` is ``"error"``,
    ``"warning"`` or ``"info"``.
    """

    __slots__ = ("column", "id", "message", "on", "severity", "when")

    def __init__(
        self,
        id: str,
        message: str,
        *,
        when: pl.Expr | str,
        severity: str = "warning",
        column: str | None = None,
        on: str = "projects",
    ) -> None:
        if not isinstance(id, str) or not _ID.fullmatch(id):
            raise ConfigError(f"规则编号 {id!r} 应由字母、数字、_ 或 - 组成 (a rule id is 1-40 letters, digits, _ or -)")
        builtin = {rule_id for rule_id, _, _ in _native.rules("en")}
        if id.upper() in builtin:
            raise ConfigError(f"规则编号 {id} 与内置规则重复 (clashes with the built-in rule {id.upper()}); use another, e.g. U001")
        if not isinstance(message, str) or not message.strip():
            raise ConfigError(f"{id}: message 不能为空 (a rule needs a message)")
        if severity not in SEVERITIES:
            raise ConfigError(f"{id}: severity 应为 error、warning 或 info (must be error, warning or info), not {severity!r}")
        if on not in TARGETS:
            raise ConfigError(f"{id}: on 应为 projects、indicators 或 forms (must be projects, indicators or forms), not {on!r}")
        if not isinstance(when, str) and type(when).__name__ != "Expr":
            raise ConfigError(f"{id}: when 应为 polars 表达式或 SQL 字符串 (must be a polars expression or a SQL string), not {type(when).__name__}")
        if column is not None and not isinstance(column, str):
            raise ConfigError(f"{id}: column 应为列名 (must be a column name), not {column!r}")
        self.id = id
        self.message = message
        self.severity = severity
        self.when = when
        self.column = column
        self.on = on

    def __repr__(self) -> str:
        return f"Rule({self.id!r}, {self.message!r}, severity={self.severity!r}, on={self.on!r}, column={self.column!r}, when={self.when!r})"

    def rows(self, frame: pl.DataFrame) -> list[int]:
        """The 0-based rows of ``frame`` where ``when`` is true (null counts as false)."""
        try:
            return rows_where(frame, self.when)
        except Exception as error:  # polars raises several kinds; all mean the condition is wrong here
            raise ConfigError(f"规则 {self.id} 的条件无法在 {self.on} 表上求值 (rule {self.id}: its condition fails on the {self.on} frame): {error}") from error


def rows_where(frame: pl.DataFrame, when: pl.Expr | str) -> list[int]:
    """The 0-based rows of ``frame`` where ``when`` (an expression, or polars SQL) is true.

    Also what the command line's ``[[rules]]`` conditions are evaluated with (called from Rust).
    """
    import polars as pl

    if frame.height == 0:
        return []
    condition = pl.sql_expr(when) if isinstance(when, str) else when
    hits = frame.with_row_index(_ROW).filter(condition)
    return [int(i) for i in hits[_ROW].to_list()]


def validate(rules: typing.Sequence[Rule], taken: typing.Iterable[str] = ()) -> None:
    """Refuses what is not a :class:`Rule` and an id given twice (here, or in ``taken``)."""
    seen = {rule_id.upper() for rule_id in taken}
    for rule in rules:
        if not isinstance(rule, Rule):
            raise ConfigError(f"rules= 应为 bl.Rule 的列表 (takes bl.Rule objects), not {type(rule).__name__}")
        if rule.id.upper() in seen:
            raise ConfigError(f"规则编号 {rule.id} 重复 (rule id given twice)")
        seen.add(rule.id.upper())


def apply(native: _native.NativeReport, rules: typing.Sequence[Rule]) -> None:
    """Adds the findings of ``rules`` to a checked report (beside the settings file's own rules)."""
    validate(rules, [rule_id for rule_id, *_ in native.config_rules()])
    frames: dict[str, pl.DataFrame] = {}
    for rule in rules:
        if rule.on not in frames:
            frames[rule.on] = getattr(native, rule.on)()
        rows = rule.rows(frames[rule.on])
        native.add_rule_findings(rule.id, rule.message, rule.severity, rule.on, rule.column, rows)
