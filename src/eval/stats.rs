//! The significance tests a cohort outcome can name when it compares its cohort against a
//! control group (`ir::CohortTarget::AgainstControl`, names in `check::SIGNIFICANCE_TESTS`).
//!
//! Owns: each test as a pure function from two samples (the cohort's per-member values and
//! the control's) and a [`Direction`] to a [`TestResult`] that carries the statistic, the
//! p-value, the working (pooled proportion, degrees of freedom, rank sum, ...) and each
//! side's summary, so that an explanation can show how the decision was reached. Nothing here
//! reads the IR beyond the direction, and nothing here touches money: statistics are the one
//! place binary floats are used, because the tests are defined over real numbers and their
//! reference implementations (R, SciPy) use them too.
//!
//! Conventions shared by every test:
//!
//! - **One-sided, in the contract's direction.** A contract says its cohort must do better
//!   than the control *in one direction* (`above` or `below` it), so every test here is
//!   one-sided: the null hypothesis is "no difference between cohort and control", the
//!   alternative is "the cohort is above the control" (or below), and the p-value is the
//!   probability, under the null, of a result at least as far in the contract's direction as
//!   the one observed. A two-sided test would halve the evidence needed for a result in the
//!   wrong direction to count, which no outcome-based contract means. The effect size the
//!   contract also asks for (`by at least 10%`) is checked by the evaluator separately: the
//!   test asks only whether the difference could be chance.
//! - **Samples**: proportions are given as one `0.0` or `1.0` per member (achieved or not);
//!   means as one number per member. An empty sample, a value that is NaN or infinite, or a
//!   proportion value other than 0 or 1 is an error ([`StatsError`]), never a NaN p-value.
//! - **No variation**: when both samples hold one and the same constant value there is no
//!   evidence of any difference, and the result is `p = 1` with [`Working::NoVariation`].
//!   When both are constant but differ (cohort all 3, control all 5), the t statistic is
//!   undefined (infinite), and [`welch_t_test`] returns [`StatsError::NoVariance`] rather than
//!   invent a p-value, as R's `t.test` does ("data are essentially constant").
//! - **Significance**: a result is significant at a level of `L` percent when `p < L / 100`
//!   ([`TestResult::is_significant`]).
//! - **Determinism**: every test gives the same bits for the same inputs. The permutation
//!   test's random permutations come from a fixed PRNG ([`SplitMix64`]) with a fixed seed
//!   ([`PERMUTATION_SEED`]) and a fixed count ([`PERMUTATIONS`]); those constants are part of
//!   what the language means by `permutation_test`, so changing them changes decisions.

use crate::ir::Direction;
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::Serialize;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};
use statrs::function::factorial::ln_binomial;
use std::fmt;

/// How many random permutations [`permutation_test`] draws when there are too many distinct
/// splits of the data to enumerate. 10,000 is the conventional default (R's `coin` package
/// uses it for approximate permutation tests): the Monte Carlo standard error of a p-value
/// near 0.05 is then about 0.002.
pub const PERMUTATIONS: u32 = 10_000;

/// The seed of [`permutation_test`]'s PRNG: the bytes of `PAYABLE!`. Fixed, so that the same
/// data always gives the same p-value, byte for byte.
pub const PERMUTATION_SEED: u64 = 0x5041_5941_424C_4521;

/// [`permutation_test`] enumerates every split of the pooled values exactly when there are at
/// most this many (`C(n_cohort + n_control, n_cohort)`); above it, it samples
/// [`PERMUTATIONS`] of them. A million splits enumerate in milliseconds.
pub const EXACT_PERMUTATION_LIMIT: u64 = 1_000_000;

/// [`mann_whitney_u_test`] uses the exact distribution of U when there are no ties and both
/// samples have fewer than this many values (R's `wilcox.test` rule); otherwise the normal
/// approximation.
pub const EXACT_RANK_SUM_BELOW: usize = 50;

