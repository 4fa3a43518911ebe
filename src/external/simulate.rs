//! The null simulator of the sharp checks: masks drawn from a Factorised Saliency Model at one
//! shape n × d, under the top-k law or the frozen-threshold law, fast and exact.
//!
//! **Uniforms and scores.** Mask s of a stack reads the ChaCha stream
//! `MasterSeed::stream("{label}/{s}")` (a single [`Model::draw`] reads `stream(label)`), laid out
//! as in `convergence::sampler::sample_mask` (one 16-bit primary draw per entry, refinement
//! words read only when needed; see `convergence::inversion`), with one difference: row i draws
//! the uniforms of noise row `row_source[i]`. So `S_ij = (φ_i · ψ_j) · law.tail_inverse(U_rj)`,
//! r = `row_source[i]`, in f64, in that order, and for the identity `row_source` a top-k draw
//! is bit for bit `sample_mask` of the same profiles, law, seed and label. Both laws are
//! functions of these scores, so the same seed and label give coupled top-k and frozen masks:
//! - [`Draw::TopK`]: the `k = kept_count(n, d, ρ)` largest scores, ties to the smaller linear
//!   index `i·d + j`. The threshold is the k-th score. The window is
//!   `convergence::sampler::threshold_window` at [`WINDOW_DELTA`], computed once per model with
//!   its block cuts, which every top-k draw of the model then reads.
//! - [`Draw::Frozen`]: `S_ij > τ`, independent entries of probability `P(S_ij > τ)`
//!   ([`Model::keep_probability`]); the threshold reported is τ.
//!
//! The sampler is the crate's one output-sensitive exact sampler (`convergence::inversion`):
//! most entries are decided from their 16-bit draw by the cuts of their block, and only those
//! near the threshold get their exact score; a missed window costs passes, never exactness.
//!
//! ```
//! use pai_graphon::convergence::limit::Fsm;
//! use pai_graphon::external::simulate::{Draw, Model};
//! use pai_graphon::seed::MasterSeed;
//! let model = Model::from_fsm(&Fsm::figure1(), 128, 64, 0.2).unwrap();
//! let seed = MasterSeed::default();
//! let stack = model.draw_stack(Draw::TopK, 3, seed, "DOC").unwrap();
//! assert!(stack.iter().all(|m| m.kept() == 1638)); // round(0.2 · 128 · 64), exactly
//! assert_eq!(stack[2], model.draw(Draw::TopK, seed, "DOC/2").unwrap());
//! assert_ne!(stack[0], stack[1]);
//! ```

use crate::convergence::inversion::{Cuts, Field, Table};
use crate::convergence::limit::Fsm;
use crate::convergence::noise::{Noise, NoiseLaw};
use crate::convergence::sampler::{grid, threshold_window, MaskSpec, Window};
use crate::convergence::ConvergenceError;
use crate::mask::{kept_count, Mask};
use crate::params::Density;
use crate::seed::MasterSeed;
use crate::Error;
use rayon::prelude::*;
use std::sync::{Arc, OnceLock};

/// Probability that the top-k window misses the k-th score (a miss costs one more pass, never
/// a wrong mask): the sampler's default.
///
/// ```
/// assert_eq!(pai_graphon::external::simulate::WINDOW_DELTA, 1e-4);
/// ```
pub const WINDOW_DELTA: f64 = crate::convergence::sampler::WINDOW_DELTA;

/// Which law a mask is drawn from.
///
/// ```
/// use pai_graphon::convergence::limit::Fsm;
/// use pai_graphon::external::simulate::{Draw, Model};
/// use pai_graphon::seed::MasterSeed;
/// let model = Model::from_fsm(&Fsm::figure1(), 64, 64, 0.2).unwrap();
/// let top = model.draw(Draw::TopK, MasterSeed::default(), "DOC").unwrap();
/// let frozen = model.draw(Draw::Frozen, MasterSeed::default(), "DOC").unwrap();
/// assert_eq!(top.kept(), 819); // exact
/// assert_eq!(frozen.threshold(), model.tau); // kept count random, threshold frozen
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draw {
    /// Exactly `kept_count(n, d, ρ)` largest scores, ties to the smaller linear index.
    TopK,
    /// Independent entries, kept iff `S_ij > τ`.
    Frozen,
}

