//! A neutral column table built once from the model, then exported as a polars frame, CSV, JSON or Parquet.

use std::io::Write;

use polars::prelude::*;
use rust_decimal::Decimal;

/// The values of one column.
#[derive(Debug, Clone, PartialEq)]
pub enum Values {
    Text(Vec<Option<String>>),
    Int(Vec<Option<i64>>),
    /// Exact money and ratios; exported as polars Decimal, never as floats.
    Decimal(Vec<Option<Decimal>>),
}

impl Values {
    fn len(&self) -> usize {
        match self {
            Values::Text(v) => v.len(),
            Values::Int(v) => v.len(),
            Values::Decimal(v) => v.len(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub values: Values,
}

/// Columns of equal length.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tabular {
    pub columns: Vec<Column>,
}

impl Tabular {
    pub fn push(&mut self, name: &str, values: Values) {
        self.columns.push(Column { name: name.to_string(), values });
    }

    pub fn height(&self) -> usize {
        self.columns.first().map_or(0, |c| c.values.len())
    }

    pub fn column(&self, name: &str) -> Option<&Values> {
        self.columns.iter().find(|c| c.name == name).map(|c| &c.values)
    }

    /// The cell as text, the way CSV shows it: decimals at their column's scale (`80.00` beside `405.81`),
    /// text that a spreadsheet would take for a formula neutralised.
    fn text(column: &Column, scale: u32, row: usize) -> Option<String> {
        match &column.values {
            Values::Text(v) => v[row].as_deref().map(|t| neutralised(t).into_owned()),
            Values::Int(v) => v[row].map(|n| n.to_string()),
            Values::Decimal(v) => v[row].map(|d| at_scale(d, scale).to_string()),
        }
    }

    /// Each column's decimal scale (0 for the others), worked out once per export.
    fn scales(&self) -> Vec<u32> {
        self.columns.iter().map(|c| if let Values::Decimal(v) = &c.values { column_scale(v) } else { 0 }).collect()
    }

    /// A polars frame; decimals as `Decimal(38, s)` with `s` the most decimals in the column (at least 2).
    pub fn to_polars(&self) -> PolarsResult<DataFrame> {
        let columns = self.columns.iter().map(polars_column).collect::<PolarsResult<Vec<_>>>()?;
        DataFrame::new(self.height(), columns)
    }

    /// CSV with a UTF-8 byte-order mark, so Excel shows the Chinese text; polars and pandas skip the mark.
    ///
    /// Safe to open in a spreadsheet (OWASP "CSV injection"): a text value that starts with
    /// `=` `+` `-` `@`, a tab or a carriage return — which Excel would run as a formula, a project
    /// named `=HYPERLINK(…)` or `+1+cmd|…` for one — is written with a leading `'`, unless it is a
    /// plain number (`-12.50`, which Excel reads as the number it is). Only text columns are
    /// touched; JSON and Parquet keep every value as it is (they are data, not sheets).
    pub fn write_csv(&self, out: &mut impl Write) -> std::io::Result<()> {
        out.write_all("\u{FEFF}".as_bytes())?;
        let names: Vec<String> = self.columns.iter().map(|c| csv_field(&c.name)).collect();
        writeln!(out, "{}", names.join(","))?;
        let scales = self.scales();
        for row in 0..self.height() {
            let fields: Vec<String> = self
                .columns
                .iter()
                .zip(&scales)
                .map(|(c, scale)| Tabular::text(c, *scale, row).map(|t| csv_field(&t)).unwrap_or_default())
                .collect();
            writeln!(out, "{}", fields.join(","))?;
        }
        Ok(())
    }

    /// A JSON array of objects; decimals are written as exact JSON numbers (`405.81`, never `405.8100000001`).
    pub fn to_json_value(&self) -> serde_json::Value {
        serde_json::to_value(self.json_rows()).unwrap_or_default()
    }

    /// The JSON array of [`Tabular::to_json_value`], made row by row as it is written: a report of
    /// many findings is then never held as a tree of JSON values.
    pub fn json_rows(&self) -> JsonRows<'_> {
        JsonRows { table: self, scales: self.scales() }
    }

    pub fn write_parquet(&self, out: impl Write) -> PolarsResult<()> {
        let mut frame = self.to_polars()?;
        ParquetWriter::new(out).finish(&mut frame)?;
        Ok(())
    }
}

/// See [`Tabular::json_rows`].
pub struct JsonRows<'a> {
    table: &'a Tabular,
    scales: Vec<u32>,
}

