//! The certified limit-graphon routines over their whole domain (issue #17, items 1 and 2):
//! every accepted input gives a valid enclosure with the invariants of a graphon, or a typed
//! refusal. Strategies reach the domain's edges (theory/convergence.md, "Domain"): profile
//! values and noise scales at 1e-50 and 1e50, exp rates up to 64, powers from the smallest
//! normal number to 16, nearly constant and tiny-step profiles, densities at 1e-9 and 1 − 1e-9.
//!
//! Containment is checked against closed forms (constant profiles), exact rationals (step
//! profiles with uniform noise, where g is piecewise linear in τ) and, with `--features mpfr`,
//! the MPFR solver.

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, Zero};
use pai_graphon::convergence::limit::{Fsm, DENSITY_MIN, GRID_MAX};
use pai_graphon::convergence::noise::{NOISE_SCALE_MAX, NOISE_SCALE_MIN};
use pai_graphon::convergence::profile::{
    Profile, EXP_RATE_MAX, POWER_MAX, PROFILE_VALUE_MAX, PROFILE_VALUE_MIN,
};
use pai_graphon::convergence::ConvergenceError;
use pai_graphon::params::Density;
use proptest::prelude::*;

/// Rounding allowance of the outward-rounded ends ρ⁴ and ρ in `c4_density` (8 ε each).
const END_ROUNDING: f64 = 8.0 * f64::EPSILON;

/// A log-uniform value in [lo, hi] with the ends themselves drawn often.
fn log_uniform(lo: f64, hi: f64) -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(lo),
        1 => Just(hi),
        4 => (lo.ln()..hi.ln()).prop_map(move |t| t.exp().clamp(lo, hi)),
    ]
}

fn positive_value() -> impl Strategy<Value = f64> {
    log_uniform(PROFILE_VALUE_MIN, PROFILE_VALUE_MAX)
}

/// Profile specs over the whole domain, edges included.
fn profile() -> impl Strategy<Value = String> {
    prop_oneof![
        positive_value().prop_map(|c| format!("const:{c:e}")),
        // nearly constant: a slope many orders below the intercept
        (positive_value(), -30.0f64..0.0).prop_map(|(a, r)| format!(
            "affine:{a:e},{:e}",
            (a * 10f64.powf(r)).max(PROFILE_VALUE_MIN)
        )),
        log_uniform(PROFILE_VALUE_MIN, PROFILE_VALUE_MAX / 2.0)
            .prop_map(|b| format!("affine:0,{b:e}")),
        prop_oneof![Just(f64::MIN_POSITIVE), Just(POWER_MAX), 1e-6f64..POWER_MAX]
            .prop_map(|p| format!("power:{p:e}")),
        prop_oneof![
            Just(0.0),
            Just(1e-300),
            Just(EXP_RATE_MAX),
            0.0f64..EXP_RATE_MAX
        ]
        .prop_map(|a| format!("exp:{a:e}")),
        // a tiny step: two levels a relative 1e-12 apart, a breakpoint pair 1e-12 apart
        (
            log_uniform(PROFILE_VALUE_MIN, PROFILE_VALUE_MAX / 4.0),
            0.01f64..0.98
        )
            .prop_map(|(l, b)| format!(
                "step:{b},{};{l:e},{:e},{:e}",
                b + 1e-12,
                l * (1.0 + 1e-12),
                l * 2.0
            )),
        // a step with a zero cell
        (positive_value(), 0.01f64..0.9).prop_map(|(l, b)| format!("step:{b};0,{l:e}")),
        prop::collection::vec(positive_value(), 1..6).prop_map(|v| {
            let s: Vec<String> = v.iter().map(|x| format!("{x:e}")).collect();
            format!("empirical:{}", s.join(","))
        }),
    ]
}

fn noise() -> impl Strategy<Value = String> {
    (any::<bool>(), log_uniform(NOISE_SCALE_MIN, NOISE_SCALE_MAX)).prop_map(|(g, s)| {
        if g {
            format!("gaussian:{s:e}")
        } else {
            format!("uniform:{s:e}")
        }
    })
}

