//! Text as units write it: full-width forms, stray spaces and line breaks, numbers typed as text.

use std::borrow::Cow;
use std::str::FromStr;

use rust_decimal::Decimal;

/// Full-width ASCII (`１２３．４５`, `（`) to half-width; the ideographic space to a space.
pub fn to_half_width(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// The text with every space, line break and zero-width mark removed and full-width forms folded,
/// so `城市管理\n办公室` equals `城市管理办公室` and `合 计` equals `合计`.
/// Borrows the text when it is already squashed, as most labels are.
pub fn squash(text: &str) -> Cow<'_, str> {
    let kept = |c: &char| !c.is_whitespace() && !matches!(c, '\u{200B}' | '\u{200C}' | '\u{200D}' | '\u{FEFF}');
    if text.chars().all(|c| kept(&c) && to_half_width(c) == c) {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(to_half_width).filter(kept).collect())
}

/// A figure typed as text, as far as its text tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextFigure {
    Blank,
    /// `—`, `-`, `－`: written for zero.
    Dash,
    Number { value: Decimal, decimals: u32, percent: bool },
    NotANumber,
}

const DASHES: &[&str] = &["-", "—", "——", "–", "－", "−", "─"];

/// Reads `"1,411.64"`, `"405.81 "`, `"４０５．８１"`, `"   99.20%"`, `"—"`.
pub fn parse_figure_text(text: &str) -> TextFigure {
    let cleaned: String = text
        .chars()
        .map(to_half_width)
        .filter(|c| !c.is_whitespace() && *c != ',' && *c != '，')
        .collect();
    if cleaned.is_empty() {
        return TextFigure::Blank;
    }
    if DASHES.contains(&cleaned.as_str()) {
        return TextFigure::Dash;
    }
    let (number, percent) = match cleaned.strip_suffix('%') {
        Some(rest) => (rest, true),
        None => (cleaned.as_str(), false),
    };
    if !is_plain_decimal(number) {
        return TextFigure::NotANumber;
    }
    match Decimal::from_str_exact(number) {
        Ok(value) => TextFigure::Number { value, decimals: decimals_written(number), percent },
        Err(_) => TextFigure::NotANumber,
    }
}

/// `-12.50`, `+3`, `.5`; no exponents, no letters.
fn is_plain_decimal(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    let mut seen_digit = false;
    let mut seen_point = false;
    for c in digits.chars() {
        match c {
            '0'..='9' => seen_digit = true,
            '.' if !seen_point => seen_point = true,
            _ => return false,
        }
    }
    seen_digit
}

fn decimals_written(number: &str) -> u32 {
    number.split_once('.').map_or(0, |(_, fraction)| fraction.len() as u32)
}

/// Excel keeps and shows at most 15 significant digits of a number.
const EXCEL_SIGNIFICANT_DIGITS: u32 = 15;

/// A float read from the file, as its shortest decimal form (`405.81`, not `405.81000000000000227`)
/// cut to Excel's 15 significant digits (`=0.1+0.2` is 0.3, as Excel shows it), with its decimals.
pub fn decimal_from_f64(value: f64) -> Option<(Decimal, u32)> {
    if !value.is_finite() {
        return None;
    }
    if let Some(found) = few_decimals(value) {
        return Some(found);
    }
    let shortest = Decimal::from_str(&format!("{value}")).ok()?;
    let decimal = shortest.round_sf(EXCEL_SIGNIFICANT_DIGITS).unwrap_or(shortest).normalize();
    Some((decimal, decimal.scale()))
}

/// Money is almost always a whole number of fen: find the fewest decimals (up to 4) whose integer
/// reads back as the very same float, without going through text. Such a form is the shortest.
fn few_decimals(value: f64) -> Option<(Decimal, u32)> {
    const LIMIT: f64 = 1e14;
    let mut scale = 1.0;
    for decimals in 0..=4u32 {
        let scaled = value * scale;
        if scaled.abs() >= LIMIT {
            return None;
        }
        let integer = scaled.round();
        if integer / scale == value {
            return Some((Decimal::new(integer as i64, decimals), decimals));
        }
        scale *= 10.0;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(value: &str, decimals: u32, percent: bool) -> TextFigure {
        TextFigure::Number { value: Decimal::from_str(value).unwrap(), decimals, percent }
    }

    #[test]
    fn squash_joins_broken_names_and_spaced_totals() {
        assert_eq!(squash("城市管理\n办公室"), "城市管理办公室");
        assert_eq!(squash("综合\n\n办公室"), "综合办公室");
        assert_eq!(squash("合 计"), "合计");
        assert_eq!(squash("实际支出金额（万元）"), "实际支出金额(万元)");
        assert_eq!(squash("\u{3000}调整后\r\n预算金额 "), "调整后预算金额");
    }

    #[test]
    fn text_figures_in_the_forms_units_write() {
        assert_eq!(parse_figure_text("1,411.64"), number("1411.64", 2, false));
        assert_eq!(parse_figure_text("405.81 "), number("405.81", 2, false));
        assert_eq!(parse_figure_text("４０５．８１"), number("405.81", 2, false));
        assert_eq!(parse_figure_text("   99.20%"), number("99.20", 2, true));
        assert_eq!(parse_figure_text("98.96％"), number("98.96", 2, true));
        assert_eq!(parse_figure_text("-12.5"), number("-12.5", 1, false));
        assert_eq!(parse_figure_text("80"), number("80", 0, false));
        for dash in ["—", "-", "－", " — "] {
            assert_eq!(parse_figure_text(dash), TextFigure::Dash, "{dash:?}");
        }
        assert_eq!(parse_figure_text("  "), TextFigure::Blank);
        for junk in ["约300", "#DIV/0!", "1.2.3", "12万", "%", "1e5"] {
            assert_eq!(parse_figure_text(junk), TextFigure::NotANumber, "{junk:?}");
        }
    }

    #[test]
    #[allow(clippy::excessive_precision)] // the literal is the float's exact decimal expansion, on purpose
    fn floats_read_through_their_shortest_form() {
        let (value, decimals) = decimal_from_f64(405.81000000000000227).unwrap();
        assert_eq!(value.to_string(), "405.81");
        assert_eq!(decimals, 2);
        assert_eq!(decimal_from_f64(0.1 + 0.2).unwrap(), (Decimal::from_str("0.3").unwrap(), 1));
        assert_eq!(decimal_from_f64(98.16 / 100.0).unwrap().0.to_string(), "0.9816");
        assert_eq!(decimal_from_f64(80.0).unwrap(), (Decimal::from(80), 0));
        assert!(decimal_from_f64(f64::NAN).is_none());
        assert_eq!(decimal_from_f64(-1144.63).unwrap().0.to_string(), "-1144.63");
        assert_eq!(decimal_from_f64(0.9896).unwrap(), (Decimal::from_str("0.9896").unwrap(), 4));
        assert_eq!(decimal_from_f64(1e20).unwrap().0, Decimal::from_str("100000000000000000000").unwrap());
        assert_eq!(decimal_from_f64(0.123456789).unwrap().1, 9);
    }
}