/// The names of the tests, as a contract writes them; [`run`] dispatches on them.
pub const TEST_NAMES: &[&str] = &[
    "two_proportion_z_test",
    "welch_t_test",
    "mann_whitney_u_test",
    "fisher_exact_test",
    "permutation_test",
];

/// Which sample a value or a problem belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    Cohort,
    Control,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Cohort => "cohort",
            Side::Control => "control group",
        })
    }
}

/// Why a test could not be carried out.
#[derive(Clone, Debug, PartialEq)]
pub enum StatsError {
    /// A sample has no values: there is nothing to compare.
    Empty { side: Side },
    /// A sample has fewer values than the test needs (Welch's test estimates each side's
    /// variance, which takes two values).
    TooFew { side: Side, needed: usize, got: usize },
    /// A value is NaN or infinite.
    NotFinite { side: Side, index: usize },
    /// A test of proportions was given a value other than 0 or 1.
    NotBinary { side: Side, index: usize, value: f64 },
    /// Both samples are (essentially) constant and differ: the statistic is undefined.
    NoVariance,
    /// Not one of [`TEST_NAMES`].
    UnknownTest(String),
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatsError::Empty { side } => write!(f, "the {side} has no members to compare"),
            StatsError::TooFew { side, needed, got } => {
                write!(f, "the {side} has {got} member(s); this test needs at least {needed}")
            }
            StatsError::NotFinite { side, index } => {
                write!(f, "value {} of the {side} is not a finite number", index + 1)
            }
            StatsError::NotBinary { side, index, value } => write!(
                f,
                "value {} of the {side} is {value}; a test of proportions needs 0 or 1 for each member",
                index + 1
            ),
            StatsError::NoVariance => f.write_str(
                "both groups are constant and differ, so the test statistic is undefined \
                 (no variation to measure the difference against)",
            ),
            StatsError::UnknownTest(name) => write!(f, "`{name}` is not a significance test Payable knows"),
        }
    }
}

impl std::error::Error for StatsError {}

/// One side's sample, summarised for an explanation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub n: usize,
    /// The mean; for a proportion, the share of members with 1.
    pub mean: f64,
    /// Sample standard deviation (divisor `n - 1`); 0 for a single value.
    pub sd: f64,
}

/// The intermediate figures of a test, for an explanation to show the working.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Working {
    /// [`two_proportion_z_test`]: the pooled proportion and the standard error it gives.
    PooledProportion { pooled: f64, standard_error: f64 },
    /// [`welch_t_test`]: the unpooled standard error and Welch–Satterthwaite degrees of
    /// freedom.
    Welch { standard_error: f64, df: f64 },
    /// [`fisher_exact_test`]: the 2×2 table's margins; the statistic is the cohort's count
    /// of successes, hypergeometric under the null.
    Hypergeometric { cohort_successes: u64, total_successes: u64, total: u64 },
    /// [`mann_whitney_u_test`] from the exact distribution of U (no ties, small samples).
    RankSumExact { cohort_rank_sum: f64 },
    /// [`mann_whitney_u_test`] from the normal approximation.
    RankSumNormal {
        cohort_rank_sum: f64,
        /// The mean of U under the null, `n1 n2 / 2`.
        expected: f64,
        /// The standard deviation of U under the null, corrected for ties.
        sd: f64,
        z: f64,
        ties: bool,
        continuity_correction: bool,
    },
    /// [`permutation_test`] over every split of the pooled values.
    PermutationExact { splits: u64, at_least_as_extreme: u64 },
    /// [`permutation_test`] over random splits.
    PermutationSampled { permutations: u32, seed: u64, at_least_as_extreme: u64 },
    /// Both samples hold one and the same value: no evidence of a difference, `p = 1`.
    NoVariation,
}