impl serde::Serialize for JsonRows<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut rows = serializer.serialize_seq(Some(self.table.height()))?;
        for row in 0..self.table.height() {
            rows.serialize_element(&JsonRow { rows: self, row })?;
        }
        rows.end()
    }
}

struct JsonRow<'a> {
    rows: &'a JsonRows<'a>,
    row: usize,
}

impl serde::Serialize for JsonRow<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let columns = &self.rows.table.columns;
        let mut object = serializer.serialize_map(Some(columns.len()))?;
        for (column, scale) in columns.iter().zip(&self.rows.scales) {
            object.serialize_entry(&column.name, &json_cell(&column.values, *scale, self.row))?;
        }
        object.end()
    }
}

fn polars_column(column: &Column) -> PolarsResult<polars::prelude::Column> {
    let name = PlSmallStr::from(column.name.as_str());
    let series = match &column.values {
        Values::Text(v) => Series::new(name, v.iter().map(|t| t.as_deref()).collect::<Vec<_>>()),
        Values::Int(v) => Series::new(name, v.as_slice()),
        Values::Decimal(v) => decimal_series(name, v)?,
    };
    Ok(series.into_column())
}

/// The most decimals in the column, at least 2, as far as the 38 digits of a polars Decimal leave
/// room beside its widest integer part (float noise such as 5.55e-17 is rounded away): the scale of
/// its polars Decimal, CSV and JSON.
fn column_scale(values: &[Option<Decimal>]) -> u32 {
    let decimals = values.iter().flatten().map(|d| d.normalize().scale()).max().unwrap_or(0).max(2);
    let integer_digits = values.iter().flatten().map(|d| integer_digits(*d)).max().unwrap_or(1);
    decimals.min(POLARS_DECIMAL_PRECISION.saturating_sub(integer_digits))
}

const POLARS_DECIMAL_PRECISION: u32 = 38;

fn integer_digits(d: Decimal) -> u32 {
    d.trunc().mantissa().unsigned_abs().checked_ilog10().map_or(1, |log| log + 1)
}

pub(crate) fn at_scale(d: Decimal, scale: u32) -> Decimal {
    let mut d = d.normalize();
    d.rescale(scale);
    d
}

fn decimal_series(name: PlSmallStr, values: &[Option<Decimal>]) -> PolarsResult<Series> {
    let scale = column_scale(values);
    let mantissas = values.iter().map(|v| v.map(|d| mantissa_at_scale(d, scale)));
    let ints = Int128Chunked::from_iter_options(name, mantissas);
    Ok(ints.into_decimal(38, scale as usize)?.into_series())
}

/// The integer `d × 10^scale`: exact unless [`column_scale`] had to round the column.
fn mantissa_at_scale(d: Decimal, scale: u32) -> i128 {
    let d = d.round_dp(scale).normalize();
    d.mantissa() * 10i128.pow(scale.saturating_sub(d.scale()))
}

/// `=1+1` → `'=1+1`; `-12.50` and ordinary text as they are.
pub(crate) fn neutralised(text: &str) -> std::borrow::Cow<'_, str> {
    match text.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !is_plain_number(text) => {
            std::borrow::Cow::Owned(format!("'{text}"))
        }
        _ => std::borrow::Cow::Borrowed(text),
    }
}

/// A number as a spreadsheet reads it and nothing more: a sign, digits (thousands grouped with
/// commas or not), a decimal part, a per cent sign; `-12.50`, `+3`, `-1,234.5`, `-5%`.
fn is_plain_number(text: &str) -> bool {
    let body = text.strip_prefix(['+', '-']).unwrap_or(text);
    let body = body.strip_suffix('%').unwrap_or(body);
    let (whole, fraction) = body.split_once('.').unwrap_or((body, ""));
    let digits = whole.chars().filter(char::is_ascii_digit).count() + fraction.len();
    digits > 0
        && whole.chars().all(|c| c.is_ascii_digit() || c == ',')
        && !whole.starts_with(',')
        && fraction.chars().all(|c| c.is_ascii_digit())
}

pub(crate) fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

fn json_cell(values: &Values, scale: u32, row: usize) -> serde_json::Value {
    match values {
        Values::Text(v) => v[row].clone().map_or(serde_json::Value::Null, serde_json::Value::String),
        Values::Int(v) => v[row].map_or(serde_json::Value::Null, serde_json::Value::from),
        Values::Decimal(v) => v[row].map_or(serde_json::Value::Null, |d| exact_json_number(at_scale(d, scale))),
    }
}