/// A density written in a test.
fn rho_(rho: f64) -> Density {
    Density::new(rho).unwrap()
}

fn density() -> impl Strategy<Value = f64> {
    prop_oneof![
        1 => Just(DENSITY_MIN),
        1 => Just(1.0 - DENSITY_MIN),
        1 => Just(0.5),
        3 => log_uniform(DENSITY_MIN, 0.5),
        2 => log_uniform(DENSITY_MIN, 0.5).prop_map(|x| 1.0 - x),
    ]
}

/// Every invariant of a certified limit graphon at (row, col, noise, ρ), or a typed refusal.
fn check_all(row: &str, col: &str, noise: &str, rho: f64) -> Result<(), TestCaseError> {
    let case = format!("{row} × {col}, {noise}, ρ = {rho:e}");
    let fsm = match Fsm::parse(row, col, noise) {
        Ok(f) => f,
        // a combination outside the domain (e.g. a + b above the largest value): typed refusal
        Err(ConvergenceError::Domain { .. }) => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(format!("{case}: {e}"))),
    };
    // Outside (0, 1) ρ is refused by its type, before any model sees it.
    let Ok(density) = Density::new(rho) else {
        return Ok(());
    };
    let w = match fsm.limit_graphon(density) {
        Ok(w) => w,
        // ρ above the positive measure, or a certificate refused: typed, never a wrong answer
        Err(
            ConvergenceError::Density { .. }
            | ConvergenceError::NoThreshold { .. }
            | ConvergenceError::NotCertified { .. },
        ) => return Ok(()),
        Err(e) => return Err(TestCaseError::fail(format!("{case}: unexpected error {e}"))),
    };
    let t = w.tau;
    let (lo, hi) = t.interval;
    prop_assert!(
        lo.is_finite() && hi.is_finite() && 0.0 <= lo && lo <= t.value && t.value <= hi,
        "{case}: τ* = {:e} in [{lo:e}, {hi:e}]",
        t.value
    );
    let d = w.density_check();
    prop_assert!(
        d.lo <= rho && rho <= d.hi,
        "{case}: ∫∫W in [{:e}, {:e}]",
        d.lo,
        d.hi
    );
    let c4 = w
        .c4_density(64)
        .map_err(|e| TestCaseError::fail(format!("{case}: t(C4) {e}")))?;
    let rho4 = rho.powi(4);
    prop_assert!(
        c4.lo >= rho4 * (1.0 - END_ROUNDING) && c4.lo <= c4.value && c4.value <= c4.hi,
        "{case}: t(C4) = {:e} in [{:e}, {:e}], ρ⁴ = {rho4:e}",
        c4.value,
        c4.lo,
        c4.hi
    );
    prop_assert!(
        c4.hi <= rho * (1.0 + END_ROUNDING),
        "{case}: t(C4) ≤ ρ violated"
    );
    for x in [0.0, 0.3, 0.999, 1.0] {
        for q in [w.row_degree(x).unwrap(), w.col_degree(x).unwrap()] {
            prop_assert!(
                0.0 <= q.lo && q.lo <= q.hi && q.hi <= 1.0,
                "{case}: degree at {x}: [{:e}, {:e}]",
                q.lo,
                q.hi
            );
        }
    }
    let m = w.w_grid(4).unwrap();
    for i in 0..4 {
        for j in 0..4 {
            prop_assert!((0.0..=1.0).contains(&m[(i, j)]), "{case}: W outside [0, 1]");
        }
    }
    Ok(())
}