/// A test's outcome.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TestResult {
    /// The test's name, as a contract writes it.
    pub test: &'static str,
    /// The alternative: the cohort above (or below) the control.
    pub direction: Direction,
    /// What `statistic` is: `z`, `t`, `U`, `cohort_successes` or `difference_in_means`.
    pub statistic_name: &'static str,
    pub statistic: f64,
    /// One-sided, in `direction`.
    pub p_value: f64,
    pub working: Working,
    pub cohort: Summary,
    pub control: Summary,
}

impl TestResult {
    /// Significant at `level_percent` (`5` for the 5% level): `p < level / 100`.
    pub fn is_significant(&self, level_percent: Decimal) -> bool {
        level_percent.to_f64().is_some_and(|level| self.p_value < level / 100.0)
    }
}

/// Runs the test a contract names. `cohort` and `control` are per-member values: 0 or 1 for
/// the tests of proportions, numbers for the others.
pub fn run(
    test: &str,
    cohort: &[f64],
    control: &[f64],
    direction: Direction,
) -> Result<TestResult, StatsError> {
    match test {
        "two_proportion_z_test" => two_proportion_z_test(cohort, control, direction),
        "welch_t_test" => welch_t_test(cohort, control, direction),
        "mann_whitney_u_test" => mann_whitney_u_test(cohort, control, direction),
        "fisher_exact_test" => fisher_exact_test(cohort, control, direction),
        "permutation_test" => permutation_test(cohort, control, direction),
        other => Err(StatsError::UnknownTest(other.to_string())),
    }
}

