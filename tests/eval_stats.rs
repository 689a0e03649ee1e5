//! The significance tests of cohort outcomes against published worked values.
//!
//! Each test cites where its figures were published. Published two-sided p-values are halved
//! for the one-sided test in the direction of the observed difference (exactly what R does
//! for these statistics, whose two-sided p-value is twice the smaller tail), and tolerances
//! are half a unit in the last published digit (doubled where the halving applies to a
//! rounded figure, never loosened beyond that).

use payable::eval::stats::{
    self, MannWhitneyOptions, PermutationOptions, Side, StatsError, TestResult, Working, fisher_exact_test,
    mann_whitney_u_test, mann_whitney_u_test_with, permutation_test, permutation_test_with,
    two_proportion_z_test, welch_t_test,
};
use payable::ir::Direction::{Above, Below};
use rust_decimal::Decimal;

fn close(actual: f64, expected: f64, tolerance: f64, what: &str) {
    assert!(
        (actual - expected).abs() <= tolerance,
        "{what}: got {actual}, expected {expected} ± {tolerance}"
    );
}

/// `successes` ones followed by `failures` zeros.
fn binary(successes: usize, failures: usize) -> Vec<f64> {
    let mut v = vec![1.0; successes];
    v.extend(std::iter::repeat_n(0.0, failures));
    v
}

// ---------------------------------------------------------------------------------------
// Fisher's exact test
// ---------------------------------------------------------------------------------------

/// R, `?fisher.test`, "Agresti (1990, p. 61f; 2002, p. 91) Fisher's Tea Drinker": of the
/// four cups with milk poured first she named three; of the four with tea first, one.
/// `fisher.test(TeaTasting, alternative = "greater")` "=> p = 0.2429". Exactly:
/// (C(4,3) C(4,1) + C(4,4) C(4,0)) / C(8,4) = (16 + 1) / 70.
#[test]
fn fisher_lady_tasting_tea() {
    let milk_first = binary(3, 1); // guessed "milk" for 3 of the 4 milk-first cups
    let tea_first = binary(1, 3); // and for 1 of the 4 tea-first cups
    let r = fisher_exact_test(&milk_first, &tea_first, Above).expect("runs");
    close(r.p_value, 0.2429, 0.00005, "published p");
    close(r.p_value, 17.0 / 70.0, 1e-12, "exact p");
    assert_eq!(r.statistic, 3.0);
    assert_eq!(r.working, Working::Hypergeometric { cohort_successes: 3, total_successes: 4, total: 8 });
    assert_eq!((r.cohort.n, r.cohort.mean, r.control.mean), (4, 0.75, 0.25));
}

/// R, `?fisher.test`, "Fisher (1962, 1970), Criminal convictions of like-sex twins":
/// dizygotic 2 convicted of 17, monozygotic 10 of 13; `fisher.test(Convictions,
/// alternative = "less")` prints p-value = 0.0004652. By hand, P(A <= 2) with N = 30,
/// K = 12, n = 17: (C(12,0) C(18,17) + C(12,1) C(18,16) + C(12,2) C(18,15)) / C(30,17)
/// = (18 + 1836 + 53856) / 119759850.
#[test]
fn fisher_convictions_of_twins() {
    let dizygotic = binary(2, 15);
    let monozygotic = binary(10, 3);
    let r = fisher_exact_test(&dizygotic, &monozygotic, Below).expect("runs");
    close(r.p_value, 0.0004652, 0.00000005, "published p");
    close(r.p_value, 55710.0 / 119759850.0, 1e-15, "exact p");
    // The other tail holds the rest, and the observed table itself.
    let greater = fisher_exact_test(&dizygotic, &monozygotic, Above).expect("runs");
    close(greater.p_value, 1.0 - (18.0 + 1836.0) / 119759850.0, 1e-12, "upper tail");
}

// ---------------------------------------------------------------------------------------
// Welch's t-test
// ---------------------------------------------------------------------------------------

/// Student's sleep data (R `datasets::sleep`, Cushny & Peebles 1905), `t.test(extra ~ group,
/// data = sleep)`: Welch Two Sample t-test, t = -1.8608, df = 17.776, p-value = 0.07939
/// (two-sided; the same figures are printed by `afex::compare.2.vectors`' documented example).
const SLEEP_1: [f64; 10] = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
const SLEEP_2: [f64; 10] = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];

