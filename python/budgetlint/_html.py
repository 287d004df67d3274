"""The notebook view of a report: counts, the findings, and the top of each checked table or form with
its finding cells filled as in the annotated workbook."""

from __future__ import annotations

import typing
from html import escape

if typing.TYPE_CHECKING:
    import polars as pl

    from budgetlint._budgetlint import NativeReport

# The fills of the annotated workbook.
COLOURS = {"error": "#FFC7CE", "warning": "#FFE699", "info": "#BDD7EE"}
RANK = {"error": 3, "warning": 2, "info": 1}
MAX_FINDINGS = 50
MAX_PREVIEWS = 12

_STYLE = (
    "<style>"
    ".bl-report table{border-collapse:collapse;margin:0.3em 0 0.8em 0;font-size:12px}"
    ".bl-report th,.bl-report td{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}"
    ".bl-report th{background:#f3f3f3}"
    ".bl-report td.bl-n{color:#888;background:#f3f3f3}"
    ".bl-report h4{margin:0.8em 0 0.2em 0}"
    "</style>"
)


def _text(value: object) -> str:
    return "" if value is None else escape(str(value))


def _column_letters(col: int) -> str:
    letters = ""
    n = col + 1
    while n > 0:
        n, rem = divmod(n - 1, 26)
        letters = chr(ord("A") + rem) + letters
    return letters


def _parse_a1(cell: str) -> tuple[int, int] | None:
    letters = "".join(c for c in cell if c.isalpha())
    digits = cell[len(letters):]
    if not letters or not digits.isdigit():
        return None
    col = 0
    for c in letters.upper():
        col = col * 26 + ord(c) - ord("A") + 1
    return int(digits) - 1, col - 1