/// Two-proportion z-test with a pooled standard error.
///
/// Tests whether the share of cohort members with 1 differs from the control's, in
/// `direction`. With `p1 = x1 / n1`, `p2 = x2 / n2` and the pooled proportion
/// `p = (x1 + x2) / (n1 + n2)` (the common proportion under the null):
///
/// ```text
/// z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2))
/// ```
///
/// and the one-sided p-value is `P(Z >= z)` for `above`, `P(Z <= z)` for `below`, with `Z`
/// standard normal. No continuity correction (this is the textbook z-test, and R's
/// `prop.test(..., correct = FALSE)`, whose X-squared is `z^2`). When nobody, or everybody,
/// on both sides has 1, the proportions are equal and `p = 1`.
pub fn two_proportion_z_test(
    cohort: &[f64],
    control: &[f64],
    direction: Direction,
) -> Result<TestResult, StatsError> {
    let (x1, x2) = (successes(cohort, Side::Cohort)?, successes(control, Side::Control)?);
    let (n1, n2) = (cohort.len() as f64, control.len() as f64);
    let (a, b) = (summary(cohort), summary(control));
    let result = |statistic, p_value, working| TestResult {
        test: "two_proportion_z_test",
        direction,
        statistic_name: "z",
        statistic,
        p_value,
        working,
        cohort: a.clone(),
        control: b.clone(),
    };
    let pooled = (x1 + x2) as f64 / (n1 + n2);
    if x1 + x2 == 0 || (x1 + x2) as f64 == n1 + n2 {
        return Ok(result(0.0, 1.0, Working::NoVariation));
    }
    let standard_error = (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let z = (x1 as f64 / n1 - x2 as f64 / n2) / standard_error;
    let p_value = normal_tail(z, direction);
    Ok(result(z, p_value, Working::PooledProportion { pooled, standard_error }))
}

/// Fisher's exact test, one-sided.
///
/// Tests whether the cohort's share of 1s differs from the control's, in `direction`,
/// without any large-sample approximation. Conditioning on the table's margins (`n1` cohort
/// members, `n2` control members, `K` members with 1 in all), the cohort's count of 1s, `a`,
/// is hypergeometric under the null:
///
/// ```text
/// P(A = k) = C(K, k) C(N - K, n1 - k) / C(N, n1),   N = n1 + n2
/// ```
///
/// The p-value is the tail `P(A >= a)` for `above` (R's `alternative = "greater"`) and
/// `P(A <= a)` for `below`, summed term by term from the far end of the tail. The statistic
/// reported is `a`.
pub fn fisher_exact_test(
    cohort: &[f64],
    control: &[f64],
    direction: Direction,
) -> Result<TestResult, StatsError> {
    let (a, c) = (successes(cohort, Side::Cohort)?, successes(control, Side::Control)?);
    let (n1, n2) = (cohort.len() as u64, control.len() as u64);
    let (total, total_successes) = (n1 + n2, a + c);
    let low = n1.saturating_sub(total - total_successes);
    let high = n1.min(total_successes);
    let ln_all = ln_binomial(total, n1);
    let probability = |k: u64| {
        (ln_binomial(total_successes, k) + ln_binomial(total - total_successes, n1 - k) - ln_all).exp()
    };
    // Summing from the far end adds the smallest terms first, which loses least precision.
    let tail: f64 = match direction {
        Direction::Above => (a..=high).rev().map(probability).sum(),
        Direction::Below => (low..=a).map(probability).sum(),
    };
    Ok(TestResult {
        test: "fisher_exact_test",
        direction,
        statistic_name: "cohort_successes",
        statistic: a as f64,
        p_value: tail.min(1.0),
        working: Working::Hypergeometric { cohort_successes: a, total_successes, total },
        cohort: summary(cohort),
        control: summary(control),
    })
}

/// Welch's unequal-variances t-test.
///
/// Tests whether the cohort's mean differs from the control's, in `direction`, without
/// assuming the two have the same variance. With sample means `m1`, `m2` and sample
/// variances `s1^2`, `s2^2` (divisor `n - 1`):
///
/// ```text
/// t  = (m1 - m2) / sqrt(s1^2/n1 + s2^2/n2)
/// df = (s1^2/n1 + s2^2/n2)^2 / ((s1^2/n1)^2/(n1 - 1) + (s2^2/n2)^2/(n2 - 1))
/// ```
///
/// (Welch–Satterthwaite), and the one-sided p-value is `P(T >= t)` for `above`,
/// `P(T <= t)` for `below`, with `T` Student's t on `df` (fractional) degrees of freedom:
/// R's `t.test(x, y, var.equal = FALSE, alternative = "greater" | "less")`. Each side needs
/// at least two values. Both sides constant and equal gives `p = 1`; constant and different,
/// or a standard error below `10 ε max(|m1|, |m2|)` (R's rule), is
/// [`StatsError::NoVariance`].
pub fn welch_t_test(cohort: &[f64], control: &[f64], direction: Direction) -> Result<TestResult, StatsError> {
    check(cohort, Side::Cohort, 2)?;
    check(control, Side::Control, 2)?;
    let (a, b) = (summary(cohort), summary(control));
    let result = |statistic, p_value, working| TestResult {
        test: "welch_t_test",
        direction,
        statistic_name: "t",
        statistic,
        p_value,
        working,
        cohort: a.clone(),
        control: b.clone(),
    };
    if let (Some(x), Some(y)) = (constant(cohort), constant(control)) {
        return if x == y { Ok(result(0.0, 1.0, Working::NoVariation)) } else { Err(StatsError::NoVariance) };
    }
    let (n1, n2) = (a.n as f64, b.n as f64);
    let (v1, v2) = (a.sd * a.sd / n1, b.sd * b.sd / n2);
    let standard_error = (v1 + v2).sqrt();
    if standard_error < 10.0 * f64::EPSILON * a.mean.abs().max(b.mean.abs()) {
        return Err(StatsError::NoVariance);
    }
    let t = (a.mean - b.mean) / standard_error;
    let df = (v1 + v2).powi(2) / (v1 * v1 / (n1 - 1.0) + v2 * v2 / (n2 - 1.0));
    let distribution = StudentsT::new(0.0, 1.0, df).map_err(|_| StatsError::NoVariance)?;
    let p_value = match direction {
        Direction::Above => distribution.sf(t),
        Direction::Below => distribution.cdf(t),
    };
    Ok(result(t, p_value, Working::Welch { standard_error, df }))
}

/// How [`mann_whitney_u_test_with`] computes its p-value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MannWhitneyOptions {
    /// Use the exact distribution of U when there are no ties and both samples have fewer
    /// than [`EXACT_RANK_SUM_BELOW`] values.
    pub allow_exact: bool,
    /// Apply the continuity correction (±0.5) in the normal approximation.
    pub continuity_correction: bool,
}

