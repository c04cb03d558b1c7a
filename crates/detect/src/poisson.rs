//! The Poisson tail probability used by the burst test, summed in log space
//! so that it stays accurate for counts into the millions.

/// Terms beyond this many are not summed; the remainder is then far below
/// any threshold a caller would use.
const MAX_TERMS: u32 = 200_000;

/// `ln(n!)`: exact sums below 32, Stirling's series above (relative error
/// below 1e-13 there).
pub(crate) fn ln_factorial(n: u64) -> f64 {
    if n < 32 {
        return (2..=n).map(|i| (i as f64).ln()).sum();
    }
    let x = n as f64;
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    x * x.ln() - x + 0.5 * (std::f64::consts::TAU * x).ln() + inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 / 1260.0))
}

/// `P(X >= k)` for `X ~ Poisson(lambda)`.
///
/// The sum is done in log space: the first term `ln P(X = k)` is computed
/// directly from `k ln(lambda) - lambda - ln(k!)`, and the later terms as
/// ratios to it (`lambda / (j + 1)`), so nothing overflows or underflows
/// before the final `exp`. When `k` is above the mean the ratios are below
/// one and the sum converges geometrically; when `k` is at or below the mean
/// the complement `1 - P(X <= k - 1)` is summed downwards the same way. No
/// normal approximation is used. A `lambda` that is not positive and finite
/// gives 0 for `k > 0`.
pub fn poisson_upper_tail(k: u64, lambda: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if !(lambda.is_finite() && lambda > 0.0) {
        return 0.0;
    }
    let kf = k as f64;
    let ln_term = |j: u64| (j as f64) * lambda.ln() - lambda - ln_factorial(j);
    if kf > lambda {
        // Upper tail from k: t_{j+1} / t_j = lambda / (j + 1) < 1.
        let mut ratio = 1.0;
        let mut sum = 1.0;
        for j in (k..).take(MAX_TERMS as usize) {
            ratio *= lambda / (j as f64 + 1.0);
            sum += ratio;
            if ratio < sum * 1e-16 {
                break;
            }
        }
        (ln_term(k) + sum.ln()).exp().min(1.0)
    } else {
        // Lower tail up to k - 1: t_{j-1} / t_j = j / lambda <= 1.
        let top = k - 1;
        let mut ratio = 1.0;
        let mut sum = 1.0;
        let mut j = top;
        for _ in 0..MAX_TERMS {
            if j == 0 {
                break;
            }
            ratio *= j as f64 / lambda;
            sum += ratio;
            j -= 1;
            if ratio < sum * 1e-16 {
                break;
            }
        }
        let lower = (ln_term(top) + sum.ln()).exp();
        (1.0 - lower).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain sum of terms, for small values where it is accurate.
    fn naive(k: u64, lambda: f64) -> f64 {
        let mut below = 0.0;
        let mut term = (-lambda).exp();
        for j in 0..k {
            below += term;
            term *= lambda / (j as f64 + 1.0);
        }
        1.0 - below
    }

    #[test]
    fn ln_factorial_matches_the_product() {
        let mut exact = 0.0;
        for n in 1..200u64 {
            exact += (n as f64).ln();
            assert!((ln_factorial(n) - exact).abs() < 1e-9 * exact.max(1.0), "n = {n}");
        }
    }

    #[test]
    fn agrees_with_the_naive_sum_for_small_values() {
        for &lambda in &[0.3, 1.0, 4.5, 20.0, 60.0] {
            for k in 0..150u64 {
                let (a, b) = (poisson_upper_tail(k, lambda), naive(k, lambda));
                assert!((a - b).abs() < 1e-9, "k = {k}, lambda = {lambda}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn stays_finite_and_ordered_for_large_counts() {
        // Mean 1000: 1100 is about 3.2 standard deviations above.
        let p = poisson_upper_tail(1100, 1000.0);
        assert!(p > 3e-4 && p < 1.5e-3, "{p}");
        assert!(poisson_upper_tail(3000, 1000.0) < 1e-200);
        assert!((poisson_upper_tail(1000, 1000.0) - 0.5).abs() < 0.02);
        assert_eq!(poisson_upper_tail(u32::MAX as u64, 0.5), 0.0);
        assert!(poisson_upper_tail(10, 1e9) > 0.999);
        let mut last = 1.0;
        for k in (900..1300).step_by(10) {
            let p = poisson_upper_tail(k, 1000.0);
            assert!(p <= last && p.is_finite());
            last = p;
        }
    }
}
