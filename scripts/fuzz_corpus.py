"""Write the seed corpora of the fuzz targets (fuzz/fuzz_targets/) from the test fixtures.

    .venv/bin/python scripts/fuzz_corpus.py [OUTDIR]     # default fuzz/corpus

OUTDIR/workbook   small workbooks of every format: layouts (tests/fixtures/layouts.py), forms, hierarchies,
                  units, and the small hostile and bad inputs (truncated, encrypted, renamed, HTML, .xlsb …)
OUTDIR/figure     cell texts, one per line, as budgetlint::fuzzing::figure reads them
OUTDIR/indicator  indicator phrases, alone and as "target\\nactual" pairs

The phrases and figures are taken from the Rust unit tests' tables (src/read/indicator_value.rs,
src/read/text.rs, …) plus a list kept here, so new test cases become seeds by themselves.
Corpora are not committed (.gitignore): the fuzzer adds to them, this script makes them again.
Needs the fixtures' writers (xlsxwriter, xlwt, openpyxl, msoffcrypto-tool): the .venv of scripts/test.sh.
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

# Seeds above this are left out: libFuzzer mutates small inputs far faster, and the large hostile
# files (zip bombs, 5,000 sheets, a 10 MB cell) test limits, not parsing.
MAX_SEED_BYTES = 200_000


def put(directory: Path, data: bytes, suffix: str = "") -> None:
    """Content-addressed, as libFuzzer names its own finds (duplicates collapse)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / (hashlib.sha1(data).hexdigest() + suffix)).write_bytes(data)


# --------------------------------------------------------------------------- workbooks


def workbooks(out: Path) -> int:
    from fixtures import forms, hierarchy, hostile, layouts, units
    from fixtures.writers import write_book

    written: list[Path] = []
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)

        def attempt(what: str, make) -> None:
            try:
                result = make()
            except Exception as error:  # a writer missing from this environment: go on without it
                print(f"  skipped {what}: {type(error).__name__}: {error}", file=sys.stderr)
                return
            paths = result if isinstance(result, list) else [result]
            written.extend(Path(getattr(p, "path", p)) for p in paths)

        some_layouts = ["clean", "two_row_header", "subtotals_total_spellings", "text_figures", "yuan_units", "formulas"]
        for name in some_layouts:
            build, formats = layouts.LAYOUTS[name]
            book = build()[0]
            for ext in formats:
                attempt(f"{name}.{ext}", lambda b=book, n=name, e=ext: write_book(b, scratch / "layouts" / f"{n}.{e}"))
        for ext in ("xlsx", "xls", "ods"):
            d = scratch / f"forms-{ext}"
            attempt(f"tracking_forms.{ext}", lambda d=d, e=ext: forms.tracking_forms(d / "t", e))
            attempt(f"monitoring_form.{ext}", lambda d=d, e=ext: forms.monitoring_form(d / "m", e))
            attempt(f"self_evaluation_form.{ext}", lambda d=d, e=ext: forms.self_evaluation_form(d / "s", e))
            attempt(f"declaration_form.{ext}", lambda d=d, e=ext: forms.declaration_form(d / "d", e))
        attempt("stacked_forms", lambda: forms.stacked_forms(scratch / "stacked"))
        attempt("list_with_forms", lambda: forms.list_with_forms(scratch / "lwf"))
        for make in (hierarchy.levels_total_first, hierarchy.two_levels, hierarchy.breakdown_rows,
                     hierarchy.side_by_side, hierarchy.more_amount_columns, hierarchy.department_rows_above):
            attempt(make.__name__, lambda m=make: m(scratch / f"h-{m.__name__}"))
        attempt("hierarchy.two_levels.xls", lambda: hierarchy.two_levels(scratch / "h-xls", "xls"))
        attempt("units.unit_sheets", lambda: units.unit_sheets(scratch / "units"))
        attempt("units.two_units_report_tables", lambda: units.two_units_report_tables(scratch / "units2"))
        attempt("units.consolidated_list.ods", lambda: units.consolidated_list(scratch / "units3", "ods"))
        attempt("hostile", lambda: list(hostile.hostile_inputs(scratch / "hostile").values()))
        attempt("bad_inputs", lambda: [b.path for b in layouts.bad_inputs(scratch / "bad").values()])

        kept = 0
        for path in written:
            if path.is_file() and path.stat().st_size <= MAX_SEED_BYTES:
                put(out, path.read_bytes(), path.suffix)
                kept += 1
    return kept


# --------------------------------------------------------------------------- texts from the Rust tests

LITERAL = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def _unescape(literal: str) -> str:
    def one(match: re.Match) -> str:
        escape = match.group(0)
        if escape.startswith("\\u{"):
            return chr(int(escape[3:-1], 16))
        return {"\\n": "\n", "\\t": "\t", "\\r": "\r", '\\"': '"', "\\\\": "\\", "\\0": "\0"}.get(escape, escape[1:])

    return re.sub(r"\\u\{[0-9a-fA-F]+\}|\\.", one, literal)