#[test]
fn welch_student_sleep_data() {
    let r = welch_t_test(&SLEEP_1, &SLEEP_2, Below).expect("runs");
    close(r.statistic, -1.8608, 0.00005, "t");
    let Working::Welch { df, .. } = r.working else { panic!("Welch working: {:?}", r.working) };
    close(df, 17.776, 0.0005, "df");
    close(r.p_value, 0.07939 / 2.0, 0.000005, "one-sided p");
    close(r.cohort.mean, 0.75, 1e-12, "mean of group 1");
    close(r.control.mean, 2.33, 1e-12, "mean of group 2");
    // The wrong direction is the complement.
    let above = welch_t_test(&SLEEP_1, &SLEEP_2, Above).expect("runs");
    close(above.p_value, 1.0 - r.p_value, 1e-12, "complement");
}

/// R, `?t.test` examples: `t.test(1:10, y = c(7:20))  # P = .00001855` and
/// `t.test(1:10, y = c(7:20, 200))  # P = .1245 -- NOT significant anymore` (two-sided,
/// Welch); printed as t = -5.4349, df = 21.982 for the first.
#[test]
fn welch_r_documentation_examples() {
    let x: Vec<f64> = (1..=10).map(f64::from).collect();
    let y: Vec<f64> = (7..=20).map(f64::from).collect();
    let r = welch_t_test(&x, &y, Below).expect("runs");
    close(r.statistic, -5.4349, 0.00005, "t");
    let Working::Welch { df, .. } = r.working else { panic!("Welch working") };
    close(df, 21.982, 0.0005, "df");
    close(r.p_value, 0.00001855 / 2.0, 0.000000005, "one-sided p");

    let mut y_outlier = y.clone();
    y_outlier.push(200.0);
    let r = welch_t_test(&x, &y_outlier, Below).expect("runs");
    close(r.p_value, 0.1245 / 2.0, 0.00005, "one-sided p with the outlier");
}

/// One constant side: the test still runs. Cohort 5, 5, 5 against 1, 2, 3 gives
/// t = 3 / sqrt(1/3) = 3√3 and df = 2, where Student's t has the closed form
/// P(T > t) = (1 - t / sqrt(2 + t²)) / 2 = (1 - 3√3/√29) / 2.
#[test]
fn welch_one_constant_side_against_the_closed_form() {
    let r = welch_t_test(&[5.0, 5.0, 5.0], &[1.0, 2.0, 3.0], Above).expect("runs");
    close(r.statistic, 3.0 * 3f64.sqrt(), 1e-12, "t");
    let Working::Welch { df, .. } = r.working else { panic!("Welch working") };
    close(df, 2.0, 1e-12, "df");
    close(r.p_value, (1.0 - 3.0 * 3f64.sqrt() / 29f64.sqrt()) / 2.0, 1e-10, "p");
}

// ---------------------------------------------------------------------------------------
// Mann–Whitney U
// ---------------------------------------------------------------------------------------

