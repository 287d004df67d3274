//! End to end in Rust: a real .xlsx written with rust_xlsxwriter, read and checked by the library.

use std::path::PathBuf;
use std::str::FromStr;

use budgetlint::check::check_workbook;
use budgetlint::settings::Settings;
use budgetlint::{read_workbook, read_workbook_strict, Error, Field, RowKind};
use rust_decimal::Decimal;
use rust_xlsxwriter::{Format, Workbook};

fn temp_path(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("budgetlint-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// 表5 of the seed report under a two-row header, the department merged down and one total as text.
fn write_table5(path: &PathBuf) {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("表5").unwrap();
    let amount = Format::new().set_num_format("0.00");
    let percent = Format::new().set_num_format("0.00%");
    let plain = Format::new();
    sheet.merge_range(0, 0, 0, 6, "表5  民生保障办公室重点跟踪项目全年预算执行情况表", &plain).unwrap();
    sheet.write_string(1, 6, "单位：万元").unwrap();
    for (col, text) in [(0u16, "序号"), (1, "实施部室"), (2, "项目名称"), (5, "项目支出金额"), (6, "预算完成比例")] {
        sheet.merge_range(2, col, 3, col, text, &plain).unwrap();
    }
    sheet.merge_range(2, 3, 2, 4, "项目预算金额", &plain).unwrap();
    sheet.write_string(3, 3, "年初").unwrap();
    sheet.write_string(3, 4, "调整后").unwrap();
    let rows = [
        ("残疾人两项补贴", 380.00, 270.00, 266.47, 1.0),
        ("残疾人职业康复劳动项目", 98.41, 73.91, 73.64, 1.0),
        ("残联温馨家园", 91.00, 45.19, 45.17, 1.0),
        ("成立困难群众救助服务所（购买服务）", 54.00, 51.52, 51.52, 0.8446),
        ("民政代管地方离退休人员工资", 1262.50, 1172.50, 1144.63, 1.0),
        ("在乡及伤残人员全年经费", 230.00, 0.00, 0.00, 0.0),
    ];
    sheet.merge_range(4, 1, 9, 1, "民生保障\n办公室", &plain).unwrap();
    for (i, (name, initial, adjusted, actual, ratio)) in rows.iter().enumerate() {
        let row = 4 + i as u32;
        sheet.write_number(row, 0, (i + 1) as f64).unwrap();
        sheet.write_string(row, 2, *name).unwrap();
        sheet.write_number_with_format(row, 3, *initial, &amount).unwrap();
        sheet.write_number_with_format(row, 4, *adjusted, &amount).unwrap();
        sheet.write_number_with_format(row, 5, *actual, &amount).unwrap();
        sheet.write_number_with_format(row, 6, *ratio, &percent).unwrap();
    }
    sheet.write_string(10, 0, "合计").unwrap();
    sheet.write_string(10, 3, "2,115.91").unwrap();
    sheet.write_number_with_format(10, 4, 1613.11, &amount).unwrap();
    sheet.write_number_with_format(10, 5, 1581.43, &amount).unwrap();
    sheet.write_number_with_format(10, 6, 0.9804, &percent).unwrap();
    sheet.write_string(12, 0, "填报人：张三").unwrap();
    book.save(path).unwrap();
}

#[test]
fn a_real_xlsx_is_read_into_exact_typed_rows() {
    let path = temp_path("table5.xlsx");
    write_table5(&path);
    let workbook = read_workbook_strict(&path).unwrap();
    assert_eq!(workbook.tables.len(), 1);
    let table = &workbook.tables[0];
    assert_eq!(table.header_rows, (2, 3));
    assert_eq!(table.label(), "表5");
    let kinds: Vec<RowKind> = table.rows.iter().map(|r| r.kind).collect();
    assert_eq!(kinds, [vec![RowKind::Project; 6], vec![RowKind::Total]].concat());
    assert!(table.projects().all(|r| r.department.as_deref() == Some("民生保障办公室")));
    let total = table.rows.last().unwrap();
    let initial = total.budget_initial.figure().unwrap();
    assert_eq!((initial.value, initial.decimals, initial.as_text), (Decimal::from_str("2115.91").unwrap(), Some(2), true));
    assert_eq!(initial.cell.to_string(), "D11");
    let ratio = table.rows[3].ratio.figure().unwrap();
    assert_eq!((ratio.value, ratio.decimals), (Decimal::from_str("84.46").unwrap(), Some(2)));
}

#[test]
fn a_real_xlsx_is_checked_with_the_seed_errors_found() {
    let path = temp_path("table5-check.xlsx");
    write_table5(&path);
    let workbook = read_workbook(&path).unwrap();
    let shown_info = Settings { show_info: true, ..Settings::default() };
    let findings = check_workbook(&workbook, &shown_info).findings;
    let mut errors: Vec<String> = findings
        .iter()
        .filter(|f| f.severity == budgetlint::check::catalog::Severity::Error)
        .map(|f| format!("{} {}", f.rule, f.cell.unwrap()))
        .collect();
    errors.sort();
    assert_eq!(errors, ["A001 G5", "A001 G6", "A001 G7", "A001 G8", "A001 G9"]);
    assert!(findings.iter().any(|f| f.rule == "A004" && f.cell.unwrap().to_string() == "G10"));
    assert!(findings.iter().any(|f| f.rule == "V004" && f.cell.unwrap().to_string() == "D11"));
    // Hidden by default: counted, not kept.
    let infos = findings.iter().filter(|f| f.severity == budgetlint::check::catalog::Severity::Info).count();
    let by_default = check_workbook(&workbook, &Settings::default());
    assert!(infos >= 2);
    assert_eq!(by_default.hidden, infos);
    assert_eq!(by_default.findings.len(), findings.len() - infos);
}

#[test]
fn a_figure_that_is_not_a_number_names_its_cell() {
    let path = temp_path("bad-figure.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet().set_name("附件1").unwrap();
    for (col, text) in ["项目名称", "调整后预算金额", "实际支出金额", "预算支出比例"].iter().enumerate() {
        sheet.write_string(0, col as u16, *text).unwrap();
    }
    sheet.write_string(1, 0, "宣传经费").unwrap();
    sheet.write_number(1, 1, 110.40).unwrap();
    sheet.write_string(1, 2, "约67").unwrap();
    book.save(&path).unwrap();
    match read_workbook_strict(&path) {
        Err(Error::InvalidFigure { sheet, cell, text, .. }) => {
            assert_eq!((sheet.as_str(), cell.to_string().as_str(), text.as_str()), ("附件1", "C2", "约67"));
        }
        other => panic!("expected InvalidFigure, got {other:?}"),
    }
    let lenient = read_workbook(&path).unwrap();
    assert!(matches!(lenient.tables[0].rows[0].actual, Field::Invalid { .. }));
}

#[test]
fn the_annotated_copy_reads_back_with_calamine() {
    use budgetlint::report::{check_file, Previews};
    use calamine::{open_workbook_auto, Data, Reader};

    let input = temp_path("table5-annotate.xlsx");
    write_table5(&input);
    let settings = Settings::default();
    let report = check_file(&input, &settings, Previews::Skip);
    let checked = report.outcome.as_ref().unwrap();
    let output = temp_path("table5-annotate.checked.xlsx");
    budgetlint::write::annotate_file(&input, checked, &settings, &output, std::slice::from_ref(&input)).unwrap();

    let mut book = open_workbook_auto(&output).unwrap();
    assert_eq!(book.sheet_names(), ["检查结果", "表5", "重算汇总"]);
    let copy = book.worksheet_range("表5").unwrap();
    assert_eq!(copy.get_value((4, 2)), Some(&Data::String("残疾人两项补贴".into())));
    assert_eq!(copy.get_value((4, 5)), Some(&Data::Float(266.47)));
    let results = book.worksheet_range("检查结果").unwrap();
    let listed: Vec<String> = results.rows().filter_map(|r| r.get(2).map(|c| c.to_string())).filter(|c| c.starts_with('G')).collect();
    assert_eq!(listed, ["G5", "G6", "G7", "G8", "G9"]);
    let rollup = book.worksheet_range("重算汇总").unwrap();
    assert_eq!(rollup.get_value((1, 1)), Some(&Data::String("民生保障办公室".into())));
    assert_eq!(rollup.get_value((1, 4)), Some(&Data::Float(1613.12)));
    assert!(budgetlint::write::annotate_file(&input, checked, &settings, &input, std::slice::from_ref(&input)).is_err());
}