impl Default for MannWhitneyOptions {
    /// What `mann_whitney_u_test` means in a contract: exact when small and untied, else
    /// normal with continuity correction (R's `wilcox.test` defaults).
    fn default() -> Self {
        MannWhitneyOptions { allow_exact: true, continuity_correction: true }
    }
}

/// The Mann–Whitney U test (Wilcoxon rank-sum test).
///
/// Tests whether the cohort's values tend to be larger (`above`) or smaller (`below`) than
/// the control's, using only their order. Pool both samples and rank them, ties getting the
/// mean of the ranks they span; with `R1` the sum of the cohort's ranks,
///
/// ```text
/// U = R1 - n1 (n1 + 1) / 2
/// ```
///
/// (the number of (cohort, control) pairs in which the cohort's value is larger, ties
/// counting one half; R's `W`). With no ties and both samples under
/// [`EXACT_RANK_SUM_BELOW`] values, the p-value is exact: `P(U >= u)` (or `<=`) under the
/// null that every choice of `n1` ranks out of `N` is equally likely, counted by dynamic
/// programming. Otherwise the normal approximation, with tie and continuity corrections:
///
/// ```text
/// E[U] = n1 n2 / 2
/// Var[U] = n1 n2 / 12 * ((N + 1) - Σ (t^3 - t) / (N (N - 1)))   t: the size of each tie group
/// z = (U - E[U] - 0.5) / sd[U]   for above, p = P(Z >= z)
/// z = (U - E[U] + 0.5) / sd[U]   for below, p = P(Z <= z)
/// ```
///
/// which is R's `wilcox.test(x, y, alternative = "greater" | "less")`. When every value is
/// tied there is no order to test, and `p = 1`.
pub fn mann_whitney_u_test(
    cohort: &[f64],
    control: &[f64],
    direction: Direction,
) -> Result<TestResult, StatsError> {
    mann_whitney_u_test_with(cohort, control, direction, MannWhitneyOptions::default())
}

