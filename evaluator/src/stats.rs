//! The statistics of satisfaction: Wilson intervals, the two-stage cluster bootstrap,
//! pass^k and pass@k, and Fisher's exact test.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;
/// Bootstrap draws for every interval.
pub const BOOTSTRAP_DRAWS: usize = 10_000;
/// The bootstrap's fixed seed: the same results give the same interval.
pub const BOOTSTRAP_SEED: u64 = 0x5eed_d700_0000_0001;

/// Wilson score interval for `c` successes in `n` trials.
pub fn wilson(c: u64, n: u64) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let n = n as f64;
    let p = c as f64 / n;
    let z2 = Z95 * Z95;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z95 * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// pass^k: the chance that k runs drawn without replacement from n (c satisfied) all
/// succeed, C(c,k)/C(n,k) — unbiased for p^k. None when k > n.
pub fn pass_hat_k(c: u64, n: u64, k: u64) -> Option<f64> {
    if k == 0 || k > n || c > n {
        return None;
    }
    if c < k {
        return Some(0.0);
    }
    let mut v = 1.0;
    for i in 0..k {
        v *= (c - i) as f64 / (n - i) as f64;
    }
    Some(v)
}

/// pass@k: the chance that at least one of k runs succeeds, 1 − C(n−c,k)/C(n,k).
pub fn pass_at_k(c: u64, n: u64, k: u64) -> Option<f64> {
    if k == 0 || k > n || c > n {
        return None;
    }
    let f = n - c;
    if f < k {
        return Some(1.0);
    }
    let mut v = 1.0;
    for i in 0..k {
        v *= (f - i) as f64 / (n - i) as f64;
    }
    Some(1.0 - v)
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let w = pos - lo as f64;
    sorted[lo] * (1.0 - w) + sorted[hi] * w
}

fn resample_rate(rng: &mut ChaCha8Rng, c: u64, n: u64) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let p = c as f64 / n as f64;
    let hits = (0..n).filter(|_| rng.random::<f64>() < p).count();
    hits as f64 / n as f64
}