def test_literals(source: Path) -> list[list[str]]:
    """The string literals of each line of the file's test module (after `#[cfg(test)]`)."""
    text = source.read_text(encoding="utf-8")
    at = text.find("#[cfg(test)]")
    lines = []
    for line in text[at:].splitlines() if at >= 0 else []:
        if line.strip().startswith("//"):
            continue
        found = [_unescape(m.group(1)) for m in LITERAL.finditer(line)]
        found = [s for s in found if len(s) <= 80 and "{" not in s and not re.fullmatch(r"[a-z_]+", s)]
        if found:
            lines.append(found)
    return lines


FIGURES = [
    "1,411.64", "405.81 ", "４０５．８１", "   99.20%", "98.96％", "-12.5", "80", "—", "-", "－", "  ", "约300",
    "#DIV/0!", "1.2.3", "12万", "%", "1e5", "0.00", "1,234.50", "1234.5万元", "12.5%", "+3", ".5", "5.",
    "100000000000000", "999999999999999.99", "0.0000000000000000000000000001", "-0", "１，２３４．５０",
    "#405.81\t0.00", "#0.9896\t0.00%", "#1144.63", "#0.1\t#,##0.00_);[Red](#,##0.00)", "#80\tGeneral",
    "#1e20", "#-0.000001", "#98.16\t0.0%", "12.70\t@", "合计", "小计",
]


def figures(out: Path) -> int:
    texts = list(FIGURES)
    for source in ("src/read/text.rs", "src/read/table.rs", "src/read/form.rs"):
        for line in test_literals(ROOT / source):
            texts.extend(s for s in line if any(c.isdigit() for c in s) or s.strip() in ("—", "-", "－"))
    texts = list(dict.fromkeys(texts))
    rng = random.Random(2026)
    count = 0
    for text in texts:  # one cell, in 万元 (first byte even) and in 元
        put(out, text.encode("utf-8"))
        put(out, ("\x01" + text).encode("utf-8"))
        count += 2
    for _ in range(40):  # a few rows of four: 年初, 调整后, 实际, 比例
        rows = ["\n".join(rng.choice(texts) for _ in range(4)) for _ in range(rng.randint(1, 4))]
        put(out, "\n".join(rows).encode("utf-8"))
        count += 1
    # The seed's own row: 残疾人两项补贴 380.00 270.00 266.47 100.00 %, and a 合计.
    put(out, "#380\t0.00\n#270\t0.00\n#266.47\t0.00\n#1\t0.00%\n#380\t0.00\n#270\t0.00\n#266.47\t0.00\n#0.9869\t0.00%".encode())
    return count + 1


PHRASES = [
    "≥95%", "=12处", "不少于3次", "2020年12月31日前", "有效保障", "满意度≥90%", "90%-100%", "3至5个", "（空）", "—",
    "/", "无", "不适用", "1.2.3", "新建3处、改造5处", "≥", "12月底前", "第四季度", "2020年第三季度前", "≤405.81万元",
    "1.2万人次", "一百零五人", "百分之九十五", "≥1次/季度", "每季度2次", "≤2小时", "90分钟", "已完成", "未完成",
    "是", "否", "良好", "优秀", "基本完成", "按时完成", "≥1e30万元", "≥99999999999999999999999999999亿元",
]


def indicators(out: Path) -> int:
    lines = test_literals(ROOT / "src/read/indicator_value.rs")
    for source in ("src/check/form/mod.rs", "src/read/form.rs"):
        if (ROOT / source).is_file():
            lines += [[s for s in line if any(not c.isascii() for c in s)] for line in test_literals(ROOT / source)]
    phrases = list(dict.fromkeys(PHRASES + [s for line in lines for s in line]))
    pairs = [f"{line[0]}\n{line[1]}" for line in lines if len(line) >= 2]
    rng = random.Random(2026)
    pairs += [f"{rng.choice(phrases)}\n{rng.choice(phrases)}" for _ in range(100)]
    seeds = list(dict.fromkeys(phrases + pairs))
    for seed in seeds:
        put(out, seed.encode("utf-8"))
    return len(seeds)


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else ROOT / "fuzz" / "corpus"
    made = {}
    for target, make in (("workbook", workbooks), ("figure", figures), ("indicator", indicators)):
        directory = out / target
        # The seeds are made again; what the fuzzer found (other names) stays.
        directory.mkdir(parents=True, exist_ok=True)
        made[target] = make(directory)
        print(f"{target:10} {made[target]:5} seeds, {len(list(directory.iterdir())):5} files in {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