/// An FSM at one shape, possibly perturbed: row i's scores are `S_ij = (φ_i·ψ_j)·|ξ_ij|`,
/// `|ξ| ~ law`, with row i drawing the noise of row `row_source[i]`.
///
/// The fields are public so that perturbation families can edit them; every draw re-validates
/// them (a typed error, never a panic) and rebuilds its tables if they changed.
///
/// ```
/// use pai_graphon::convergence::noise::HalfNormal;
/// use pai_graphon::external::simulate::{Draw, Model};
/// use pai_graphon::seed::MasterSeed;
/// use std::sync::Arc;
/// let law = Arc::new(HalfNormal { sigma: 1.0 });
/// let mut model = Model::new(vec![1.0, 2.0, 1.0], vec![1.0; 70], law, 0.5, 1.0).unwrap();
/// model.row_source = vec![0, 1, 0]; // row 2 reuses row 0's noise (and has its profile)
/// // (frozen: entrywise; a top-k mask may split one tied twin pair at the k-th rank)
/// let m = model.draw(Draw::Frozen, MasterSeed::default(), "DOC").unwrap();
/// assert_eq!(m.row_words(2), m.row_words(0));
/// model.row_source = vec![0, 1, 3];
/// assert!(model.draw(Draw::TopK, MasterSeed::default(), "DOC").is_err());
/// ```
#[derive(Clone, Debug)]
pub struct Model {
    /// Row profile on the midpoint grid, length n.
    pub phi: Vec<f64>,
    /// Column profile, length d.
    pub psi: Vec<f64>,
    /// The law of |ξ|.
    pub law: Arc<dyn NoiseLaw>,
    /// Density: top-k keeps `kept_count(n, d, rho)` entries.
    pub rho: f64,
    /// The frozen threshold (the limit's τ*).
    pub tau: f64,
    /// Row i uses the noise of row `row_source[i]` (the identity for the model itself).
    pub row_source: Vec<usize>,
    prepared: Prepared,
}

/// What a draw needs beyond the fields, built once per model; `matches` says whether it is
/// still the model's (the fields are public).
#[derive(Clone, Debug)]
struct Prepared {
    law: Arc<dyn NoiseLaw>,
    phi: Vec<f64>,
    psi: Vec<f64>,
    rho: Density,
    /// The law's quantile table.
    table: Arc<Table>,
    /// The top-k window and its block cuts, computed at the first top-k draw (~0.3 s; frozen
    /// draws never need them): every top-k draw of the model reads the same cuts.
    window: Arc<OnceLock<(Window, Cuts)>>,
}

impl Prepared {
    fn build(phi: &[f64], psi: &[f64], law: &Arc<dyn NoiseLaw>, rho: f64) -> Result<Self, Error> {
        // ρ is a public f64 field of Model, checked here; from_grids validates the profiles and
        // stores −0 as +0 (equal scores must tie)
        let rho = Density::new(rho)?;
        let spec = MaskSpec::from_grids(phi.to_vec(), psi.to_vec(), rho)?;
        Ok(Prepared {
            law: law.clone(),
            phi: spec.phi().to_vec(),
            psi: spec.psi().to_vec(),
            rho,
            table: Arc::new(Table::new(law.as_ref())?),
            window: Arc::default(),
        })
    }

    fn matches(&self, m: &Model) -> bool {
        Arc::ptr_eq(&self.law, &m.law)
            && self.rho.get() == m.rho
            && self.phi == m.phi
            && self.psi == m.psi
    }

    fn field<'a>(&'a self, model: &'a Model) -> Field<'a, dyn NoiseLaw> {
        Field {
            phi: &self.phi,
            psi: &self.psi,
            law: self.law.as_ref(),
            table: &self.table,
            row_source: Some(&model.row_source),
        }
    }
}

impl Model {
    /// A model from grid profiles, a law, a density and a frozen threshold (identity
    /// `row_source`). Errors: empty or non-finite/negative profiles, ρ outside (0, 1) or keeping
    /// no entry, τ not finite and non-negative, a law whose quantiles are not finite.
    ///
    /// ```
    /// use pai_graphon::convergence::noise::UniformAbs;
    /// use pai_graphon::external::simulate::Model;
    /// use std::sync::Arc;
    /// let law = Arc::new(UniformAbs { a: 1.0 });
    /// let m = Model::new(vec![1.0; 4], vec![2.0; 3], law.clone(), 0.5, 1.0).unwrap();
    /// assert_eq!((m.row_source.clone(), m.keep_probability(0, 0)), (vec![0, 1, 2, 3], 0.5));
    /// assert!(Model::new(vec![-1.0], vec![1.0], law.clone(), 0.5, 1.0).is_err());
    /// assert!(Model::new(vec![1.0], vec![1.0], law, 0.5, f64::NAN).is_err());
    /// ```
    pub fn new(
        phi: Vec<f64>,
        psi: Vec<f64>,
        law: Arc<dyn NoiseLaw>,
        rho: f64,
        tau: f64,
    ) -> Result<Model, Error> {
        let prepared = Prepared::build(&phi, &psi, &law, rho)?;
        let model = Model {
            row_source: (0..phi.len()).collect(),
            phi: prepared.phi.clone(),
            psi: prepared.psi.clone(),
            law,
            rho,
            tau,
            prepared,
        };
        model.validate()?;
        Ok(model)
    }

