//! The rounding model (FORMATS.md §4): a shown figure stands for an interval; aggregates are
//! recomputed on intervals, and a stated figure contradicts its inputs only when the intervals miss.

use rust_decimal::{Decimal, RoundingStrategy};

use crate::model::Figure;

/// A closed interval of true values. Closed rather than half-open so that a value exactly on a
/// rounding boundary (19.985 / 25.00 = 79.94 %) is never reported as an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interval {
    pub lo: Decimal,
    pub hi: Decimal,
}

impl Interval {
    pub fn point(value: Decimal) -> Interval {
        Interval { lo: value, hi: value }
    }

    /// What a figure shown with `decimals` decimals may truly be: value ± half a unit of its last place.
    pub fn shown(value: Decimal, decimals: Option<u32>) -> Interval {
        match decimals {
            None => Interval::point(value),
            Some(d) => {
                let half = half_unit(d);
                Interval { lo: value - half, hi: value + half }
            }
        }
    }

    /// The interval of what the sheet shows (the stored value rounded to its shown decimals).
    pub fn of(figure: &Figure) -> Interval {
        Interval::shown(round_shown(figure.value, figure.decimals()), figure.decimals())
    }

    /// What the sum of shown figures may truly be: the sum of the shown values, widened by each
    /// one's half unit. Shown values and half units are summed apart, each at one scale, which
    /// spares rust_decimal rescaling every term of a long column.
    pub fn sum_of<'a>(figures: impl IntoIterator<Item = &'a Figure, IntoIter: Clone>) -> Interval {
        let figures = figures.into_iter();
        let shown: Decimal = figures.clone().map(|f| round_shown(f.value, f.decimals())).sum();
        let spread: Decimal = figures.filter_map(|f| f.decimals()).map(half_unit).sum();
        Interval { lo: shown - spread, hi: shown + spread }
    }

    /// `self ÷ divisor × 100`, or `None` when the divisor may be zero (the ratio is then unbounded).
    pub fn percent_of(self, divisor: Interval) -> Option<Interval> {
        if divisor.lo <= Decimal::ZERO && divisor.hi >= Decimal::ZERO {
            return None;
        }
        // The quotient grows with the dividend when the divisor is positive and shrinks when it is
        // negative; for a fixed dividend it moves against the divisor when the dividend is positive
        // and with it when negative. So each bound is one corner, and two divisions do.
        let positive = divisor.lo > Decimal::ZERO;
        let (lo_dividend, hi_dividend) = if positive { (self.lo, self.hi) } else { (self.hi, self.lo) };
        let lo_divisor = |x: Decimal| if x.is_sign_negative() { divisor.lo } else { divisor.hi };
        let hi_divisor = |x: Decimal| if x.is_sign_negative() { divisor.hi } else { divisor.lo };
        // A divisor near zero leaves the ratio unbounded in rust_decimal's terms as well.
        let lo = percent(lo_dividend, lo_divisor(lo_dividend))?;
        let hi = percent(hi_dividend, hi_divisor(hi_dividend))?;
        Some(Interval { lo, hi })
    }

    pub fn meets(self, other: Interval) -> bool {
        self.lo <= other.hi && other.lo <= self.hi
    }
}

/// How far independent roundings plausibly move a sum of shown figures (FORMATS.md §4): each one's
/// error is uniform on ±half a unit, so its variance is (half unit)² / 3 and the sum's is their sum.
/// Returns three times that variance, so no division is needed.
pub fn rounding_variance_x3<'a>(figures: impl IntoIterator<Item = &'a Figure>) -> Decimal {
    let mut by_decimals = [0u64; 29];
    for decimals in figures.into_iter().filter_map(|f| f.decimals) {
        by_decimals[decimals.min(28) as usize] += 1;
    }
    by_decimals
        .iter()
        .enumerate()
        .filter(|(_, count)| **count > 0)
        .map(|(decimals, count)| {
            let half = half_unit(decimals as u32);
            half.checked_mul(half).and_then(|sq| sq.checked_mul(Decimal::from(*count))).unwrap_or(Decimal::ZERO)
        })
        .sum()
}

/// The square root, by Newton's method in exact decimals (for the standard deviations A007 quotes).
pub fn sqrt(value: Decimal) -> Decimal {
    if value <= Decimal::ZERO {
        return Decimal::ZERO;
    }
    let mut guess = if value > Decimal::ONE { value / Decimal::TWO } else { Decimal::ONE };
    for _ in 0..60 {
        let Some(next) = value.checked_div(guess).map(|q| (guess + q) / Decimal::TWO) else { break };
        if next == guess {
            break;
        }
        guess = next;
    }
    guess
}

/// `dividend ÷ divisor × 100`; `None` for a zero divisor or a quotient beyond rust_decimal's range.
pub fn percent(dividend: Decimal, divisor: Decimal) -> Option<Decimal> {
    dividend.checked_div(divisor)?.checked_mul(Decimal::ONE_HUNDRED)
}

/// Half a unit of the last shown place: 0.005 for two decimals. Past rust_decimal's 28 decimals,
/// the smallest unit it has (a slightly wider, so never stricter, interval).
fn half_unit(decimals: u32) -> Decimal {
    Decimal::try_new(5, decimals + 1).unwrap_or(Decimal::new(1, Decimal::MAX_SCALE))
}