/// serde_json keeps numbers as f64 unless told otherwise; going through the exact text keeps every digit.
fn exact_json_number(d: Decimal) -> serde_json::Value {
    let text = d.to_string();
    serde_json::from_str::<serde_json::Number>(&text).map_or(serde_json::Value::String(text), serde_json::Value::Number)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn sample() -> Tabular {
        let mut t = Tabular::default();
        t.push("project", Values::Text(vec![Some("社区经费, 其一".into()), None]));
        t.push("row", Values::Int(vec![Some(5), Some(6)]));
        t.push(
            "actual",
            Values::Decimal(vec![Some(Decimal::from_str("405.81").unwrap()), Some(Decimal::from_str("80").unwrap())]),
        );
        t
    }

    #[test]
    fn frames_keep_money_exact_as_decimal() {
        let frame = sample().to_polars().unwrap();
        assert_eq!(frame.column("actual").unwrap().dtype(), &DataType::Decimal(38, 2));
        assert_eq!(frame.height(), 2);
    }

    #[test]
    fn a_column_of_huge_and_tiny_values_fits_a_polars_decimal() {
        let d = |s: &str| Some(Decimal::from_str(s).unwrap());
        let values = vec![d("999999999999999.99"), d("0.0000000000000000000000000555")];
        assert_eq!(column_scale(&values), 23);
        let series = decimal_series("v".into(), &values).unwrap();
        assert_eq!(series.dtype(), &DataType::Decimal(38, 23));
        let exact = Decimal::from_str("999999999999999.99").unwrap();
        assert_eq!(mantissa_at_scale(exact, 23), 99_999_999_999_999_999i128 * 10i128.pow(21));
        assert_eq!(mantissa_at_scale(values[1].unwrap(), 23), 0);
    }

    #[test]
    fn csv_quotes_and_marks_utf8() {
        let mut out = Vec::new();
        sample().write_csv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(text, "\u{FEFF}project,row,actual\n\"社区经费, 其一\",5,405.81\n,6,80.00\n");
    }

    #[test]
    fn csv_neutralises_what_a_spreadsheet_would_run() {
        let texts = [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+1+cmd|' /C calc'!A0",
            "@SUM(1)",
            "-12.50",
            "-2+3",
            "\t=1",
            "\r=1",
            "+3",
            "-1,234.50",
            "-5%",
            "-",
            "社区经费",
            "a=b",
        ];
        let mut t = Tabular::default();
        t.push("text", Values::Text(texts.iter().map(|s| Some(s.to_string())).collect()));
        t.push("amount", Values::Decimal(texts.iter().map(|_| Some(Decimal::from_str("-12.5").unwrap())).collect()));
        let mut out = Vec::new();
        t.write_csv(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.trim_start_matches('\u{FEFF}').split('\n').collect();
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\",-12.50");
        assert_eq!(lines[2], "'+1+cmd|' /C calc'!A0,-12.50");
        assert_eq!(lines[3], "'@SUM(1),-12.50");
        assert_eq!(lines[4], "-12.50,-12.50", "a negative figure in a text column stays a number");
        assert_eq!(lines[5], "'-2+3,-12.50");
        assert_eq!(lines[6], "'\t=1,-12.50");
        assert_eq!(lines[7], "\"'\r=1\",-12.50");
        assert_eq!(lines[8], "+3,-12.50");
        assert_eq!(lines[9], "\"-1,234.50\",-12.50");
        assert_eq!(lines[10], "-5%,-12.50");
        assert_eq!(lines[11], "'-,-12.50");
        assert_eq!(lines[12], "社区经费,-12.50");
        assert_eq!(lines[13], "a=b,-12.50");
        // JSON keeps the data as it is.
        let json = t.to_json_value();
        assert_eq!(json[0]["text"], "=HYPERLINK(\"http://x\",\"y\")");
        assert_eq!(json[1]["text"], "+1+cmd|' /C calc'!A0");
    }

    #[test]
    fn json_numbers_are_exact() {
        let json = sample().to_json_value().to_string();
        assert_eq!(
            json,
            r#"[{"project":"社区经费, 其一","row":5,"actual":405.81},{"project":null,"row":6,"actual":80.00}]"#
        );
    }
}