    /// The model of an FSM at n × d and density ρ: profiles on the midpoint grid
    /// (`convergence::sampler::grid`) and τ = `fsm.tau_star(pai_graphon::params::Density::new(ρ).unwrap())`.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::simulate::Model;
    /// let fsm = Fsm::figure1();
    /// let m = Model::from_fsm(&fsm, 4, 2, 0.2).unwrap();
    /// assert_eq!(m.tau, fsm.tau_star(pai_graphon::params::Density::constant(0.2)).unwrap().value);
    /// assert_eq!(m.phi, pai_graphon::convergence::sampler::grid(&fsm.row, 4));
    /// assert!(Model::from_fsm(&fsm, 0, 2, 0.2).is_err());
    /// ```
    pub fn from_fsm(fsm: &Fsm, n: usize, d: usize, rho: f64) -> Result<Model, Error> {
        let density = Density::new(rho)?;
        kept_count(n, d, density)?; // shape and density first, before any grid is built
        let law: Arc<dyn NoiseLaw> = match fsm.noise {
            Noise::Gaussian(l) => Arc::new(l),
            Noise::Uniform(l) => Arc::new(l),
        };
        let tau = fsm.tau_star(density)?.value;
        Model::new(grid(&fsm.row, n), grid(&fsm.col, d), law, rho, tau)
    }

    /// Rebuilds the cached tables and window after `phi`, `psi`, `law` or `rho` were edited.
    /// Without it every draw of an edited model rebuilds them itself (the same masks, but the
    /// window alone costs ~0.3 s); `tau` and `row_source` need no refresh.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::seed::MasterSeed;
    /// let mut model = Model::from_fsm(&Fsm::figure1(), 32, 32, 0.2).unwrap();
    /// let before = model.draw(Draw::TopK, MasterSeed::default(), "DOC").unwrap();
    /// model.phi.iter_mut().for_each(|p| *p = p.powf(2.0 / 3.0)); // exp:3 → exp:2 rows
    /// model.refresh().unwrap();
    /// let after = model.draw(Draw::TopK, MasterSeed::default(), "DOC").unwrap();
    /// assert_eq!(after.kept(), before.kept());
    /// assert_ne!(after, before);
    /// model.phi[0] = f64::NAN;
    /// assert!(model.refresh().is_err());
    /// ```
    pub fn refresh(&mut self) -> Result<(), Error> {
        self.prepared = Prepared::build(&self.phi, &self.psi, &self.law, self.rho)?;
        Ok(())
    }

    /// n.
    ///
    /// ```
    /// # use pai_graphon::{convergence::limit::Fsm, external::simulate::Model};
    /// assert_eq!(Model::from_fsm(&Fsm::figure1(), 5, 3, 0.2).unwrap().rows(), 5);
    /// ```
    pub fn rows(&self) -> usize {
        self.phi.len()
    }

    /// d.
    ///
    /// ```
    /// # use pai_graphon::{convergence::limit::Fsm, external::simulate::Model};
    /// assert_eq!(Model::from_fsm(&Fsm::figure1(), 5, 3, 0.2).unwrap().cols(), 3);
    /// ```
    pub fn cols(&self) -> usize {
        self.psi.len()
    }

    /// `P(S_ij > τ) = law.tail(τ / (φ_i ψ_j))`, 0 when `φ_i ψ_j = 0`: the frozen law's keep
    /// probability (f64; exact up to the law's tail error). Panics if i ≥ n or j ≥ d, as
    /// slice indexing does.
    ///
    /// ```
    /// use pai_graphon::convergence::noise::UniformAbs;
    /// use pai_graphon::external::simulate::Model;
    /// use std::sync::Arc;
    /// let m = Model::new(vec![0.0, 1.0], vec![4.0], Arc::new(UniformAbs { a: 1.0 }), 0.5, 1.0).unwrap();
    /// assert_eq!((m.keep_probability(0, 0), m.keep_probability(1, 0)), (0.0, 0.75));
    /// ```
    pub fn keep_probability(&self, i: usize, j: usize) -> f64 {
        let product = self.phi[i] * self.psi[j];
        if product == 0.0 {
            0.0
        } else {
            self.law.tail(self.tau / product)
        }
    }