/// Two-stage cluster bootstrap of the macro mean of per-scenario rates: resample
/// scenarios, then runs within each resampled scenario. `(c, n)` per scenario.
pub fn cluster_bootstrap(scenarios: &[(u64, u64)], draws: usize, seed: u64) -> (f64, f64) {
    let m = scenarios.len();
    if m == 0 {
        return (0.0, 1.0);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means = Vec::with_capacity(draws);
    for _ in 0..draws {
        let mut sum = 0.0;
        for _ in 0..m {
            let (c, n) = scenarios[rng.random_range(0..m)];
            sum += resample_rate(&mut rng, c, n);
        }
        means.push(sum / m as f64);
    }
    means.sort_by(f64::total_cmp);
    (percentile(&means, 0.025), percentile(&means, 0.975))
}

/// `((c, n) of A, (c, n) of B)` for one scenario.
pub type Pair = ((u64, u64), (u64, u64));

/// Paired cluster bootstrap of the mean per-scenario change B − A: scenarios are
/// resampled as pairs. Each pair is `((cA, nA), (cB, nB))`.
pub fn paired_bootstrap(pairs: &[Pair], draws: usize, seed: u64) -> (f64, f64) {
    let m = pairs.len();
    if m == 0 {
        return (0.0, 0.0);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut deltas = Vec::with_capacity(draws);
    for _ in 0..draws {
        let mut sum = 0.0;
        for _ in 0..m {
            let ((ca, na), (cb, nb)) = pairs[rng.random_range(0..m)];
            sum += resample_rate(&mut rng, cb, nb) - resample_rate(&mut rng, ca, na);
        }
        deltas.push(sum / m as f64);
    }
    deltas.sort_by(f64::total_cmp);
    (percentile(&deltas, 0.025), percentile(&deltas, 0.975))
}

fn ln_factorial(n: u64) -> f64 {
    (1..=n).map(|i| (i as f64).ln()).sum()
}

/// Two-sided Fisher exact test p-value of the 2×2 table [[a, b], [c, d]]: the total
/// hypergeometric probability of tables (same margins) no more likely than this one.
pub fn fisher_exact(a: u64, b: u64, c: u64, d: u64) -> f64 {
    let (r1, r2, c1) = (a + b, c + d, a + c);
    let n = r1 + r2;
    if n == 0 {
        return 1.0;
    }
    let base = ln_factorial(r1) + ln_factorial(r2) + ln_factorial(c1) + ln_factorial(n - c1) - ln_factorial(n);
    let prob = |x: u64| -> f64 {
        // x in the top-left cell; the others follow from the margins.
        let (b, c) = (r1 - x, c1 - x);
        let d = r2 - c;
        (base - ln_factorial(x) - ln_factorial(b) - ln_factorial(c) - ln_factorial(d)).exp()
    };
    let lo = c1.saturating_sub(r2);
    let hi = r1.min(c1);
    let observed = prob(a);
    let p: f64 = (lo..=hi).map(prob).filter(|p| *p <= observed * (1.0 + 1e-7)).sum();
    p.min(1.0)
}

/// The 95% interval reported for satisfaction: the union of the cluster bootstrap
/// (right under intra-scenario correlation, but collapses to a point when every run
/// agrees) and the Wilson interval of the pooled runs (right at 0 and 1, too narrow
/// under correlation). Conservative in both regimes.
pub fn satisfaction_ci(scenarios: &[(u64, u64)]) -> (f64, f64) {
    let (c, n) = scenarios.iter().fold((0, 0), |(c, n), (ci, ni)| (c + ci, n + ni));
    let (wl, wh) = wilson(c, n);
    let (bl, bh) = cluster_bootstrap(scenarios, BOOTSTRAP_DRAWS, BOOTSTRAP_SEED);
    (wl.min(bl), wh.max(bh))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn wilson_known_values() {
        // 8/10: (0.4902, 0.9433) by the closed form.
        let (lo, hi) = wilson(8, 10);
        assert!(close(lo, 0.4902, 1e-3) && close(hi, 0.9433, 1e-3), "{lo} {hi}");
        let (lo, hi) = wilson(0, 5);
        assert_eq!(lo, 0.0);
        assert!(close(hi, 0.4345, 1e-3), "{hi}");
        let (lo, hi) = wilson(5, 5);
        assert!(close(lo, 0.5655, 1e-3) && hi == 1.0, "{lo}");
        assert_eq!(wilson(0, 0), (0.0, 1.0));
    }

    #[test]
    fn pass_hat_k_is_unbiased_not_plug_in() {
        // c=4, n=5, k=2: C(4,2)/C(5,2) = 6/10, not 0.8² = 0.64.
        assert!(close(pass_hat_k(4, 5, 2).unwrap(), 0.6, 1e-12));
        assert_eq!(pass_hat_k(5, 5, 5), Some(1.0));
        assert_eq!(pass_hat_k(2, 5, 3), Some(0.0));
        assert_eq!(pass_hat_k(3, 5, 1), Some(0.6));
        assert_eq!(pass_hat_k(3, 5, 6), None);
        // pass@k: 1 − C(1,2)/C(5,2) = 1 with one failure and k = 2.
        assert_eq!(pass_at_k(4, 5, 2), Some(1.0));
        assert!(close(pass_at_k(1, 5, 2).unwrap(), 1.0 - 6.0 / 10.0, 1e-12));
        assert_eq!(pass_at_k(0, 5, 3), Some(0.0));
    }

    #[test]
    fn fisher_matches_reference_values() {
        // R: fisher.test(matrix(c(3,1,1,3),2)) → p = 0.4857
        assert!(close(fisher_exact(3, 1, 1, 3), 0.4857, 1e-4), "{}", fisher_exact(3, 1, 1, 3));
        // R: fisher.test(matrix(c(10,0,0,10),2)) → p = 1.083e-05
        assert!(close(fisher_exact(10, 0, 0, 10), 1.0825e-5, 1e-8), "{}", fisher_exact(10, 0, 0, 10));
        // The tea-tasting table [[1,9],[11,3]] (Wikipedia): p = 0.002759
        assert!(close(fisher_exact(1, 9, 11, 3), 0.002759, 1e-5), "{}", fisher_exact(1, 9, 11, 3));
        assert_eq!(fisher_exact(5, 5, 5, 5), 1.0);
        assert_eq!(fisher_exact(0, 0, 0, 0), 1.0);
    }

    #[test]
    fn bootstrap_is_deterministic_and_sensible() {
        let s = [(5, 5), (0, 5), (3, 5), (4, 5)];
        let a = cluster_bootstrap(&s, 2000, 7);
        let b = cluster_bootstrap(&s, 2000, 7);
        assert_eq!(a, b);
        let mean = 12.0 / 20.0;
        assert!(a.0 < mean && mean < a.1, "{a:?}");
        assert!(a.0 > 0.0 && a.1 < 1.0, "{a:?}");
        // Everyone passes: the bootstrap collapses, the Wilson part keeps it honest.
        let all = [(3, 3)];
        assert_eq!(cluster_bootstrap(&all, 100, 1), (1.0, 1.0));
        let (lo, hi) = satisfaction_ci(&all);
        assert!(lo < 0.5 && hi == 1.0, "{lo}");
    }

    #[test]
    fn paired_bootstrap_sees_a_shift() {
        let pairs = [((5, 5), (1, 5)), ((4, 5), (0, 5)), ((5, 5), (2, 5))];
        let (lo, hi) = paired_bootstrap(&pairs, 2000, 3);
        assert!(hi < 0.0, "{lo} {hi}");
        let same = [((3, 5), (3, 5)), ((2, 5), (2, 5))];
        let (lo, hi) = paired_bootstrap(&same, 2000, 3);
        assert!(lo < 0.0 && hi > 0.0, "{lo} {hi}");
    }
}