/// R, `?wilcox.test`, Hollander & Wolfe (1973), 69f: permeability constants of the human
/// chorioamnion at term (x) and at 12 to 26 weeks (y). `wilcox.test(x, y, alternative =
/// "g")` prints W = 35, p-value = 0.1272 (exact: no ties, small samples);
/// `wilcox.test(x, y, alternative = "greater", exact = FALSE, correct = FALSE)  # H&W large
/// sample approximation` prints p-value = 0.1103.
#[test]
fn mann_whitney_hollander_wolfe() {
    let x = [0.80, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
    let y = [1.15, 0.88, 0.90, 0.74, 1.21];
    let exact = mann_whitney_u_test(&x, &y, Above).expect("runs");
    assert_eq!(exact.statistic, 35.0);
    assert!(matches!(exact.working, Working::RankSumExact { .. }), "{:?}", exact.working);
    close(exact.p_value, 0.1272, 0.00005, "exact p");

    let options = MannWhitneyOptions { allow_exact: false, continuity_correction: false };
    let normal = mann_whitney_u_test_with(&x, &y, Above, options).expect("runs");
    assert_eq!(normal.statistic, 35.0);
    close(normal.p_value, 0.1103, 0.00005, "large-sample p");
}

/// Ties, normal approximation with tie and continuity corrections: the sleep data (above),
/// W = 25.5 and two-sided p = 0.06933, as printed (`stats::Wilcoxon`) in
/// `afex::compare.2.vectors`' documented example.
#[test]
fn mann_whitney_sleep_data_with_ties() {
    let r = mann_whitney_u_test(&SLEEP_1, &SLEEP_2, Below).expect("runs");
    assert_eq!(r.statistic, 25.5);
    let Working::RankSumNormal { ties, continuity_correction, expected, .. } = r.working else {
        panic!("normal approximation: {:?}", r.working)
    };
    assert!(ties && continuity_correction);
    assert_eq!(expected, 50.0);
    close(r.p_value, 0.06933 / 2.0, 0.000005, "one-sided p");
}

/// Ties again (EndMemo's R `wilcox.test` reference page): x = 1, 5, 9, 24, 56, 21, 3, 7, 21,
/// 4 and y = 12, 15, 5, 9, 9, 14, 56, 22, 3, 7, 32, 5 print "Wilcoxon rank sum test with
/// continuity correction: W = 51.5, p-value = 0.5966" (two-sided).
#[test]
fn mann_whitney_endmemo_example_with_ties() {
    let x = [1.0, 5.0, 9.0, 24.0, 56.0, 21.0, 3.0, 7.0, 21.0, 4.0];
    let y = [12.0, 15.0, 5.0, 9.0, 9.0, 14.0, 56.0, 22.0, 3.0, 7.0, 32.0, 5.0];
    let r = mann_whitney_u_test(&x, &y, Below).expect("runs");
    assert_eq!(r.statistic, 51.5);
    close(r.p_value, 0.5966 / 2.0, 0.00005, "one-sided p");
}

/// The exact distribution by hand: cohort 3, 4 against control 1, 2 is the most extreme of
/// the C(4, 2) = 6 equally likely rank sets, so P(U >= 4) = 1/6; and P(U <= 4) = 1.
#[test]
fn mann_whitney_exact_by_hand() {
    let r = mann_whitney_u_test(&[3.0, 4.0], &[1.0, 2.0], Above).expect("runs");
    assert_eq!(r.statistic, 4.0);
    close(r.p_value, 1.0 / 6.0, 1e-15, "p");
    let r = mann_whitney_u_test(&[3.0, 4.0], &[1.0, 2.0], Below).expect("runs");
    close(r.p_value, 1.0, 1e-15, "p");
}

// ---------------------------------------------------------------------------------------
// Permutation test
// ---------------------------------------------------------------------------------------

/// Rosetta Code, "Permutation test" (task and its talk page): treatment 85, 88, 75, 66, 25,
/// 29, 83, 39, 97 against control 68, 41, 10, 49, 16, 65, 32, 92, 28, 98; of the C(19, 9) =
/// 92378 splits, 80551 have a difference in means less than or equal to the observed one
/// (313 of them equal to it) and 11827 greater. So P(diff >= observed) = (11827 + 313) /
/// 92378 and P(diff <= observed) = 80551 / 92378.
const TREATMENT: [f64; 9] = [85.0, 88.0, 75.0, 66.0, 25.0, 29.0, 83.0, 39.0, 97.0];
const PLACEBO: [f64; 10] = [68.0, 41.0, 10.0, 49.0, 16.0, 65.0, 32.0, 92.0, 28.0, 98.0];

#[test]
fn permutation_rosetta_code_exact() {
    let above = permutation_test(&TREATMENT, &PLACEBO, Above).expect("runs");
    assert_eq!(above.working, Working::PermutationExact { splits: 92378, at_least_as_extreme: 11827 + 313 });
    close(above.p_value, 12140.0 / 92378.0, 1e-15, "p above");
    close(above.statistic, 587.0 / 9.0 - 499.0 / 10.0, 1e-12, "difference in means");

    let below = permutation_test(&TREATMENT, &PLACEBO, Below).expect("runs");
    assert_eq!(below.working, Working::PermutationExact { splits: 92378, at_least_as_extreme: 80551 });

    // The larger group as the cohort: the smaller (control) side is the one enumerated, and
    // the tails swap with the roles.
    let swapped = permutation_test(&PLACEBO, &TREATMENT, Below).expect("runs");
    assert_eq!(swapped.working, Working::PermutationExact { splits: 92378, at_least_as_extreme: 12140 });
}

/// Nettleton (Iowa State, STAT 401, "randomization test"): A scored 7 and 5, B 3 and 1; of
/// the six assignments two are as far from 0 as the observed difference of 4 (two-sided
/// p = 2/6), one of them in the direction A above B: one-sided p = 1/6.
#[test]
fn permutation_iowa_state_four_subjects() {
    let r = permutation_test(&[7.0, 5.0], &[3.0, 1.0], Above).expect("runs");
    assert_eq!(r.statistic, 4.0);
    close(r.p_value, 1.0 / 6.0, 1e-15, "p");
}

/// Sampling instead of enumerating (forced by an exact limit of 0): reproducible to the bit,
/// `(b + 1) / (R + 1)`, and within Monte Carlo error (4 standard errors) of the exact p.
#[test]
fn permutation_sampled_is_reproducible_and_close_to_exact() {
    let options = PermutationOptions { exact_limit: 0, ..PermutationOptions::default() };
    let first = permutation_test_with(&TREATMENT, &PLACEBO, Above, options).expect("runs");
    let second = permutation_test_with(&TREATMENT, &PLACEBO, Above, options).expect("runs");
    assert_eq!(first.p_value.to_bits(), second.p_value.to_bits());
    let Working::PermutationSampled { permutations, seed, at_least_as_extreme } = first.working else {
        panic!("sampled: {:?}", first.working)
    };
    assert_eq!((permutations, seed), (stats::PERMUTATIONS, stats::PERMUTATION_SEED));
    assert_eq!(first.p_value, (at_least_as_extreme + 1) as f64 / (f64::from(permutations) + 1.0));
    let exact = 12140.0 / 92378.0;
    let standard_error = (exact * (1.0 - exact) / f64::from(permutations)).sqrt();
    close(first.p_value, exact, 4.0 * standard_error, "sampled p");
    // A large sample takes the sampled path by default.
    let cohort: Vec<f64> = (0..40).map(|i| f64::from(i % 7)).collect();
    let control: Vec<f64> = (0..40).map(|i| f64::from(i % 5)).collect();
    let r = permutation_test(&cohort, &control, Above).expect("runs");
    assert!(matches!(r.working, Working::PermutationSampled { .. }), "{:?}", r.working);
}

// ---------------------------------------------------------------------------------------
// Two-proportion z-test
// ---------------------------------------------------------------------------------------

/// Penn State STAT 415, "Comparing Two Proportions" (Time magazine poll: should the federal
/// tax on cigarettes be raised to pay for health care reform?): 351 of 605 non-smokers and
/// 41 of 195 smokers said yes; pooled p̂ = 392/800 = 0.49, Z = 8.99.
#[test]
fn z_test_penn_state_cigarette_tax() {
    let r = two_proportion_z_test(&binary(351, 605 - 351), &binary(41, 195 - 41), Above).expect("runs");
    close(r.statistic, 8.99, 0.005, "z");
    let Working::PooledProportion { pooled, .. } = r.working else { panic!("pooled working") };
    close(pooled, 0.49, 1e-12, "pooled proportion");
    assert!(r.p_value < 1e-15, "p = {}", r.p_value);
}

/// Stat Trek, "Hypothesis test: difference between proportions" (the Acme Drug Company
/// problem): 38% of 100 women and 51% of 200 men caught a cold; pooled p = 140/300,
/// SE = 0.0611, z = -2.1276 (worked to four decimals in the published solutions), which a
/// standard normal table puts between Φ(-2.13) = 0.0166 and Φ(-2.12) = 0.0170.
#[test]
fn z_test_stat_trek_acme_drug() {
    let r = two_proportion_z_test(&binary(38, 62), &binary(102, 98), Below).expect("runs");
    close(r.statistic, -2.1276, 0.00005, "z");
    let Working::PooledProportion { standard_error, .. } = r.working else { panic!("pooled working") };
    close(standard_error, 0.0611, 0.00005, "standard error");
    assert!((0.0166..=0.0170).contains(&r.p_value), "p = {}", r.p_value);
    let above = two_proportion_z_test(&binary(38, 62), &binary(102, 98), Above).expect("runs");
    close(above.p_value + r.p_value, 1.0, 1e-12, "the two tails");
}

/// UsableStats ("compare two proportions"): 118 and 80 of 3303 in each group; pooled
/// 0.02997, SE 0.004196, z = 2.74195, one-sided p = 0.00305.
#[test]
fn z_test_usablestats_example() {
    let r = two_proportion_z_test(&binary(118, 3303 - 118), &binary(80, 3303 - 80), Above).expect("runs");
    close(r.statistic, 2.742, 0.0005, "z");
    close(r.p_value, 0.00305, 0.000005, "one-sided p");
}

// ---------------------------------------------------------------------------------------
// The language's names, and what cannot be tested
// ---------------------------------------------------------------------------------------

#[test]
fn every_name_the_checker_accepts_runs() {
    assert_eq!(stats::TEST_NAMES, payable::check::SIGNIFICANCE_TESTS);
    for name in payable::check::SIGNIFICANCE_TESTS {
        let r = stats::run(name, &binary(6, 4), &binary(3, 7), Above).expect("runs");
        assert_eq!(r.test, *name);
        assert!((0.0..=1.0).contains(&r.p_value), "{name}: {}", r.p_value);
    }
    assert_eq!(
        stats::run("t_test", &[1.0], &[1.0], Above).map(|r| r.p_value),
        Err(StatsError::UnknownTest("t_test".into()))
    );
}

#[test]
fn empty_samples_are_errors_for_every_test() {
    for name in stats::TEST_NAMES {
        assert_eq!(
            stats::run(name, &[], &[1.0, 0.0], Above).map(|r| r.p_value),
            Err(StatsError::Empty { side: Side::Cohort }),
            "{name}"
        );
        assert_eq!(
            stats::run(name, &[1.0, 0.0], &[], Below).map(|r| r.p_value),
            Err(StatsError::Empty { side: Side::Control }),
            "{name}"
        );
    }
}

#[test]
fn bad_values_are_errors_not_nan() {
    for name in stats::TEST_NAMES {
        let err = stats::run(name, &[1.0, f64::NAN], &[0.0, 1.0], Above).map(|r| r.p_value);
        assert_eq!(err, Err(StatsError::NotFinite { side: Side::Cohort, index: 1 }), "{name}");
        let err = stats::run(name, &[1.0, 0.0], &[f64::INFINITY, 1.0], Above).map(|r| r.p_value);
        assert_eq!(err, Err(StatsError::NotFinite { side: Side::Control, index: 0 }), "{name}");
    }
    for test in [two_proportion_z_test, fisher_exact_test] {
        assert_eq!(
            test(&[1.0, 0.5], &[0.0], Above).map(|r| r.p_value),
            Err(StatsError::NotBinary { side: Side::Cohort, index: 1, value: 0.5 })
        );
    }
    assert_eq!(
        welch_t_test(&[1.0], &[1.0, 2.0], Above).map(|r| r.p_value),
        Err(StatsError::TooFew { side: Side::Cohort, needed: 2, got: 1 })
    );
    // Every error reads as a sentence an explanation can show.
    assert_eq!(
        StatsError::Empty { side: Side::Control }.to_string(),
        "the control group has no members to compare"
    );
}

fn assert_no_variation(r: &TestResult) {
    assert_eq!(r.working, Working::NoVariation, "{}", r.test);
    assert_eq!(r.p_value, 1.0, "{}", r.test);
}

#[test]
fn zero_variance_and_all_ties() {
    // Nobody (or everybody) achieved on either side: equal proportions, no evidence.
    for value in [0.0, 1.0] {
        let same = [value; 5];
        let r = two_proportion_z_test(&same, &[value; 8], Above).expect("runs");
        assert_no_variation(&r);
        assert_eq!(r.statistic, 0.0);
        let r = fisher_exact_test(&same, &[value; 8], Above).expect("runs");
        close(r.p_value, 1.0, 1e-12, "fisher with one possible table");
    }
    // Welch: equal constants are no evidence; different constants are undefined.
    assert_no_variation(&welch_t_test(&[2.0, 2.0], &[2.0, 2.0, 2.0], Below).expect("runs"));
    assert_eq!(welch_t_test(&[3.0, 3.0], &[5.0, 5.0], Below).map(|r| r.p_value), Err(StatsError::NoVariance));
    // All ties: U is its expectation, and there is no order to test.
    let r = mann_whitney_u_test(&[4.0; 6], &[4.0; 3], Above).expect("runs");
    assert_no_variation(&r);
    assert_eq!(r.statistic, 9.0);
    // Every split of equal values is as extreme as the observed one.
    let r = permutation_test(&[4.0; 6], &[4.0; 3], Above).expect("runs");
    assert_eq!(r.p_value, 1.0);
    let options = PermutationOptions { exact_limit: 0, ..PermutationOptions::default() };
    assert_eq!(permutation_test_with(&[4.0; 6], &[4.0; 3], Below, options).expect("runs").p_value, 1.0);
}

#[test]
fn significance_is_p_below_the_level() {
    let r = fisher_exact_test(&binary(3, 1), &binary(1, 3), Above).expect("runs");
    assert!(!r.is_significant(Decimal::from(5)));
    assert!(r.is_significant(Decimal::from(25)));
    let r = fisher_exact_test(&binary(2, 15), &binary(10, 3), Below).expect("runs");
    assert!(r.is_significant(Decimal::from(5)));
    assert!(r.is_significant(Decimal::new(1, 1))); // 0.1%
}