def _table(head: typing.Sequence[str], rows: list[list[str]], fills: list[str] | None = None) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    body = []
    for i, row in enumerate(rows):
        style = f' style="background:{fills[i]}"' if fills and fills[i] else ""
        body.append(f"<tr{style}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    return f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def render(native: NativeReport, findings: pl.DataFrame) -> str:
    """The whole view as one HTML fragment (every text escaped)."""
    en = native.lang() == "en"
    say = (lambda zh, english: english) if en else (lambda zh, english: zh)
    parts = [_STYLE, '<div class="bl-report">', f"<p><b>budgetlint</b> — {escape(native.summary_line())}</p>"]
    parts.append(_counts(findings, say))
    parts.append(_findings(findings, say))
    parts.append(_previews(native, findings, say))
    parts.append("</div>")
    return "".join(parts)


def _counts(findings: pl.DataFrame, say: typing.Callable[[str, str], str]) -> str:
    if findings.height == 0:
        return f"<p>{say('没有发现问题。', 'No findings.')}</p>"
    by_severity = {s: 0 for s in COLOURS}
    by_rule: dict[tuple[str, str], int] = {}
    for rule, severity in zip(findings["rule"].to_list(), findings["severity"].to_list()):
        by_severity[severity] = by_severity.get(severity, 0) + 1
        by_rule[(rule, severity)] = by_rule.get((rule, severity), 0) + 1
    severity_rows = [
        [f'<span style="background:{COLOURS[s]};padding:0 4px">{escape(s)}</span>', str(n)] for s, n in by_severity.items() if n
    ]
    ordered = sorted(by_rule.items(), key=lambda item: (-RANK.get(item[0][1], 0), item[0][0]))
    rule_rows = [[escape(rule), escape(severity), str(n)] for (rule, severity), n in ordered]
    fills = [COLOURS.get(severity, "") for (_, severity), _ in ordered]
    return (
        '<div style="display:flex;gap:2em;align-items:flex-start">'
        + "<div>" + _table([say("级别", "severity"), say("数量", "count")], severity_rows) + "</div>"
        + "<div>" + _table([say("规则", "rule"), say("级别", "severity"), say("数量", "count")], rule_rows, fills) + "</div>"
        + "</div>"
    )


def _findings(findings: pl.DataFrame, say: typing.Callable[[str, str], str]) -> str:
    if findings.height == 0:
        return ""
    columns = [c for c in ("file", "sheet", "cell", "rule", "severity", "message", "found", "expected") if c in findings.columns]
    several_files = findings["file"].n_unique() > 1
    if not several_files:
        columns.remove("file")
    shown = findings.head(MAX_FINDINGS)
    rows = []
    for record in shown.select(columns).iter_rows(named=True):
        if "file" in record and record["file"]:
            record["file"] = record["file"].replace("\\", "/").rsplit("/", 1)[-1]
        rows.append([_text(v) for v in record.values()])
    fills = [COLOURS.get(s, "") for s in shown["severity"].to_list()]
    out = f"<h4>{say('问题', 'Findings')}</h4>" + _table(columns, rows, fills)
    if findings.height > MAX_FINDINGS:
        more = findings.height - MAX_FINDINGS
        out += f"<p>… {say(f'另有 {more} 条（见 .findings）', f'{more} more (see .findings)')}</p>"
    return out


def _previews(native: NativeReport, findings: pl.DataFrame, say: typing.Callable[[str, str], str]) -> str:
    previews = native.previews()
    if not previews:
        return ""
    marked: dict[tuple[str, str, int, int], tuple[str, list[str]]] = {}
    for record in findings.select("file", "sheet", "cell", "rule", "severity", "message").iter_rows(named=True):
        at = _parse_a1(record["cell"] or "")
        if at is None:
            continue
        key = (record["file"], record["sheet"], at[0], at[1])
        severity, notes = marked.get(key, ("info", []))
        if RANK.get(record["severity"], 0) > RANK.get(severity, 0) or not notes:
            severity = record["severity"]
        notes.append(f"[{record['rule']}] {record['message']}")
        marked[key] = (severity, notes)
    several_files = len({p[0] for p in previews}) > 1
    out = [f"<h4>{say('表格预览（问题单元格按级别着色）', 'Preview (finding cells filled by severity)')}</h4>"]
    for file, sheet, label, first_col, kept, total_rows in previews[:MAX_PREVIEWS]:
        name = file.replace("\\", "/").rsplit("/", 1)[-1]
        title = f"{name} · " if several_files else ""
        shown_label = label if label == sheet else f"{label}（{sheet}）"
        out.append(f"<p><b>{escape(title + shown_label)}</b></p>")
        width = max((len(cells) for _, cells in kept), default=0)
        head = [""] + [_column_letters(first_col + c) for c in range(width)]
        rows = []
        previous = None
        for sheet_row, cells in kept:
            if previous is not None and sheet_row > previous + 1:
                # Rows left out between the top of the table and the rows of findings further down.
                rows.append(f'<td class="bl-n">⋮</td><td colspan="{width}"></td>')
            previous = sheet_row
            tds = [f'<td class="bl-n">{sheet_row + 1}</td>']
            for c in range(width):
                text = cells[c] if c < len(cells) else ""
                hit = marked.get((file, sheet, sheet_row, first_col + c))
                if hit:
                    note = escape(" / ".join(hit[1]), quote=True)
                    tds.append(f'<td style="background:{COLOURS.get(hit[0], "")}" title="{note}">{escape(text)}</td>')
                else:
                    tds.append(f"<td>{escape(text)}</td>")
            rows.append("".join(tds))
        header = "".join(f"<th>{escape(h)}</th>" for h in head)
        out.append(f"<table><thead><tr>{header}</tr></thead><tbody>" + "".join(f"<tr>{r}</tr>" for r in rows) + "</tbody></table>")
        if total_rows > len(kept):
            more = total_rows - len(kept)
            out.append(f"<p>… {say(f'另有 {more} 行未显示', f'{more} more rows not shown')}</p>")
    if len(previews) > MAX_PREVIEWS:
        more = len(previews) - MAX_PREVIEWS
        out.append(f"<p>… {say(f'另有 {more} 张表未预览', f'{more} more tables and forms not previewed')}</p>")
    return "".join(out)