    /// One mask from the stream `label` (module doc).
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::seed::MasterSeed;
    /// let model = Model::from_fsm(&Fsm::figure1(), 100, 50, 0.2).unwrap();
    /// let seed = MasterSeed::default();
    /// let top = model.draw(Draw::TopK, seed, "DOC").unwrap();
    /// let frozen = model.draw(Draw::Frozen, seed, "DOC").unwrap();
    /// assert_eq!((top.kept(), top.passes()), (1000, 1));
    /// // Coupled by the same scores: whichever keeps more entries keeps a superset.
    /// let (big, small) = if frozen.kept() > top.kept() { (&frozen, &top) } else { (&top, &frozen) };
    /// assert!((0..100).all(|i| (0..50).all(|j| small.get(i, j) <= big.get(i, j))));
    /// ```
    pub fn draw(&self, how: Draw, seed: MasterSeed, label: &str) -> Result<Mask, Error> {
        let k = self.validate()?;
        let rebuilt;
        let prep = if self.prepared.matches(self) {
            &self.prepared
        } else {
            rebuilt = Prepared::build(&self.phi, &self.psi, &self.law, self.rho)?;
            &rebuilt
        };
        let (stream, field) = (seed.stream(label), prep.field(self));
        let mask = match how {
            Draw::Frozen => field.frozen(&stream, self.tau)?,
            Draw::TopK => {
                let (window, cuts) = prep.window.get_or_init(|| {
                    // threshold_window fails only for an invalid δ; the window is a hint,
                    // and [0, ∞] (every score exact) is always right
                    let spec = MaskSpec::from_grids(prep.phi.clone(), prep.psi.clone(), prep.rho);
                    let window = spec
                        .and_then(|spec| threshold_window(&spec, prep.law.as_ref(), WINDOW_DELTA))
                        .unwrap_or(Window {
                            lo: 0.0,
                            hi: f64::INFINITY,
                        });
                    let cuts = field.cuts((window.lo, window.hi));
                    (window, cuts)
                });
                field.top_k(&stream, k, (window.lo, window.hi), Some(cuts))?
            }
        };
        Ok(mask)
    }

    /// `masks` masks, mask s from the stream `"{label}/{s}"`, in parallel (bit-identical for
    /// any number of threads). An empty stack for `masks = 0`.
    ///
    /// ```
    /// use pai_graphon::convergence::limit::Fsm;
    /// use pai_graphon::external::simulate::{Draw, Model};
    /// use pai_graphon::seed::MasterSeed;
    /// let model = Model::from_fsm(&Fsm::figure1(), 64, 32, 0.2).unwrap();
    /// let seed = MasterSeed::default();
    /// let stack = model.draw_stack(Draw::Frozen, 2, seed, "DOC").unwrap();
    /// assert_eq!(stack[1], model.draw(Draw::Frozen, seed, "DOC/1").unwrap());
    /// assert!(model.draw_stack(Draw::Frozen, 0, seed, "DOC").unwrap().is_empty());
    /// ```
    pub fn draw_stack(
        &self,
        how: Draw,
        masks: usize,
        seed: MasterSeed,
        label: &str,
    ) -> Result<Vec<Mask>, Error> {
        (0..masks)
            .into_par_iter()
            .map(|s| self.draw(how, seed, &format!("{label}/{s}")))
            .collect()
    }

    /// The exact scores `S_ij` of the stream `label`, row-major, every one computed from its
    /// 53-bit uniform: the reference the fast path is tested against.
    #[cfg(test)]
    fn scores(&self, seed: MasterSeed, label: &str) -> Result<Vec<f64>, Error> {
        self.validate()?;
        let prep = Prepared::build(&self.phi, &self.psi, &self.law, self.rho)?;
        Ok(prep.field(self).scores(&seed.stream(label))?)
    }

