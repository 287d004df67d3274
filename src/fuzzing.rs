//! What the fuzz targets (`fuzz/fuzz_targets/`) and their regression test
//! (`tests/fuzz_regressions.rs`) run: one function per target, from raw bytes, so that a crash
//! input found by the fuzzer is replayed by `cargo test` through the very same code.
//!
//! Each function panics only on a bug: a panic in the checks, the report or the annotated copy, or
//! a broken property. A panic inside a reader library is not one of them: the readers contain it
//! and the file is refused with [`Error::Internal`](crate::Error::Internal), as for any user.
//! Not part of the library's interface.

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use rust_decimal::prelude::ToPrimitive;

use crate::model::Lang;
use crate::read::grid::{self, Grid, GridCell, NumberFormat, Value};
use crate::read::indicator_value::{self, IndicatorValue, Verdict};
use crate::read::text::{decimal_from_f64, parse_figure_text, TextFigure};
use crate::report::{check_grids, check_grids_alone, reconcile, FileReport, Report};
use crate::settings::Settings;
use crate::write::annotated::annotated_workbook;

/// How a workbook input ended, for the regression test to tell apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkbookOutcome {
    /// Read and checked; the number of findings.
    Checked { findings: usize },
    /// Refused with an error of this kind (`Error::kind`).
    Refused(&'static str),
    /// A reader library panicked, and the file was refused for it ([`Error::Internal`](crate::Error::Internal)).
    ReaderPanicked(String),
}

thread_local! {
    /// One scratch directory per thread (the regression test runs on several), made once.
    static SCRATCH: RefCell<Option<PathBuf>> = const { RefCell::new(None) };
}

fn scratch_file() -> PathBuf {
    SCRATCH.with(|dir| {
        let mut dir = dir.borrow_mut();
        let dir = dir.get_or_insert_with(|| {
            let thread = format!("{:?}", std::thread::current().id()).replace(|c: char| !c.is_ascii_alphanumeric(), "");
            let path = std::env::temp_dir().join(format!("budgetlint-fuzz-{}-{thread}", std::process::id()));
            std::fs::create_dir_all(&path).expect("scratch directory");
            path
        });
        // Sniffing goes by the bytes; the name only gives the unit of a workbook that names none.
        dir.join("input.xlsx")
    })
}

/// Target `workbook`: the bytes as a file, read and checked as `budgetlint check FILE -o COPY.xlsx`
/// does — findings, the checks across the workbook's documents, every report table and the JSON,
/// then the annotated copy from a second read with the layout.
pub fn workbook(data: &[u8]) -> WorkbookOutcome {
    let path = scratch_file();
    std::fs::write(&path, data).expect("writing the scratch file");
    let outcome = workbook_file(&path);
    let _ = std::fs::remove_file(&path);
    outcome
}

/// [`workbook`] on a file already written.
pub fn workbook_file(path: &Path) -> WorkbookOutcome {
    let settings = Settings { show_info: true, ..Settings::default() };
    let grids = match grid::no_grids_if_empty(grid::read_grids(path)) {
        Ok(grids) => grids,
        Err(error) => {
            assert!(!error.message(Lang::Zh).is_empty() && !error.message(Lang::En).is_empty());
            if let crate::Error::Internal { detail, .. } = error {
                return WorkbookOutcome::ReaderPanicked(detail);
            }
            return WorkbookOutcome::Refused(error.kind());
        }
    };
    // Not through `check_file`, whose containment would turn a panic of the checks into an error.
    let checked = check_grids(path, &grids, &settings);
    let mut files = vec![FileReport { path: path.to_path_buf(), outcome: Ok(checked) }];
    reconcile(&mut files, &settings);
    let report = Report { files, settings: settings.clone() };
    let findings = report.all_findings().count();
    for lang in [Lang::Zh, Lang::En] {
        let settings = Settings { lang, ..settings.clone() };
        let report = Report { files: Vec::new(), settings };
        let _ = report.to_json();
    }
    let _ = report.to_json();
    for table in [report.findings_table(), report.projects_table(), report.forms_table(), report.indicators_table(), report.summary_table()] {
        let _ = table.to_json_value();
    }
    drop(report);

    // The annotated copy, as `check -o COPY.xlsx` makes it. rust_xlsxwriter's own refusals are
    // errors the user is told about, not bugs.
    if let Ok(grids_with_layout) = grid::no_grids_if_empty(grid::read_grids_with_layout(path)) {
        // The same sheets, whichever read: else `check FILE` and `check FILE -o COPY` would find different
        // things (tests/fuzz_regressions/README.md, workbook/reads-disagree-*).
        let names = |g: &[Grid]| g.iter().map(|g| (g.name.clone(), g.height())).collect::<Vec<_>>();
        assert_eq!(names(&grids), names(&grids_with_layout), "the two reads of one file disagree");
        let checked = check_grids_alone(path, &grids_with_layout, &settings);
        let _ = annotated_workbook(&grids_with_layout, &checked, &settings);
    }
    WorkbookOutcome::Checked { findings }
}