/// The level of a constant profile spec, if it is one.
fn constant(spec: &str) -> Option<f64> {
    match Profile::parse(spec).ok()? {
        Profile::Constant(c) => Some(c),
        _ => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Valid enclosures and graphon invariants everywhere in the domain.
    #[test]
    fn limit_graphon_invariants_over_the_domain(
        row in profile(), col in profile(), noise in noise(), rho in density(),
    ) {
        check_all(&row, &col, &noise, rho)?;
    }

    /// Constant profiles: τ* = c₁ c₂ T⁻¹(ρ) (the quantile to 6 ε) lies in the interval.
    #[test]
    fn constant_profiles_contain_the_closed_form(
        a in positive_value(), b in positive_value(), noise in noise(), rho in density(),
    ) {
        let (row, col) = (format!("const:{a:e}"), format!("const:{b:e}"));
        let fsm = Fsm::parse(&row, &col, &noise).unwrap();
        let (a, b) = (constant(&row).unwrap(), constant(&col).unwrap());
        let t = fsm.tau_star(rho_(rho)).unwrap();
        let exact = a * b * fsm.noise.law().tail_inverse(rho);
        let slack = 16.0 * f64::EPSILON * exact;
        prop_assert!(
            t.interval.0 <= exact + slack && exact - slack <= t.interval.1,
            "{row} × {col}, {noise}, ρ = {rho:e}: {exact:e} outside {:?}", t.interval
        );
        check_all(&row, &col, &noise, rho)?;
    }

    /// Step × step profiles with uniform noise: g(τ) = Σ cells |cell| (1 − τ/(a l l'))₊ exactly,
    /// so g(lo) ≥ ρ ≥ g(hi) is checked in exact rationals.
    #[test]
    fn step_uniform_interval_is_exact_in_rationals(
        lr in prop::collection::vec(log_uniform(1e-3, 1e3), 1..5),
        lc in prop::collection::vec(log_uniform(1e-3, 1e3), 1..5),
        a in log_uniform(NOISE_SCALE_MIN, NOISE_SCALE_MAX),
        rho in density(),
    ) {
        let spec = |v: &[f64]| {
            let s: Vec<String> = v.iter().map(|x| format!("{x:e}")).collect();
            format!("empirical:{}", s.join(","))
        };
        let (row, col, noise) = (spec(&lr), spec(&lc), format!("uniform:{a:e}"));
        let fsm = Fsm::parse(&row, &col, &noise).unwrap();
        let t = fsm.tau_star(rho_(rho)).unwrap();
        let g = |tau: f64| exact_step_uniform_g(&fsm, tau);
        let r = BigRational::from_float(rho).unwrap();
        prop_assert!(
            g(t.interval.0) >= r && g(t.interval.1) <= r,
            "{row} × {col}, {noise}, ρ = {rho:e}: interval {:?} does not bracket τ*", t.interval
        );
    }
}

/// g(τ) in exact rationals for step profiles and `uniform:a`.
fn exact_step_uniform_g(fsm: &Fsm, tau: f64) -> BigRational {
    let cells = |p: &Profile| -> Vec<(BigRational, BigRational)> {
        let Profile::Step { breaks, levels } = p else {
            panic!("step profiles only")
        };
        let mut ends = vec![0.0];
        ends.extend_from_slice(breaks);
        ends.push(1.0);
        let q = |x: f64| BigRational::from_float(x).unwrap();
        (0..levels.len())
            .map(|m| (q(ends[m + 1]) - q(ends[m]), q(levels[m])))
            .collect()
    };
    let a = match fsm.noise {
        pai_graphon::convergence::noise::Noise::Uniform(u) => BigRational::from_float(u.a).unwrap(),
        _ => panic!("uniform only"),
    };
    let tau = BigRational::from_float(tau).unwrap();
    let one = BigRational::from_integer(BigInt::from(1));
    let mut total = BigRational::zero();
    for (wu, lu) in cells(&fsm.row) {
        for (wv, lv) in cells(&fsm.col) {
            let p = &a * &lu * &lv;
            if p.is_positive() {
                let t = &one - &tau / p;
                if t.is_positive() {
                    total += &wu * &wv * t;
                }
            }
        }
    }
    total
}

/// Issue #17: `power:1e300` is positive on (0, 1] but zero in f64 below u ≈ 1: it gave
/// t(C4) − ρ⁴ ∈ [−0.0016, −0.00158]. It is outside the domain now.
#[test]
fn regression_power_1e300_is_refused_at_parse_time() {
    let e = Profile::parse("power:1e300").unwrap_err();
    assert!(
        matches!(
            e,
            ConvergenceError::Domain {
                what: "power p",
                ..
            }
        ),
        "{e}"
    );
    // the largest accepted power still gives valid invariants
    check_all(&format!("power:{POWER_MAX}"), "exp:3", "gaussian:1", 0.2).unwrap();
}

/// A model built from the public fields, bypassing the parsers, meets the same domain.
#[test]
fn models_built_without_the_parsers_are_refused_outside_the_domain() {
    use pai_graphon::convergence::noise::{HalfNormal, Noise};
    let mut f = Fsm::figure1();
    f.row = Profile::Power(1e300);
    assert!(matches!(
        f.tau_star(rho_(0.2)),
        Err(ConvergenceError::Domain { .. })
    ));
    let mut f = Fsm::figure1();
    f.noise = Noise::Gaussian(HalfNormal { sigma: 1e-300 });
    assert!(matches!(
        f.limit_graphon(rho_(0.2)),
        Err(ConvergenceError::Domain { .. })
    ));
}

/// Issue #17: ρ = 1e-300 gave τ* "certified in [0, ∞]".
#[test]
fn regression_tiny_density_is_refused() {
    let e = Fsm::figure1().tau_star(rho_(1e-300)).unwrap_err();
    assert!(
        matches!(
            e,
            ConvergenceError::Domain {
                what: "density ρ",
                ..
            }
        ),
        "{e}"
    );
    check_all("exp:3", "exp:3", "gaussian:1", DENSITY_MIN).unwrap();
    check_all("exp:3", "exp:3", "gaussian:1", 1.0 - DENSITY_MIN).unwrap();
}

/// Issue #17: underflowing and overflowing noise scales made the solver spin.
#[test]
fn regression_extreme_noise_scales_end() {
    for s in ["1e-300", "1e300", "5e-324"] {
        for law in ["gaussian", "uniform"] {
            let e = Fsm::parse("exp:3", "exp:3", &format!("{law}:{s}")).unwrap_err();
            assert!(
                matches!(e, ConvergenceError::Domain { .. }),
                "{law}:{s}: {e}"
            );
        }
    }
    for s in [NOISE_SCALE_MIN, NOISE_SCALE_MAX] {
        for law in ["gaussian", "uniform"] {
            check_all("exp:64", "power:16", &format!("{law}:{s:e}"), 0.2).unwrap();
        }
    }
}

/// Found by `limit_graphon_invariants_over_the_domain`: nearly constant profiles put τ* within
/// rounding of the a-priori upper bound φ(1)ψ(1)T⁻¹(ρ), and a τ̂ one ulp above it was refused.
#[test]
fn regression_nearly_constant_profiles_are_certified() {
    let top = 1.0 - DENSITY_MIN;
    for (r, c, n, rho) in [
        (
            "const:1.0574399530039156e-43",
            "affine:1e50,8.050800772588616e24",
            "gaussian:3.5655579151160727e-1",
            top,
        ),
        (
            "exp:1e-300",
            "power:2.2250738585072014e-308",
            "gaussian:6.773439896667835e-2",
            top,
        ),
        (
            "affine:4.1075856408091094e41,9.96060628536911e20",
            "exp:0e0",
            "gaussian:2.651814175048599e-49",
            9.993444307227511e-1,
        ),
    ] {
        let f = Fsm::parse(r, c, n).unwrap();
        let t = f.tau_star(rho_(rho)).unwrap();
        assert!(
            t.interval.0 <= t.value && t.value <= t.interval.1,
            "{r} × {c}: {t:?}"
        );
        check_all(r, c, n, rho).unwrap();
    }
}

/// A degree at a point where the profile underflows to 0 in f64 but is positive: the upper
/// end must not be 0 when τ* may be 0 from below.
#[test]
fn degree_upper_end_survives_underflow() {
    let w = Fsm::parse("power:16", "power:16", "uniform:1e-50")
        .unwrap()
        .limit_graphon(rho_(1.0 - DENSITY_MIN))
        .unwrap();
    let q = w.row_degree(1e-30).unwrap();
    assert!(q.lo <= q.value && q.value <= q.hi && q.hi <= 1.0, "{q:?}");
    if w.tau.interval.0 == 0.0 {
        assert!(q.hi > 0.0, "{q:?}");
    }
}

/// Issue #17: `--grid 100000000000` aborted on an 800 GB allocation in `c4_density`.
#[test]
fn regression_huge_grid_is_refused_before_allocating() {
    let w = Fsm::figure1().limit_graphon(rho_(0.2)).unwrap();
    for k in [GRID_MAX + 1, 100_000_000_000] {
        assert!(matches!(
            w.c4_density(k),
            Err(ConvergenceError::TooLarge { max: GRID_MAX, .. })
        ));
        assert!(matches!(
            w.w_grid(k),
            Err(ConvergenceError::TooLarge { .. })
        ));
    }
}

/// The extreme corners of the domain all end with valid invariants or a typed refusal.
#[test]
fn domain_corners() {
    let profiles = [
        format!("const:{PROFILE_VALUE_MIN:e}"),
        format!("const:{PROFILE_VALUE_MAX:e}"),
        format!("exp:{EXP_RATE_MAX}"),
        format!("power:{POWER_MAX}"),
        "power:2.2250738585072014e-308".to_string(),
        format!("affine:0,{PROFILE_VALUE_MAX:e}"),
        format!("step:0.5;0,{PROFILE_VALUE_MIN:e}"),
        format!("step:0.999999999;{PROFILE_VALUE_MIN:e},{PROFILE_VALUE_MAX:e}"),
    ];
    for r in &profiles {
        for c in &profiles {
            for n in ["gaussian:1e-50", "uniform:1e50"] {
                for rho in [DENSITY_MIN, 0.3, 1.0 - DENSITY_MIN] {
                    check_all(r, c, n, rho).unwrap();
                }
            }
        }
    }
}

#[cfg(feature = "mpfr")]
mod mpfr {
    use super::*;

    /// The MPFR τ* (agreement-checked to far below the f64 interval widths) lies in the f64
    /// certified interval at the domain's corners.
    #[test]
    fn mpfr_tau_star_lies_in_the_certified_interval() {
        let cases = [
            ("exp:64", "exp:3", "gaussian:1", "0.2"),
            ("power:16", "exp:1", "gaussian:1e-50", "0.5"),
            ("exp:3", "exp:3", "gaussian:1", "1e-9"),
            (
                "affine:1e-50,1e50",
                "const:1",
                "uniform:1e50",
                "0.999999999",
            ),
            ("step:0.5;1e-50,1e50", "exp:10", "gaussian:3", "0.01"),
        ];
        for (r, c, n, rho) in cases {
            let fsm = Fsm::parse(r, c, n).unwrap();
            let t = fsm.tau_star(rho.parse().unwrap()).unwrap();
            let mp = pai_graphon::mp::limit::tau_star_mp(&fsm, rho, 128).unwrap();
            let v = mp.value.to_f64();
            assert!(
                t.interval.0 <= v && v <= t.interval.1,
                "{r} × {c}, {n}, ρ = {rho}: MPFR {v:e} outside {:?}",
                t.interval
            );
        }
    }
}
/// Found by the CLI probe `domain_edges_are_certified`: the t(C4) bracket allowed for the
/// rounding of a (2k + 8)-term sum, but its running total adds k² terms; at k = 256 its upper
/// end fell below the exact t(C4) = ρ⁴ of a constant graphon (now refused by the ρ⁴ check, then
/// fixed by the allowance γ(k² + 2k + 8)).
#[test]
fn regression_c4_bracket_rounding_covers_the_double_sum() {
    let rho = 1.0 - DENSITY_MIN;
    let w = Fsm::parse("const:1e50", "const:1e50", "gaussian:1e50")
        .unwrap()
        .limit_graphon(rho_(rho))
        .unwrap();
    for k in [1, 16, 256, GRID_MAX] {
        let c4 = w.c4_density(k).unwrap();
        // W ≡ ρ: t(C4) = ρ⁴ exactly (the f64 ρ⁴ to 4 ε)
        let rho4 = rho.powi(4);
        assert!(
            c4.lo <= rho4 * (1.0 + END_ROUNDING) && rho4 * (1.0 - END_ROUNDING) <= c4.hi,
            "k = {k}: {c4:?}"
        );
    }
}