/// [`mann_whitney_u_test`] with the choice of exact distribution and continuity correction
/// made explicit (to reproduce published figures computed either way).
pub fn mann_whitney_u_test_with(
    cohort: &[f64],
    control: &[f64],
    direction: Direction,
    options: MannWhitneyOptions,
) -> Result<TestResult, StatsError> {
    check(cohort, Side::Cohort, 1)?;
    check(control, Side::Control, 1)?;
    let (n1, n2) = (cohort.len(), control.len());
    let total = n1 + n2;
    let mut pooled: Vec<(f64, bool)> =
        cohort.iter().map(|&v| (v, true)).chain(control.iter().map(|&v| (v, false))).collect();
    pooled.sort_by(|x, y| x.0.total_cmp(&y.0));
    let (mut rank_sum, mut tie_term, mut ties) = (0.0, 0.0, false);
    let mut start = 0;
    while start < total {
        let mut end = start + 1;
        while end < total && pooled[end].0 == pooled[start].0 {
            end += 1;
        }
        // Ranks start+1 ..= end share their mean.
        let mean_rank = (start + 1 + end) as f64 / 2.0;
        let in_cohort = pooled[start..end].iter().filter(|(_, c)| *c).count();
        rank_sum += mean_rank * in_cohort as f64;
        let size = (end - start) as f64;
        if end - start > 1 {
            ties = true;
            tie_term += size * size * size - size;
        }
        start = end;
    }
    let (m1, m2) = (n1 as f64, n2 as f64);
    let u = rank_sum - m1 * (m1 + 1.0) / 2.0;
    let expected = m1 * m2 / 2.0;
    let result = |p_value, working| TestResult {
        test: "mann_whitney_u_test",
        direction,
        statistic_name: "U",
        statistic: u,
        p_value,
        working,
        cohort: summary(cohort),
        control: summary(control),
    };
    if options.allow_exact && !ties && n1 < EXACT_RANK_SUM_BELOW && n2 < EXACT_RANK_SUM_BELOW {
        let p_value = exact_rank_sum_tail(n1, total, rank_sum, direction);
        return Ok(result(p_value, Working::RankSumExact { cohort_rank_sum: rank_sum }));
    }
    let n = total as f64;
    let variance = m1 * m2 / 12.0 * ((n + 1.0) - tie_term / (n * (n - 1.0)));
    if variance <= 0.0 {
        // Every value is tied: the sole tie group spans all N, and U equals its mean.
        return Ok(result(1.0, Working::NoVariation));
    }
    let sd = variance.sqrt();
    let correction = match (options.continuity_correction, direction) {
        (false, _) => 0.0,
        (true, Direction::Above) => 0.5,
        (true, Direction::Below) => -0.5,
    };
    let z = (u - expected - correction) / sd;
    let p_value = normal_tail(z, direction);
    Ok(result(
        p_value,
        Working::RankSumNormal {
            cohort_rank_sum: rank_sum,
            expected,
            sd,
            z,
            ties,
            continuity_correction: options.continuity_correction,
        },
    ))
}

/// `P(R1 >= rank_sum)` (above) or `P(R1 <= rank_sum)` (below), where `R1` is the sum of `k`
/// ranks drawn without replacement from `1..=n`, all choices equally likely. Counts the
/// subsets of each size and sum by dynamic programming: only additions of non-negative
/// counts, so no cancellation.
fn exact_rank_sum_tail(k: usize, n: usize, rank_sum: f64, direction: Direction) -> f64 {
    let max_sum = k * n - k * (k.saturating_sub(1)) / 2;
    let width = max_sum + 1;
    let mut counts = vec![0.0f64; (k + 1) * width];
    counts[0] = 1.0;
    for rank in 1..=n {
        for size in (1..=k.min(rank)).rev() {
            for sum in (rank..=max_sum).rev() {
                let from = counts[(size - 1) * width + sum - rank];
                if from != 0.0 {
                    counts[size * width + sum] += from;
                }
            }
        }
    }
    let row = &counts[k * width..(k + 1) * width];
    let all: f64 = row.iter().sum();
    // Without ties the rank sum is a whole number.
    let observed = rank_sum.round() as usize;
    let tail: f64 = match direction {
        Direction::Above => row.iter().skip(observed).sum(),
        Direction::Below => row.iter().take(observed + 1).sum(),
    };
    (tail / all).min(1.0)
}

/// How [`permutation_test_with`] draws its permutations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PermutationOptions {
    /// Enumerate every split when there are at most this many.
    pub exact_limit: u64,
    /// Random splits to draw otherwise.
    pub permutations: u32,
    pub seed: u64,
}

impl Default for PermutationOptions {
    /// What `permutation_test` means in a contract.
    fn default() -> Self {
        PermutationOptions {
            exact_limit: EXACT_PERMUTATION_LIMIT,
            permutations: PERMUTATIONS,
            seed: PERMUTATION_SEED,
        }
    }
}

