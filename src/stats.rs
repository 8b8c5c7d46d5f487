//! Statistics as the national standards define them, over exact decimals.
//!
//! - **Percentiles** (HJ 663-2013, 環境空氣質量評價技術規範, 5.2 and its formula (1)): the values
//!   sorted ascending, `X(1) ≤ … ≤ X(n)`; the rank `k = 1 + (n − 1) · p`; `s` its whole part;
//!   the p-th percentile is `X(s) + (X(s+1) − X(s)) · (k − s)`, and `X(n)` when `s = n`. This is
//!   linear interpolation between closest ranks (Hyndman–Fan type 7, the default of R, NumPy and
//!   Excel's `PERCENTILE.INC`).
//! - **Rounding** (GB/T 8170-2008, 數值修約規則): to a multiple of a step (1, 0.1, 5, 0.5 …),
//!   "四捨六入五成雙": below half down, above half up, exactly half to the even multiple. The
//!   standard's rule for a discarded 5 followed by nonzero digits (up) is the "above half" case,
//!   since the value is exact here.

use rust_decimal::{Decimal, RoundingStrategy};

/// The p-th percentile (`p` a fraction, 0 to 1) of values sorted ascending, by HJ 663-2013;
/// `None` for no values or a `p` outside 0..=1.
pub fn percentile(sorted: &[Decimal], p: Decimal) -> Option<Decimal> {
    let n = sorted.len();
    if n == 0 || p < Decimal::ZERO || p > Decimal::ONE {
        return None;
    }
    let k = Decimal::ONE + Decimal::from(n - 1) * p;
    let s = k.trunc();
    let at = usize::try_from(s.mantissa() / 10i128.pow(s.scale())).ok()?;
    if at >= n {
        return Some(sorted[n - 1]);
    }
    let (lo, hi) = (sorted[at - 1], sorted[at]);
    Some(lo + (hi - lo) * (k - s))
}

/// The p-th percentile of values in any order, sorting them first ([`percentile`]).
pub fn percentile_of(values: &mut [Decimal], p: Decimal) -> Option<Decimal> {
    values.sort_unstable();
    percentile(values, p)
}

/// `x` rounded to a multiple of `step` by GB/T 8170-2008 (half to even); `None` for a step that
/// is not positive or a result out of range.
pub fn round_to(x: Decimal, step: Decimal) -> Option<Decimal> {
    if step <= Decimal::ZERO {
        return None;
    }
    let q = x.checked_div(step)?;
    let r = q.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven);
    r.checked_mul(step).map(|v| v.normalize())
}

/// `x` rounded up to a multiple of `step` (HJ 633-2012: index values "進位取整"); `None` for a
/// step that is not positive or a result out of range.
pub fn ceil_to(x: Decimal, step: Decimal) -> Option<Decimal> {
    if step <= Decimal::ZERO {
        return None;
    }
    x.checked_div(step)?.ceil().checked_mul(step).map(|v| v.normalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }
    fn ds(xs: &[&str]) -> Vec<Decimal> {
        let mut v: Vec<Decimal> = xs.iter().map(|x| d(x)).collect();
        v.sort();
        v
    }

    /// Worked by hand from the formula: ten values 1..10, p = 95%: k = 1 + 9 × 0.95 = 9.55,
    /// s = 9, X(9) = 9, X(10) = 10, so 9 + 1 × 0.55 = 9.55.
    #[test]
    fn percentiles_follow_hj_663() {
        let ten = ds(&["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]);
        assert_eq!(percentile(&ten, d("0.95")), Some(d("9.55")));
        // p = 90%: k = 9.1, 9 + 0.1 = 9.1.
        assert_eq!(percentile(&ten, d("0.9")), Some(d("9.1")));
        assert_eq!(percentile(&ten, d("0")), Some(d("1")));
        assert_eq!(percentile(&ten, d("1")), Some(d("10")));
        // 365 daily values 1..365, p = 90%: k = 1 + 364 × 0.9 = 328.6, so 328 + 0.6 = 328.6.
        let year: Vec<Decimal> = (1..=365).map(Decimal::from).collect();
        assert_eq!(percentile(&year, d("0.9")), Some(d("328.6")));
        // Unequal steps: 0.4, 1.0, 1.2, 3.0 at 95%: k = 1 + 3 × 0.95 = 3.85, s = 3:
        // 1.2 + (3.0 − 1.2) × 0.85 = 2.73.
        assert_eq!(percentile(&ds(&["3.0", "0.4", "1.2", "1.0"]), d("0.95")), Some(d("2.73")));
        assert_eq!(percentile(&ds(&["7"]), d("0.95")), Some(d("7")));
        assert_eq!(percentile(&[], d("0.95")), None);
        assert_eq!(percentile(&ten, d("1.01")), None);
    }

    #[test]
    fn rounding_follows_gb_t_8170() {
        // 四捨六入五成雙, to whole numbers.
        assert_eq!(round_to(d("150.4"), d("1")), Some(d("150")));
        assert_eq!(round_to(d("150.6"), d("1")), Some(d("151")));
        assert_eq!(round_to(d("150.5"), d("1")), Some(d("150")));
        assert_eq!(round_to(d("151.5"), d("1")), Some(d("152")));
        // A 5 followed by more digits is above half.
        assert_eq!(round_to(d("150.5001"), d("1")), Some(d("151")));
        assert_eq!(round_to(d("150.0417"), d("1")), Some(d("150")));
        // To one decimal, and GB/T 8170's examples of 0.5-unit and 5-unit rounding.
        assert_eq!(round_to(d("1.25"), d("0.1")), Some(d("1.2")));
        assert_eq!(round_to(d("1.35"), d("0.1")), Some(d("1.4")));
        assert_eq!(round_to(d("60.25"), d("0.5")), Some(d("60.0")));
        assert_eq!(round_to(d("60.38"), d("0.5")), Some(d("60.5")));
        assert_eq!(round_to(d("832"), d("5")), Some(d("830")));
        assert_eq!(round_to(d("-2.5"), d("1")), Some(d("-2")));
        assert_eq!(round_to(d("1"), d("0")), None);
    }

    #[test]
    fn ceiling_goes_up_to_the_step() {
        assert_eq!(ceil_to(d("50.0001"), d("1")), Some(d("51")));
        assert_eq!(ceil_to(d("50"), d("1")), Some(d("50")));
        assert_eq!(ceil_to(d("-0.5"), d("1")), Some(d("0")));
        assert_eq!(ceil_to(d("1.21"), d("0.1")), Some(d("1.3")));
    }
}
