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
                let half = Decimal::new(5, d + 1);
                Interval { lo: value - half, hi: value + half }
            }
        }
    }

    /// The interval of what the sheet shows (the stored value rounded to its shown decimals).
    pub fn of(figure: &Figure) -> Interval {
        Interval::shown(round_shown(figure.value, figure.decimals), figure.decimals)
    }

    pub fn add(self, other: Interval) -> Interval {
        Interval { lo: self.lo + other.lo, hi: self.hi + other.hi }
    }

    pub fn sum(items: impl IntoIterator<Item = Interval>) -> Interval {
        items.into_iter().fold(Interval::point(Decimal::ZERO), Interval::add)
    }

    /// `self ÷ divisor × 100`, or `None` when the divisor may be zero (the ratio is then unbounded).
    pub fn percent_of(self, divisor: Interval) -> Option<Interval> {
        if divisor.lo <= Decimal::ZERO && divisor.hi >= Decimal::ZERO {
            return None;
        }
        let corners = [self.lo / divisor.lo, self.lo / divisor.hi, self.hi / divisor.lo, self.hi / divisor.hi];
        let lo = corners.iter().copied().min()?;
        let hi = corners.iter().copied().max()?;
        Some(Interval { lo: lo * Decimal::ONE_HUNDRED, hi: hi * Decimal::ONE_HUNDRED })
    }

    pub fn meets(self, other: Interval) -> bool {
        self.lo <= other.hi && other.lo <= self.hi
    }
}

/// The value as the sheet would show it with `decimals` decimals (half away from zero, as Excel rounds).
pub fn round_shown(value: Decimal, decimals: Option<u32>) -> Decimal {
    match decimals {
        None => value,
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
        let terms = ["405.81", "80.00", "103.97", "174.20", "110.00", "537.67"].map(shown);
        let total = Interval::sum(terms);
        assert_eq!(total.lo, d("1411.620"));
        assert_eq!(total.hi, d("1411.680"));
        assert!(total.meets(shown("1411.64")));
        assert!(!total.meets(shown("1411.70")));
    }

    #[test]
    fn a_divisor_that_may_be_zero_bounds_nothing() {
        assert_eq!(shown("1.00").percent_of(shown("0.00")), None);
        assert_eq!(shown("1.00").percent_of(Interval::point(Decimal::ZERO)), None);
    }

    #[test]
    fn shown_rounding_is_half_away_from_zero_and_padded() {
        assert_eq!(round_shown(d("98.685"), Some(2)).to_string(), "98.69");
        assert_eq!(round_shown(d("80"), Some(2)).to_string(), "80.00");
        assert_eq!(round_shown(d("-0.125"), Some(2)).to_string(), "-0.13");
    }
}