/// A two-sample permutation test of the difference in means.
///
/// Tests whether the cohort's mean differs from the control's, in `direction`, assuming
/// nothing about the distribution: under the null the group labels are exchangeable, so
/// every way of splitting the pooled values into groups of `n1` and `n2` is equally likely.
/// The statistic is `mean(cohort) - mean(control)`; since the pooled total is fixed, it
/// orders the splits exactly as the cohort's sum does, which is what is compared.
///
/// - When there are at most [`EXACT_PERMUTATION_LIMIT`] splits (`C(N, n1)`), every one is
///   enumerated and `p = (splits at least as extreme as the observed one) / (all splits)`,
///   the observed split included: the exact permutation p-value.
/// - Otherwise [`PERMUTATIONS`] random splits are drawn (partial Fisher–Yates shuffles
///   driven by [`SplitMix64`] seeded with [`PERMUTATION_SEED`], bounded draws by Lemire's
///   unbiased multiply-and-reject), and `p = (b + 1) / (PERMUTATIONS + 1)`, where `b` counts
///   the draws at least as extreme: the observed split counts as one of the permutations, so
///   p is never 0 (Phipson & Smyth, 2010). The same data give the same p-value, bit for bit.
///
/// "At least as extreme" is `>=` for `above` and `<=` for `below`, with sums within
/// `1e-9 × Σ|x|` of the observed one counted as equal, so that two splits with the same
/// total are never told apart by floating-point rounding of the order of addition.
pub fn permutation_test(
    cohort: &[f64],
    control: &[f64],
    direction: Direction,
) -> Result<TestResult, StatsError> {
    permutation_test_with(cohort, control, direction, PermutationOptions::default())
}

/// [`permutation_test`] with its enumeration limit, count and seed made explicit.
pub fn permutation_test_with(
    cohort: &[f64],
    control: &[f64],
    direction: Direction,
    options: PermutationOptions,
) -> Result<TestResult, StatsError> {
    check(cohort, Side::Cohort, 1)?;
    check(control, Side::Control, 1)?;
    let (a, b) = (summary(cohort), summary(control));
    let statistic = a.mean - b.mean;
    let pooled: Vec<f64> = cohort.iter().chain(control).copied().collect();
    let n = pooled.len();
    // Work with the smaller group: fewer values to add per split. A large cohort sum is a
    // small control sum, so the direction flips when the control is the group chosen.
    let chosen_is_cohort = cohort.len() <= control.len();
    let (k, observed_values) =
        if chosen_is_cohort { (cohort.len(), cohort) } else { (control.len(), control) };
    let observed: f64 = observed_values.iter().sum();
    let tolerance = 1e-9 * pooled.iter().map(|v| v.abs()).sum::<f64>().max(1.0);
    let want_high = (direction == Direction::Above) == chosen_is_cohort;
    let extreme =
        |sum: f64| if want_high { sum >= observed - tolerance } else { sum <= observed + tolerance };
    let result = |p_value, working| TestResult {
        test: "permutation_test",
        direction,
        statistic_name: "difference_in_means",
        statistic,
        p_value,
        working,
        cohort: a.clone(),
        control: b.clone(),
    };
    if let Some(splits) = binomial_at_most(n as u64, k as u64, options.exact_limit) {
        let mut at_least_as_extreme = 0u64;
        let mut index: Vec<usize> = (0..k).collect();
        loop {
            let sum: f64 = index.iter().map(|&i| pooled[i]).sum();
            if extreme(sum) {
                at_least_as_extreme += 1;
            }
            // The next k-subset in lexicographic order: bump the rightmost index that can
            // move, and put the ones after it right behind it.
            let Some(i) = (0..k).rev().find(|&i| index[i] < n - k + i) else { break };
            index[i] += 1;
            for j in i + 1..k {
                index[j] = index[j - 1] + 1;
            }
        }
        let p_value = at_least_as_extreme as f64 / splits as f64;
        return Ok(result(p_value, Working::PermutationExact { splits, at_least_as_extreme }));
    }
    let mut rng = SplitMix64::new(options.seed);
    let mut shuffled = pooled.clone();
    let mut at_least_as_extreme = 0u64;
    for _ in 0..options.permutations {
        // A partial Fisher–Yates shuffle leaves a uniformly random k-subset in the first k
        // places, whatever order the previous round left the values in.
        for i in 0..k {
            let j = i + rng.below((n - i) as u64) as usize;
            shuffled.swap(i, j);
        }
        let sum: f64 = shuffled[..k].iter().sum();
        if extreme(sum) {
            at_least_as_extreme += 1;
        }
    }
    let p_value = (at_least_as_extreme + 1) as f64 / (f64::from(options.permutations) + 1.0);
    Ok(result(
        p_value,
        Working::PermutationSampled {
            permutations: options.permutations,
            seed: options.seed,
            at_least_as_extreme,
        },
    ))
}