/// The value as the sheet would show it with `decimals` decimals (half away from zero, as Excel rounds).
/// Past rust_decimal's 28 decimals (a 元 figure typed with 28 is 32 in 万元), 28: `rescale` past them
/// would make a decimal that panics when printed.
pub fn round_shown(value: Decimal, decimals: Option<u32>) -> Decimal {
    match decimals.map(|d| d.min(Decimal::MAX_SCALE)) {
        None => value,
        // Most figures are stored with the decimals they show.
        Some(d) if value.scale() == d => value,
        Some(d) => {
            let mut rounded = value.round_dp_with_strategy(d, RoundingStrategy::MidpointAwayFromZero);
            rounded.rescale(d);
            rounded
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    fn shown(s: &str) -> Interval {
        let decimals = s.split_once('.').map(|(_, f)| f.len() as u32).unwrap_or(0);
        Interval::shown(d(s), Some(decimals))
    }

    /// FORMATS.md §4: 19.98 / 25.00 shows 79.94 % where the points give 79.92 %: consistent.
    #[test]
    fn a_rounded_input_can_explain_a_ratio_off_the_point_value() {
        let ratio = shown("19.98").percent_of(shown("25.00")).unwrap();
        assert!(ratio.meets(shown("79.94")));
        assert_eq!(round_shown(d("19.98") / d("25.00") * d("100"), Some(2)), d("79.92"));
    }

    /// FORMATS.md §4: 266.47 / 270.00 shows 100.00 % where every value of the intervals gives 98.69 %.
    #[test]
    fn no_rounding_explains_a_ratio_far_off() {
        let ratio = shown("266.47").percent_of(shown("270.00")).unwrap();
        assert!(!ratio.meets(shown("100.00")));
        assert!(ratio.meets(shown("98.69")));
    }

    #[test]
    fn sums_widen_by_half_a_unit_per_term() {
        let figure = |s: &str| Figure { value: d(s), decimals: Some(2), cell: crate::model::CellRef::new(0, 0), as_text: false, in_yuan: false };
        let mut terms = ["405.81", "80.00", "103.97", "174.20", "110.00", "537.67"].map(figure).to_vec();
        // Stored with more decimals than shown: the shown value is what is summed.
        terms.push(Figure { value: d("0.004"), ..figure("0") });
        let total = Interval::sum_of(&terms);
        assert_eq!(total.lo, d("1411.615"));
        assert_eq!(total.hi, d("1411.685"));
        assert!(total.meets(shown("1411.64")));
        assert!(!total.meets(shown("1411.70")));
    }

    #[test]
    fn percent_bounds_are_the_extreme_corners_for_every_sign() {
        let values = ["-3.5", "-0.2", "0", "0.4", "7.25"].map(d);
        for (a, b) in values.iter().flat_map(|a| values.iter().map(move |b| (*a, *b))).filter(|(a, b)| a <= b) {
            for (p, q) in values.iter().flat_map(|p| values.iter().map(move |q| (*p, *q))).filter(|(p, q)| p <= q) {
                let (dividend, divisor) = (Interval { lo: a, hi: b }, Interval { lo: p, hi: q });
                let Some(ratio) = dividend.percent_of(divisor) else {
                    assert!(p <= Decimal::ZERO && q >= Decimal::ZERO);
                    continue;
                };
                let corners = [a / p, a / q, b / p, b / q].map(|c| c * Decimal::ONE_HUNDRED);
                assert_eq!(ratio.lo, corners.iter().copied().min().unwrap(), "{dividend:?} / {divisor:?}");
                assert_eq!(ratio.hi, corners.iter().copied().max().unwrap(), "{dividend:?} / {divisor:?}");
            }
        }
    }

    #[test]
    fn a_divisor_that_may_be_zero_bounds_nothing() {
        assert_eq!(shown("1.00").percent_of(shown("0.00")), None);
        assert_eq!(shown("1.00").percent_of(Interval::point(Decimal::ZERO)), None);
    }

    #[test]
    fn rounding_spread_of_long_sums() {
        let figure = |decimals| Figure { value: Decimal::ONE, decimals: Some(decimals), cell: crate::model::CellRef::new(0, 0), as_text: false, in_yuan: false };
        let figures: Vec<Figure> = (0..100_000).map(|_| figure(2)).collect();
        // 100,000 figures at 0.01: 3σ² = 100,000 × 0.005² = 2.5, σ = 0.91.
        assert_eq!(rounding_variance_x3(&figures), d("2.5"));
        assert_eq!(sqrt(d("2.5") / d("3")).round_dp(4), d("0.9129"));
        assert_eq!(sqrt(d("16")), d("4"));
        assert_eq!(sqrt(Decimal::ZERO), Decimal::ZERO);
    }

    #[test]
    fn shown_rounding_is_half_away_from_zero_and_padded() {
        assert_eq!(round_shown(d("98.685"), Some(2)).to_string(), "98.69");
        assert_eq!(round_shown(d("80"), Some(2)).to_string(), "80.00");
        assert_eq!(round_shown(d("-0.125"), Some(2)).to_string(), "-0.13");
    }

    /// Found by fuzzing (tests/fuzz_regressions/figure/crash-decimals-past-28.txt): a 元 column whose
    /// precision is 28 decimals gives its figures 32 in 万元; shown with them, 0.0050 printed 33 characters
    /// into rust_decimal's 32-character buffer and panicked.
    #[test]
    fn shown_with_more_decimals_than_a_decimal_holds_stops_at_28() {
        let shown = round_shown(d("0.0050"), Some(32));
        assert_eq!(shown.scale(), 28);
        assert_eq!(shown.to_string(), "0.0050000000000000000000000000");
        let big = round_shown(d("-1144.63"), Some(40));
        assert!(big.scale() <= 28);
        assert_eq!(d(&big.to_string()), d("-1144.63"));
    }
}