    /// Checks the public fields; returns k.
    fn validate(&self) -> Result<u64, Error> {
        let (n, d) = (self.rows(), self.cols());
        let k = kept_count(n, d, Density::new(self.rho)?)?;
        for (side, values) in [
            ("row profile value", &self.phi),
            ("column profile value", &self.psi),
        ] {
            if let Some(&value) = values.iter().find(|x| !(x.is_finite() && **x >= 0.0)) {
                return Err(ConvergenceError::Profile {
                    what: side,
                    value,
                    why: "is not finite and non-negative",
                }
                .into());
            }
        }
        if !(self.tau.is_finite() && self.tau >= 0.0) {
            return Err(ConvergenceError::Domain {
                what: "frozen threshold τ",
                value: self.tau,
                min: 0.0,
                max: f64::MAX,
            }
            .into());
        }
        if self.row_source.len() != n {
            return Err(ConvergenceError::Size {
                what: "row_source length",
                value: self.row_source.len(),
                why: "differs from the number of rows",
            }
            .into());
        }
        if let Some(r) = self.row_source.iter().find(|r| **r >= n) {
            return Err(ConvergenceError::Size {
                what: "noise source row",
                value: *r,
                why: "lies outside the rows",
            }
            .into());
        }
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convergence::noise::{HalfNormal, UniformAbs};
    use crate::convergence::sampler::{sample_mask_for, sample_mask_in_memory};
    use crate::mask::top_k_mask;
    use crate::tol::{hoeffding, Tail};

    const DELTA: f64 = 1e-6;

    impl Model {
        /// The model with another top-k window (a deliberately wrong one exercises the redraw).
        fn with_window(mut self, window: Window) -> Self {
            let cuts = self.prepared.field(&self).cuts((window.lo, window.hi));
            self.prepared.window = Arc::new(OnceLock::from((window, cuts)));
            self
        }
    }

    fn gaussian() -> Arc<dyn NoiseLaw> {
        Arc::new(HalfNormal { sigma: 1.0 })
    }

    fn uniform() -> Arc<dyn NoiseLaw> {
        Arc::new(UniformAbs { a: 2.0 })
    }

    /// The model of `row;col;noise` at n × d and ρ.
    fn fsm_model(spec: &str, n: usize, d: usize, rho: f64) -> Model {
        Model::from_fsm(&Fsm::parse_spec(spec).unwrap(), n, d, rho).unwrap()
    }

    /// McDiarmid's inequality: a function of `variables` independent variables that moves by at
    /// most `c` when one of them changes deviates from its mean by more than
    /// `t = c·sqrt(variables · ln(2/δ) / 2)` with probability at most δ. (Hoeffding's `t` for
    /// the mean of `variables` terms of range c, times `variables`.)
    fn mcdiarmid(variables: usize, c: f64, delta: f64) -> f64 {
        variables as f64 * hoeffding(variables, c, delta, Tail::Two).unwrap()
    }

    /// Models on which the fast path must agree exactly with the selection over every score:
    /// both laws, a zero row profile (ties at score 0 decided by index), a non-identity
    /// row_source, odd widths and a single row.
    fn exactness_cases() -> Vec<(&'static str, Model)> {
        let mut zero_rows = Model::new(
            (0..40)
                .map(|i| if i < 25 { 0.0 } else { 1.0 + i as f64 })
                .collect(),
            vec![1.0; 33],
            uniform(),
            0.7,
            0.5,
        )
        .unwrap();
        zero_rows.tau = 0.0;
        let mut shared = fsm_model("exp:3;exp:3;gaussian:1", 70, 45, 0.2);
        shared.row_source = (0..70)
            .map(|i| if i % 7 == 3 { i / 2 } else { i })
            .collect();
        vec![
            (
                "figure1 97x61",
                fsm_model("exp:3;exp:3;gaussian:1", 97, 61, 0.2),
            ),
            (
                "uniform 64x130",
                fsm_model("exp:2;affine:1,2;uniform:1", 64, 130, 0.3),
            ),
            ("zero rows, ties at 0", zero_rows),
            ("shared noise rows", shared),
            ("one row", fsm_model("exp:3;exp:3;gaussian:1", 1, 257, 0.1)),
        ]
    }

    #[test]
    fn top_k_and_frozen_equal_the_selection_over_every_exact_score() {
        let seed = MasterSeed::default();
        for (name, model) in exactness_cases() {
            let (n, d) = (model.rows(), model.cols());
            let k = kept_count(n, d, Density::new(model.rho).unwrap()).unwrap();
            for rep in 0..3 {
                let label = format!("SIM-T/{name}/rep={rep}");
                let scores = model.scores(seed, &label).unwrap();
                let top = model.draw(Draw::TopK, seed, &label).unwrap();
                let reference = top_k_mask(n, d, &scores, k).unwrap();
                assert_eq!(
                    top, reference,
                    "{name}: top-k differs from the exact selection ({label})"
                );
                assert_eq!(top.passes(), 1, "{name}: the window missed ({label})");
                let frozen = model.draw(Draw::Frozen, seed, &label).unwrap();
                let above: Vec<u8> = scores.iter().map(|s| (*s > model.tau) as u8).collect();
                let expected = Mask::from_entries(n, d, &above).unwrap();
                assert_eq!(
                    frozen.row_degrees(),
                    expected.row_degrees(),
                    "{name} ({label})"
                );
                for i in 0..n {
                    assert_eq!(
                        frozen.row_words(i),
                        expected.row_words(i),
                        "{name}, row {i}"
                    );
                }
                // τ edited after the cuts were built: the 12-bit table path, same law
                let mut edited = model.clone();
                edited.tau = model.tau * 1.1 + 0.01;
                let frozen = edited.draw(Draw::Frozen, seed, &label).unwrap();
                let above: Vec<u8> = scores.iter().map(|s| (*s > edited.tau) as u8).collect();
                let expected = Mask::from_entries(n, d, &above).unwrap();
                for i in 0..n {
                    let (got, want) = (frozen.row_words(i), expected.row_words(i));
                    assert_eq!(got, want, "{name}, τ edited, row {i}");
                }
            }
        }
    }

    #[test]
    fn ties_at_zero_go_to_the_smaller_index() {
        // Row 0 has φ = 0: its three scores are 0 and tie; k = 4 keeps row 1 and entry (0, 0).
        let model = Model::new(vec![0.0, 1.0], vec![1.0; 3], gaussian(), 4.0 / 6.0, 1.0).unwrap();
        for rep in 0..5 {
            let m = model
                .draw(
                    Draw::TopK,
                    MasterSeed::default(),
                    &format!("SIM-T/ties/{rep}"),
                )
                .unwrap();
            let kept: Vec<bool> = (0..6).map(|x| m.get(x / 3, x % 3).unwrap()).collect();
            assert_eq!(kept, [true, false, false, true, true, true]);
            assert_eq!(m.threshold(), 0.0);
        }
    }

    #[test]
    fn a_missed_window_redraws_the_same_mask() {
        let seed = MasterSeed::default();
        for (name, model) in exactness_cases() {
            let label = format!("SIM-T/miss/{name}");
            let good = model.draw(Draw::TopK, seed, &label).unwrap();
            for window in [Window { lo: 1e9, hi: 2e9 }, Window { lo: 0.0, hi: 0.0 }] {
                let missed = model
                    .clone()
                    .with_window(window)
                    .draw(Draw::TopK, seed, &label)
                    .unwrap();
                assert_eq!(missed, good, "{name}, window {window:?}");
                let holds = window.lo <= good.threshold() && good.threshold() <= window.hi;
                assert_eq!(missed.passes() == 1, holds, "{name}, window {window:?}");
            }
        }
    }

    /// Two-sample test of the law of a tiny top-k mask: the frequency of each of the 2^6 masks
    /// of a 2 × 3 shape over `draws` draws of `ours` and of the reference sampler. Under the
    /// same law each frequency is within Hoeffding's bound of its probability (union over the
    /// 2 · 64 frequencies, two-sided, total δ), so the two differ by at most twice the bound.
    /// Returns (largest difference, threshold).
    fn tiny_law_distance(
        ours: &Model,
        draw: Draw,
        reference_phi: &[f64],
        draws: usize,
    ) -> (f64, f64) {
        let psi = ours.psi.clone();
        let spec =
            MaskSpec::from_grids(reference_phi.to_vec(), psi, Density::new(ours.rho).unwrap())
                .unwrap();
        let law = HalfNormal { sigma: 1.0 };
        let seed = MasterSeed::default();
        let code = |m: &Mask| {
            (0..6).fold(0usize, |c, x| {
                c | (m.get(x / 3, x % 3).unwrap() as usize) << x
            })
        };
        let mut counts = [[0usize; 64]; 2];
        for r in 0..draws {
            let a = ours
                .draw(draw, seed, &format!("SIM-T/tiny/ours/{r}"))
                .unwrap();
            let b =
                sample_mask_in_memory(&spec, &law, seed, &format!("SIM-T/tiny/ref/{r}")).unwrap();
            counts[0][code(&a)] += 1;
            counts[1][code(&b)] += 1;
        }
        let worst = (0..64)
            .map(|c| (counts[0][c] as f64 - counts[1][c] as f64).abs() / draws as f64)
            .fold(0.0, f64::max);
        (
            worst,
            2.0 * hoeffding(draws, 1.0, DELTA / 128.0, Tail::Two).unwrap(),
        )
    }

    #[test]
    fn tiny_top_k_law_matches_the_reference_sampler_with_negative_controls() {
        let phi = [1.0, 2.0];
        let ours = Model::new(
            phi.to_vec(),
            vec![1.0, 1.5, 3.0],
            gaussian(),
            1.0 / 3.0,
            2.0,
        )
        .unwrap();
        let draws = 20_000;
        let (observed, threshold) = tiny_law_distance(&ours, Draw::TopK, &phi, draws);
        println!("SIM tiny law: max |freq diff| {observed:.4} vs threshold {threshold:.4}");
        assert!(
            observed <= threshold,
            "top-k law differs: {observed} > {threshold}"
        );
        // Negative controls: the frozen law (random kept count), and a wrong row profile.
        let (frozen, _) = tiny_law_distance(&ours, Draw::Frozen, &phi, draws);
        assert!(
            frozen > threshold,
            "frozen draws not rejected: {frozen} ≤ {threshold}"
        );
        let (wrong, _) = tiny_law_distance(&ours, Draw::TopK, &[1.0, 1.5], draws);
        println!("SIM tiny law, control φ = (1, 1.5): {wrong:.4} vs {threshold:.4}");
        assert!(
            wrong > threshold,
            "a wrong profile is not rejected: {wrong} ≤ {threshold}"
        );
    }

    /// Pooled block fractions of R masks: 4 × 4 blocks, 4 row bands, 4 column bands.
    fn block_fractions(masks: &[Mask]) -> Vec<(f64, usize)> {
        let (n, d) = (masks[0].rows(), masks[0].cols());
        let (bn, bd) = (n / 4, d / 4);
        let mut sums = vec![0u64; 16];
        for m in masks {
            crate::mask::accumulate_blocks(&mut sums, m, bn, bd).unwrap();
        }
        let r = masks.len();
        let mut out: Vec<(f64, usize)> = sums
            .iter()
            .map(|s| (*s as f64 / (r * bn * bd) as f64, bn * bd))
            .collect();
        for band in 0..4 {
            let row: u64 = sums[4 * band..4 * band + 4].iter().sum();
            let col: u64 = (0..4).map(|b| sums[4 * b + band]).sum();
            out.push((row as f64 / (r * bn * d) as f64, bn * d));
            out.push((col as f64 / (r * n * bd) as f64, n * bd));
        }
        out
    }

    /// Largest difference over the block statistics between `ours` and the crate's sampler for
    /// `reference` (R masks each), and whether every one is within its McDiarmid threshold.
    fn moderate_distance(ours: &Model, reference: &str, r: usize) -> (f64, bool) {
        let (n, d) = (ours.rows(), ours.cols());
        let fsm = Fsm::parse_spec(reference).unwrap();
        let spec =
            MaskSpec::new(n, d, Density::new(ours.rho).unwrap(), &fsm.row, &fsm.col).unwrap();
        let seed = MasterSeed::default();
        let a = ours
            .draw_stack(Draw::TopK, r, seed, "SIM-T/moderate/ours")
            .unwrap();
        let k = spec.kept();
        assert!(a
            .iter()
            .all(|m| m.kept() == k && m.row_degrees().iter().map(|&x| x as u64).sum::<u64>() == k));
        let hint = threshold_window(&spec, fsm.noise.law(), 1e-6).unwrap();
        let b: Vec<Mask> = (0..r)
            .into_par_iter()
            .map(|s| {
                let label = format!("SIM-T/moderate/ref/{s}");
                sample_mask_for(&spec, &fsm.noise, seed, &label, Some(hint)).unwrap()
            })
            .collect();
        let (fa, fb) = (block_fractions(&a), block_fractions(&b));
        // One score change moves a top-k mask by at most one entry in and one out, so a block
        // count by at most 1: c = 1/(R·B) over R·n·d independent scores; 2 samplers × 24
        // statistics share δ, and two deviations make a difference.
        let statistics = 2 * fa.len();
        let mut worst: f64 = 0.0;
        let mut within = true;
        for ((x, size), (y, _)) in fa.iter().zip(&fb) {
            let t = mcdiarmid(
                r * n * d,
                1.0 / (r * size) as f64,
                DELTA / statistics as f64,
            );
            worst = worst.max((x - y).abs() / (2.0 * t));
            within &= (x - y).abs() <= 2.0 * t;
        }
        (worst, within)
    }

    #[test]
    fn moderate_top_k_matches_the_sampler_on_blocks_with_a_negative_control() {
        for (spec, wrong) in [
            ("exp:3;exp:3;gaussian:1", "exp:2.5;exp:2.5;gaussian:1"),
            ("exp:3;exp:3;uniform:1", "exp:2.5;exp:2.5;uniform:1"),
        ] {
            let ours = fsm_model(spec, 256, 128, 0.2);
            let (ratio, within) = moderate_distance(&ours, spec, 256);
            println!("SIM moderate {spec}: largest |diff| / threshold {ratio:.3}");
            assert!(
                within,
                "{spec}: block fractions differ from the sampler's ({ratio})"
            );
            let (ratio, within) = moderate_distance(&ours, wrong, 256);
            println!("SIM moderate control {wrong}: largest |diff| / threshold {ratio:.3}");
            assert!(
                !within,
                "{spec}: the sampler for {wrong} is not rejected ({ratio})"
            );
        }
    }

    /// Frozen masks pooled over R draws: the total kept count and each row's, against the sums
    /// of `keep` (entries independent: Hoeffding over R·n·d, resp. R·d, entries; union over the
    /// n + 1 statistics). Returns the largest |observed − expected| / threshold.
    fn frozen_ratio(model: &Model, keep: impl Fn(usize, usize) -> f64, r: usize) -> f64 {
        let (n, d) = (model.rows(), model.cols());
        let masks = model
            .draw_stack(Draw::Frozen, r, MasterSeed::default(), "SIM-T/frozen")
            .unwrap();
        let delta = DELTA / (n + 1) as f64;
        let mut worst: f64 = 0.0;
        let mut total = (0.0, 0.0);
        for i in 0..n {
            let expected: f64 = (0..d).map(|j| keep(i, j)).sum::<f64>() * r as f64;
            let observed: f64 = masks.iter().map(|m| m.row_degrees()[i] as f64).sum();
            let t = (r * d) as f64 * hoeffding(r * d, 1.0, delta, Tail::Two).unwrap();
            worst = worst.max((observed - expected).abs() / t);
            total.0 += observed;
            total.1 += expected;
        }
        let t = (r * n * d) as f64 * hoeffding(r * n * d, 1.0, delta, Tail::Two).unwrap();
        worst.max((total.0 - total.1).abs() / t)
    }

    #[test]
    fn frozen_counts_follow_the_keep_probabilities_with_a_negative_control() {
        for spec in ["exp:3;exp:3;gaussian:1", "exp:3;exp:3;uniform:1"] {
            let model = fsm_model(spec, 256, 128, 0.2);
            let ratio = frozen_ratio(&model, |i, j| model.keep_probability(i, j), 16);
            println!("SIM frozen {spec}: largest |observed − expected| / threshold {ratio:.3}");
            assert!(ratio <= 1.0, "{spec}: frozen counts off ({ratio})");
            let mut shifted = model.clone();
            shifted.tau *= 1.05;
            let ratio = frozen_ratio(&model, |i, j| shifted.keep_probability(i, j), 16);
            println!("SIM frozen control τ·1.05 {spec}: {ratio:.3}");
            assert!(
                ratio > 1.0,
                "{spec}: a 5 % wrong threshold is not rejected ({ratio})"
            );
        }
    }

    #[test]
    fn rows_sharing_noise_and_profile_are_equal() {
        let phi = vec![1.0, 2.0, 1.0, 3.0, 2.0];
        let psi: Vec<f64> = (0..150).map(|j| 1.0 + j as f64 / 150.0).collect();
        let own = Model::new(phi.clone(), psi.clone(), gaussian(), 0.3, 1.5).unwrap();
        let mut shared = own.clone();
        shared.row_source = vec![0, 1, 0, 3, 1];
        let seed = MasterSeed::default();
        let frozen = shared.draw(Draw::Frozen, seed, "SIM-T/shared").unwrap();
        assert_eq!(frozen.row_words(2), frozen.row_words(0));
        assert_eq!(frozen.row_words(4), frozen.row_words(1));
        // Top-k: twin entries tie, so they are equal except when a twin pair straddles the k-th
        // rank: then the smaller index (the first row) keeps the threshold score, the twin not.
        let top = shared.draw(Draw::TopK, seed, "SIM-T/shared").unwrap();
        let scores = shared.scores(seed, "SIM-T/shared").unwrap();
        let d = psi.len();
        let mut straddling = 0;
        for (first, twin) in [(0, 2), (1, 4)] {
            for j in 0..d {
                let s = scores[first * d + j];
                assert_eq!(s, scores[twin * d + j], "twin scores ({first}, {j})");
                match (top.get(first, j), top.get(twin, j)) {
                    (a, b) if a == b => {}
                    (Some(true), Some(false)) if s == top.threshold() => straddling += 1,
                    other => panic!("twins ({first}, {j}) and ({twin}, {j}): {other:?}"),
                }
            }
        }
        assert!(
            straddling <= 1,
            "{straddling} twin pairs straddle the k-th rank"
        );
        // Frozen entries are per-entry functions: rows that keep their noise are unchanged.
        let (a, b) = (
            own.draw(Draw::Frozen, seed, "SIM-T/shared").unwrap(),
            shared.draw(Draw::Frozen, seed, "SIM-T/shared").unwrap(),
        );
        for i in [0, 1, 3] {
            assert_eq!(a.row_words(i), b.row_words(i));
        }
        assert_ne!(a.row_words(2), b.row_words(2));
    }

    #[test]
    fn draws_are_identical_for_one_and_two_threads_and_stacks_differ() {
        let model = fsm_model("exp:3;exp:3;gaussian:1", 300, 200, 0.2);
        let seed = MasterSeed::default();
        for how in [Draw::TopK, Draw::Frozen] {
            let run = |threads| {
                let pool = rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap();
                pool.install(|| model.draw_stack(how, 3, seed, "SIM-T/threads").unwrap())
            };
            let (one, two) = (run(1), run(2));
            assert_eq!(one, two, "{how:?}");
            assert_ne!(one[0], one[1]);
            assert_eq!(one[2], model.draw(how, seed, "SIM-T/threads/2").unwrap());
        }
    }

    #[test]
    fn invalid_models_are_typed_errors() {
        let seed = MasterSeed::default();
        let model = fsm_model("exp:3;exp:3;gaussian:1", 8, 8, 0.2);
        let broken = [
            Model {
                row_source: vec![0; 7],
                ..model.clone()
            },
            Model {
                row_source: vec![8; 8],
                ..model.clone()
            },
            Model {
                tau: f64::NAN,
                ..model.clone()
            },
            Model {
                tau: -1.0,
                ..model.clone()
            },
            Model {
                rho: 1.0,
                ..model.clone()
            },
            Model {
                phi: vec![f64::INFINITY; 8],
                ..model.clone()
            },
            Model {
                psi: vec![],
                ..model.clone()
            },
        ];
        for (case, m) in broken.iter().enumerate() {
            for how in [Draw::TopK, Draw::Frozen] {
                assert!(
                    m.draw(how, seed, "SIM-T/bad").is_err(),
                    "case {case}, {how:?}"
                );
            }
        }
        assert!(Model::new(vec![], vec![1.0], gaussian(), 0.5, 1.0).is_err());
        assert!(Model::from_fsm(&Fsm::figure1(), 8, 8, 0.0).is_err());
        // An edited profile is picked up (tables rebuilt), not ignored.
        let mut edited = model.clone();
        edited.phi = vec![1.0; 8];
        let k = kept_count(8, 8, Density::constant(0.2)).unwrap();
        let scores = edited.scores(seed, "SIM-T/edit").unwrap();
        let reference = top_k_mask(8, 8, &scores, k).unwrap();
        assert_eq!(
            edited.draw(Draw::TopK, seed, "SIM-T/edit").unwrap(),
            reference
        );
    }
}