/// `C(n, k)` if it is at most `limit`.
fn binomial_at_most(n: u64, k: u64, limit: u64) -> Option<u64> {
    let k = k.min(n - k);
    let mut c: u128 = 1;
    for i in 0..k {
        // Exact at every step: the product of i + 1 consecutive integers is divisible by
        // (i + 1)!.
        c = c * u128::from(n - i) / u128::from(i + 1);
        if c > u128::from(limit) {
            return None;
        }
    }
    u64::try_from(c).ok()
}

/// SplitMix64 (Steele, Lea & Flood, 2014; the seeding generator of Java's
/// `SplittableRandom` and of the xoshiro family): a 64-bit state stepped by a Weyl sequence
/// and mixed. Small, fast, statistically sound for resampling, and fully specified here, so
/// a permutation p-value can be reproduced anywhere.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A uniform integer in `0..bound` (`bound > 0`), without modulo bias: Lemire (2019),
    /// "Fast random integer generation in an interval".
    pub fn below(&mut self, bound: u64) -> u64 {
        let mut product = u128::from(self.next_u64()) * u128::from(bound);
        if (product as u64) < bound {
            let threshold = bound.wrapping_neg() % bound;
            while (product as u64) < threshold {
                product = u128::from(self.next_u64()) * u128::from(bound);
            }
        }
        (product >> 64) as u64
    }
}

/// `P(Z >= z)` for above, `P(Z <= z)` for below.
fn normal_tail(z: f64, direction: Direction) -> f64 {
    let normal = Normal::standard();
    match direction {
        Direction::Above => normal.sf(z),
        Direction::Below => normal.cdf(z),
    }
}

/// Every value finite, and at least `needed` of them.
fn check(values: &[f64], side: Side, needed: usize) -> Result<(), StatsError> {
    if values.is_empty() {
        return Err(StatsError::Empty { side });
    }
    if values.len() < needed {
        return Err(StatsError::TooFew { side, needed, got: values.len() });
    }
    match values.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(StatsError::NotFinite { side, index }),
        None => Ok(()),
    }
}

/// The number of 1s in a sample of 0s and 1s.
fn successes(values: &[f64], side: Side) -> Result<u64, StatsError> {
    check(values, side, 1)?;
    let mut count = 0;
    for (index, &value) in values.iter().enumerate() {
        if value == 1.0 {
            count += 1;
        } else if value != 0.0 {
            return Err(StatsError::NotBinary { side, index, value });
        }
    }
    Ok(count)
}

/// The single value of a sample in which every value is the same.
fn constant(values: &[f64]) -> Option<f64> {
    let first = *values.first()?;
    values.iter().all(|&v| v == first).then_some(first)
}

/// Mean and sample standard deviation, in two passes (the one-pass formula loses precision
/// when the mean is large against the spread).
fn summary(values: &[f64]) -> Summary {
    let n = values.len();
    if n == 0 {
        return Summary { n, mean: 0.0, sd: 0.0 };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    let sd = if n < 2 {
        0.0
    } else {
        (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
    };
    Summary { n, mean, sd }
}
