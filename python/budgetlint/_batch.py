"""Many submissions at once: ``check_many`` on this machine's cores, or on a Dask cluster.

Both run the same work (the batch engine of ``budgetlint batch``, without its output files): every
workbook under the paths is read once to learn the unit it names, the files of one unit (an 附件1
with its 附件2 forms) are grouped, and each group is checked and reconciled. Locally the groups run on
the native thread pool; with ``client=`` each file is surveyed and each group checked in a Dask task
on the workers (each task reads its files where they are), and the tasks' polars frames are gathered
into one :class:`~budgetlint.Report` equal to the local one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence, Union

from budgetlint import _budgetlint as _native

if TYPE_CHECKING:
    import polars as pl

    from budgetlint import Report

PathLike = Union[str, "os.PathLike[str]"]

FRAMES = ("findings", "projects", "summary", "forms", "indicators")


def check_many(
    paths: PathLike | Iterable[PathLike],
    *,
    jobs: int | None = None,
    client: Any = None,
    config: PathLike | None = None,
    lang: str | None = None,
    show_info: bool | None = None,
    fail_on: str | None = None,
    disable: Iterable[str] | None = None,
    severity: Mapping[str, str] | None = None,
    thresholds: Mapping[str, object] | None = None,
    limits: Mapping[str, object] | None = None,
) -> "Report":
    """Check a period's submissions: every workbook under ``paths``, each unit's files reconciled together.

    Files are grouped by the budget unit they name inside (单位名称 lines, a form's 主管部门), else by the
    unit their file or folder name names, so a unit's 附件1 is reconciled with its own 附件2 forms and
    never with another unit's. Unreadable files are listed in ``Report.failures`` (never raised).

    ``jobs``: threads on this machine (all cores by default). ``client``: a ``dask.distributed.Client``;
    the same work then runs on its workers, each task reading its files where they are (give paths the
    workers can read: on shared storage, or a ``LocalCluster``), and one Report equal to the local one
    comes back. Settings as :func:`budgetlint.check` (``limits`` included). Every frame has a ``unit`` column.
    """
    from budgetlint import Report, _written_limits

    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    given = [os.fspath(p) for p in paths]
    if not given:
        from budgetlint import ConfigError

        raise ConfigError("check_many() 需要至少一个文件或文件夹 (at least one path)")
    settings: dict[str, Any] = {
        "config": None if config is None else os.fspath(config),
        "lang": lang,
        "show_info": show_info,
        "fail_on": fail_on,
        "disable": None if disable is None else list(disable),
        "severity": None if severity is None else dict(severity),
        "thresholds": None if thresholds is None else {k: str(v) for k, v in thresholds.items()},
        "limits": _written_limits(limits),
    }
    if client is None:
        return Report(_native.check_many(given, jobs=jobs, **settings))
    return Report(_on_cluster(given, client, settings))


# --------------------------------------------------------------------------- the Dask path


def _survey(path: str, config: str | None = None, limits: dict[str, str] | None = None) -> str | None:
    """Task: what grouping needs of one file (JSON), None when it cannot be read (within the limits)."""
    return _native.batch_survey(path, config=config, limits=limits)


def _check_group(paths: list[str], unit: str | None, settings: dict[str, Any]) -> dict[str, Any]:
    """Task: one group checked together; what a Report is made of, as frames and plain values."""
    native = _native.check_group(paths, unit, **settings)
    return {
        "frames": {name: getattr(native, name)() for name in FRAMES},
        "failures": native.failures(),
        "counts": native.counts(),
        "exit_code": native.exit_code(),
        "json": json.loads(native.to_json()),
        "checked_paths": native.checked_paths(),
        "paths": paths,
        "unit": unit,
    }


def _on_cluster(given: Sequence[str], client: Any, settings: dict[str, Any]) -> "_Gathered":
    if settings["config"] is None and Path("budgetlint.toml").is_file():
        # The workers' working folder may not be ours: they get our settings file by its full path.
        settings = {**settings, "config": str(Path("budgetlint.toml").resolve())}
    inputs = _native.batch_inputs(list(given))
    files = [path for path, _ in inputs]
    surveys = (
        client.gather(client.map(_survey, files, config=settings["config"], limits=settings["limits"], pure=False))
        if files
        else []
    )
    groups = _native.batch_plan([relative for _, relative in inputs], surveys)
    futures = client.map(
        _check_group,
        [[files[i] for i in members] for members, _ in groups],
        [unit for _, unit in groups],
        settings=settings,
        pure=False,
    )
    return _Gathered(client.gather(futures), files, settings)


class _Gathered:
    """The native report's interface over the results of the group tasks, files in input order."""

    def __init__(self, results: list[dict[str, Any]], files: list[str], settings: dict[str, Any]):
        self._results = results
        self._files = files
        self._settings = settings
        self._order = {path: i for i, path in enumerate(files)}

    def _frame(self, name: str) -> "pl.DataFrame":
        import polars as pl

        frames = [r["frames"][name] for r in self._results]
        frames = [f for f in frames if f.width > 0] or frames[:1]
        if not frames:
            return pl.DataFrame()
        frame = pl.concat(frames, how="diagonal_relaxed") if len(frames) > 1 else frames[0]
        if "file" not in frame.columns or frame.height == 0:
            return frame
        order = pl.col("file").replace_strict(self._order, default=len(self._order), return_dtype=pl.Int64)
        return frame.with_columns(order.alias("__order")).sort("__order", maintain_order=True).drop("__order")

    def findings(self) -> "pl.DataFrame":
        return self._frame("findings")

    def projects(self) -> "pl.DataFrame":
        return self._frame("projects")

    def summary(self) -> "pl.DataFrame":
        return self._frame("summary")

    def forms(self) -> "pl.DataFrame":
        return self._frame("forms")

    def indicators(self) -> "pl.DataFrame":
        return self._frame("indicators")

    def failures(self) -> list[tuple[str, str, str]]:
        failures = [f for r in self._results for f in r["failures"]]
        return sorted(failures, key=lambda f: self._order.get(f[0], len(self._order)))

    def counts(self) -> tuple[int, int, int, int, int, int]:
        totals = [0] * 6
        for r in self._results:
            totals = [a + b for a, b in zip(totals, r["counts"])]
        return tuple(totals)  # type: ignore[return-value]

    def exit_code(self) -> int:
        codes = {r["exit_code"] for r in self._results}
        return 2 if 2 in codes else 1 if 1 in codes else 0

    def checked_paths(self) -> list[str]:
        paths = [p for r in self._results for p in r["checked_paths"]]
        return sorted(paths, key=lambda p: self._order.get(p, len(self._order)))

    def to_json(self) -> str:
        files, unreadable, errors, warnings, infos, hidden = self.counts()
        failures = [{"file": path, "kind": kind, "message": message} for path, kind, message in self.failures()]
        rows = [r for result in self._results for r in result["json"]["findings"]]
        rows.sort(key=lambda row: self._order.get(row.get("file"), len(self._order)))
        summary = {"files": files, "unreadable": unreadable, "errors": errors, "warnings": warnings, "infos": infos,
                   "hidden_infos": hidden, "exit_code": self.exit_code()}
        return json.dumps({"summary": summary, "findings": rows, "failures": failures}, ensure_ascii=False, indent=2)

    def lang(self) -> str:
        return self._settings.get("lang") or "zh"

    def summary_line(self) -> str:
        files, unreadable, errors, warnings, infos, hidden = self.counts()
        if self.lang() == "en":
            line = f"{files} file(s) checked: {errors} error(s), {warnings} warning(s), {infos} info"
            if hidden:
                line += f" ({hidden} info hidden; --show-info shows them)"
            if unreadable:
                line += f"; {unreadable} file(s) could not be read"
            return line
        line = f"共检查 {files} 个文件：{errors} 个错误，{warnings} 个警告，{infos} 个提示"
        if hidden:
            line += f"（另有 {hidden} 个提示未显示，--show-info 显示）"
        if unreadable:
            line += f"；{unreadable} 个文件无法读取"
        return line

    def write_annotated(self, path: str, index: int) -> None:
        """Checks the file's group again here (the workers' results hold no sheets) and writes its copy."""
        wanted = self.checked_paths()[index]
        for result in self._results:
            if wanted in result["paths"]:
                native = _native.check_group(result["paths"], result["unit"], **self._settings)
                native.write_annotated(path, native.checked_paths().index(wanted))
                return
        raise KeyError(wanted)

    def previews(self) -> list:
        return []

    def config_rules(self) -> list:
        return []