/// Target `figure`: cell texts read as figures, alone and as the figure columns of a list.
///
/// Input: lines, one cell each; `TEXT<TAB>FORMAT` gives the cell an Excel number format, and
/// `#NUMBER` stores a number rather than text. The first byte's low bit writes the table in 元
/// instead of 万元; the first eight bytes, as a float, go through the float reader too.
pub fn figure(data: &[u8]) {
    if let Some(bits) = data.get(..8) {
        float_figure(f64::from_le_bytes(bits.try_into().expect("eight bytes")));
    }
    let text = String::from_utf8_lossy(data);
    let mut cells = Vec::new();
    for line in text.split('\n').take(64) {
        let (written, format) = match line.split_once('\t') {
            Some((written, code)) => (written, NumberFormat::parse(code)),
            None => (line, None),
        };
        text_figure(written);
        let value = match written.strip_prefix('#').map(|n| n.trim().parse::<f64>()) {
            Some(Ok(number)) => {
                float_figure(number);
                Value::Number(number)
            }
            _ => Value::Text(written.into()),
        };
        cells.push(GridCell { value, format, look: 0 });
    }
    let in_yuan = data.first().is_some_and(|b| b & 1 == 1);
    let grid = list_of_figures(cells, in_yuan);
    let settings = Settings { show_info: true, ..Settings::default() };
    let checked = check_grids_alone(Path::new("figure.xlsx"), &[grid], &settings);
    let report = Report { files: vec![FileReport { path: PathBuf::from("figure.xlsx"), outcome: Ok(checked) }], settings };
    let _ = report.findings_table().to_json_value();
    let _ = report.projects_table().to_json_value();
    let _ = report.summary_table().to_json_value();
}

/// An 附件1 whose projects carry `cells` four by four (年初, 调整后, 实际, 比例), closed by a 合计
/// row that takes the last four.
pub fn list_of_figures(cells: Vec<GridCell>, in_yuan: bool) -> Grid {
    let text = |s: &str| GridCell { value: Value::Text(s.into()), format: None, look: 0 };
    let header = ["序号", "实施部室", "项目名称", "年初预算金额", "调整后预算金额", "实际支出金额", "预算支出比例"];
    let mut rows = vec![
        vec![text("附件1")],
        vec![text("项目支出绩效跟踪清单")],
        vec![GridCell::default(), GridCell::default(), GridCell::default(), GridCell::default(), GridCell::default(), GridCell::default(), text(if in_yuan { "单位：元" } else { "单位：万元" })],
        header.iter().map(|h| text(h)).collect(),
    ];
    let count = cells.len().div_ceil(4).max(1);
    let mut cells = cells.into_iter();
    for index in 0..count {
        let last = index + 1 == count && count > 1;
        let mut row = if last {
            vec![text("合计"), GridCell::default(), GridCell::default()]
        } else {
            vec![GridCell { value: Value::Number((index + 1) as f64), format: None, look: 0 }, text("办公室"), text(&format!("项目{}", index + 1))]
        };
        row.extend(cells.by_ref().take(4));
        rows.push(row);
    }
    Grid::new("表1", rows, Vec::new())
}

/// A figure typed as text reads back the same from its canonical spelling, its decimals as written.
fn text_figure(text: &str) {
    if let TextFigure::Number { value, decimals, percent } = parse_figure_text(text) {
        assert_eq!(value.scale(), decimals, "{text:?}: decimals written and the value's scale differ");
        let spelled = format!("{value}{}", if percent { "%" } else { "" });
        assert_eq!(
            parse_figure_text(&spelled),
            TextFigure::Number { value, decimals, percent },
            "{text:?} read as {value} ({decimals} decimals), which does not read back from {spelled:?}"
        );
    }
}

/// A stored float's decimal is the float, up to Excel's 15 significant digits, with its scale as
/// its decimals.
fn float_figure(number: f64) {
    let Some((value, decimals)) = decimal_from_f64(number) else {
        assert!(!number.is_finite() || number.abs() > 1e20 || number.abs() < 1e-20, "{number:e} was refused");
        return;
    };
    assert!(number.is_finite());
    assert_eq!(value.scale(), decimals, "{number:e}: decimals and scale differ");
    if (1e-6..1e15).contains(&number.abs()) {
        let back = value.to_f64().expect("a decimal as a float");
        assert!((back - number).abs() <= number.abs() * 1e-14, "{number:e} read as {value}");
    }
}

/// Target `indicator`: the first line an indicator's target (年度指标值), the rest its actual
/// (实际完成值); both read, measured against each other and described in both languages.
pub fn indicator(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (target_text, actual_text) = text.split_once('\n').unwrap_or((&text, ""));
    let target = indicator_value::parse(target_text);
    let actual = indicator_value::parse(actual_text);
    for value in [&target, &actual] {
        let _ = (value.kind().label(Lang::Zh), value.kind().label(Lang::En), value.is_quantified());
        quantity_reads_back(value);
    }
    for (a, b) in [(&target, &actual), (&actual, &target), (&target, &target)] {
        if let Verdict::NotComparable(reason) = indicator_value::compare(a, b) {
            assert!(!reason.message(Lang::Zh).is_empty() && !reason.message(Lang::En).is_empty());
        }
    }
}

/// A quantity written back as `{operator}{value}{unit}` (`≥95%`, `=12处`) reads as itself.
fn quantity_reads_back(value: &IndicatorValue) {
    let IndicatorValue::Quantity(quantity) = value else { return };
    let spelled = format!("{}{}{}", quantity.op.symbol(), quantity.value, quantity.unit.as_deref().unwrap_or(""));
    match indicator_value::parse(&spelled) {
        IndicatorValue::Quantity(again) => {
            assert_eq!(
                (again.op, again.value, again.unit.as_deref()),
                (quantity.op, quantity.value, quantity.unit.as_deref()),
                "{quantity:?} spelled {spelled:?} reads back differently"
            );
        }
        // `=2019年`, `≤30日` are dates when written alone; a count of years or days elsewhere (`使用年限2019年`),
        // per quarter too (`=2季度/季度`).
        IndicatorValue::Deadline(_)
            if matches!(quantity.unit.as_deref().and_then(|u| u.split('/').next()), Some("年" | "月" | "日" | "号" | "季度")) => {}
        other => panic!("{quantity:?} spelled {spelled:?} reads back as {other:?}"),
    }
}
