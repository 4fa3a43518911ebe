//! The error-against-width curves of the constructive approximation (`pai-graphon uat` and the
//! report's UAT figure): for each ambient dimension d, a smooth target of k active coordinates
//! and a target on an inactive coordinate, fitted at each width with [`held_out`], beside the
//! wired counts and their Chernoff bound ([`wired_lower_bound`]) and the target's exact floor.
//! Claims UAT-2 and UAT-4 (`theory/approximation.md`).
//!
//! ```
//! use pai_graphon::approximation::curves::{curves, CurveSpec};
//! use pai_graphon::seed::MasterSeed;
//! let spec = CurveSpec::new(vec![8], 1, vec![4, 16], 200, 0.5).unwrap();
//! let c = curves(&spec, MasterSeed::default(), &mut |_| {}).unwrap();
//! assert_eq!(c.curves.len(), 2); // the smooth and the inactive target at d = 8
//! assert!(c.curves[1].floor > 0.0); // an inactive coordinate is out of reach
//! ```

use super::fit::{held_out, Reach, Target};
use super::wiring::{
    band_coordinate, position, wired_lower_bound, WiringGraphon, ACTIVE_BANDS, INACTIVE_BAND,
};
use super::UatError;
use crate::seed::MasterSeed;
use serde::Serialize;

/// Failure probability of each printed Chernoff bound (per width).
///
/// ```
/// assert_eq!(pai_graphon::approximation::curves::CHERNOFF_DELTA, 1e-4);
/// ```
pub const CHERNOFF_DELTA: f64 = 1e-4;

/// The settings of a set of curves, validated once by [`CurveSpec::new`].
///
/// ```
/// use pai_graphon::approximation::curves::CurveSpec;
/// let s = CurveSpec::new(vec![32], 2, vec![64, 16, 64], 100, 0.5).unwrap();
/// assert_eq!(s.widths(), &[16, 64]); // sorted, repeats dropped
/// assert!(CurveSpec::new(vec![30], 2, vec![16], 100, 0.5).is_err()); // d not a multiple of 8
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct CurveSpec {
    dims: Vec<usize>,
    k: usize,
    widths: Vec<usize>,
    samples: usize,
    p: f64,
}

impl CurveSpec {
    /// Ambient dimensions (positive multiples of 8), active coordinates k (1 to 6), widths
    /// (positive), training points (at least 2; as many held out) and the edge probability p of
    /// the active block, in (0, 1]. The widths are sorted and deduplicated.
    ///
    /// ```
    /// use pai_graphon::approximation::{curves::CurveSpec, UatError};
    /// let e = CurveSpec::new(vec![32], 0, vec![16], 100, 0.5).unwrap_err();
    /// assert!(matches!(e, UatError::Size { what: "active coordinates k", value: 0, .. }));
    /// assert!(CurveSpec::new(vec![32], 2, vec![16], 100, f64::NAN).is_err());
    /// ```
    pub fn new(
        dims: Vec<usize>,
        k: usize,
        mut widths: Vec<usize>,
        samples: usize,
        p: f64,
    ) -> Result<Self, UatError> {
        widths.sort_unstable();
        widths.dedup();
        let size = |what, value, why| Err(UatError::Size { what, value, why });
        if widths.first().is_none_or(|&w| w == 0) {
            return size("width", 0, "must be positive (and at least one given)");
        }
        if let Some(&d) = dims.iter().find(|&&d| d == 0 || d % 8 != 0) {
            return size("ambient dimension d", d, "must be a positive multiple of 8");
        }
        if dims.is_empty() {
            return size("ambient dimensions", 0, "must be at least one");
        }
        if k == 0 || k > INACTIVE_BAND {
            return size("active coordinates k", k, "must be 1 to 6");
        }
        if samples < 2 {
            return size("training points", samples, "must be at least 2");
        }
        if !(p > 0.0 && p <= 1.0) {
            return Err(UatError::Probability {
                name: "edge probability p",
                value: p,
            });
        }
        Ok(CurveSpec {
            dims,
            k,
            widths,
            samples,
            p,
        })
    }

    /// The report's curves: d = 32 and 256, k = 2, widths 16 … 1024, 20 000 points, p = 0.5
    /// (`pai-graphon uat`'s defaults).
    ///
    /// ```
    /// use pai_graphon::approximation::curves::CurveSpec;
    /// assert_eq!(CurveSpec::report().widths().len(), 7);
    /// ```
    pub fn report() -> Self {
        CurveSpec::new(
            vec![32, 256],
            2,
            vec![16, 32, 64, 128, 256, 512, 1024],
            20_000,
            0.5,
        )
        .expect("the report's settings are valid")
    }

    /// The widths, ascending.
    ///
    /// ```
    /// use pai_graphon::approximation::curves::CurveSpec;
    /// assert_eq!(CurveSpec::new(vec![8], 1, vec![8, 4], 10, 1.0).unwrap().widths(), &[4, 8]);
    /// ```
    pub fn widths(&self) -> &[usize] {
        &self.widths
    }

    /// The f64 entries of the largest fit's working set (train and held-out inputs 2 N d, the
    /// design N (n + 1), the Gram matrix, its shifted copy and its factor 3 (n + 1)²), for a
    /// memory check before anything is drawn.
    ///
    /// ```
    /// use pai_graphon::approximation::curves::CurveSpec;
    /// let s = CurveSpec::new(vec![8], 1, vec![3], 10, 1.0).unwrap();
    /// assert_eq!(s.working_set(), 2 * 10 * 8 + 10 * 4 + 3 * 16);
    /// ```
    pub fn working_set(&self) -> u64 {
        let n = self.widths[self.widths.len() - 1] as u64 + 1;
        let d = *self.dims.iter().max().unwrap_or(&0) as u64;
        let big = self.samples as u64;
        (2 * big * d)
            .saturating_add(big.saturating_mul(n))
            .saturating_add(3 * n * n)
    }
}

/// One target at one ambient dimension.
///
/// ```
/// use pai_graphon::approximation::curves::{curves, CurveSpec};
/// let spec = CurveSpec::new(vec![8], 1, vec![4], 50, 1.0).unwrap();
/// let c = &curves(&spec, pai_graphon::seed::MasterSeed::default(), &mut |_| {}).unwrap().curves[0];
/// assert_eq!((c.d, c.widths.len(), c.errors.len(), c.wired.len()), (8, 1, 1, 1));
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Curve {
    /// The ambient dimension.
    pub d: usize,
    /// The target, in words.
    pub target: String,
    /// Its variance under the input law.
    pub variance: f64,
    /// Its exact error floor with the active coordinates in reach.
    pub floor: f64,
    /// The widths.
    pub widths: Vec<usize>,
    /// Held-out squared error at each width.
    pub errors: Vec<f64>,
    /// Neurons wired to all of the target's coordinates at each width.
    pub wired: Vec<usize>,
    /// The Chernoff lower bound on the wired count at each width ([`CHERNOFF_DELTA`]).
    pub chernoff: Vec<f64>,
}

/// All curves of a [`CurveSpec`], with its settings (`uat.json`).
///
/// ```
/// use pai_graphon::approximation::curves::{curves, CurveSpec};
/// let spec = CurveSpec::new(vec![8], 1, vec![4], 50, 1.0).unwrap();
/// let c = curves(&spec, pai_graphon::seed::MasterSeed::default(), &mut |_| {}).unwrap();
/// assert_eq!((c.k, c.p, c.samples), (1, 1.0, 50));
/// assert!(serde_json::to_string(&c).unwrap().starts_with("{\"k\":1"));
/// ```
#[derive(Clone, Debug, Serialize)]
pub struct Curves {
    /// Active coordinates of the smooth target.
    pub k: usize,
    /// Edge probability on the active block.
    pub p: f64,
    /// Training (and held-out) points.
    pub samples: usize,
    /// The wiring graphon, in words.
    pub graphon: String,
    /// Two curves (smooth, inactive) per ambient dimension, in the order of the dimensions.
    pub curves: Vec<Curve>,
}

/// The fits, wired counts and bounds of every curve; `progress` hears one line per dimension.
/// Streams: `uat/d={d}` (as [`held_out`] documents).
///
/// ```
/// use pai_graphon::approximation::curves::{curves, CurveSpec};
/// let spec = CurveSpec::new(vec![8], 1, vec![4, 32], 400, 1.0).unwrap();
/// let c = curves(&spec, pai_graphon::seed::MasterSeed::default(), &mut |_| {}).unwrap();
/// // The smooth target's error falls with width; the inactive one's stays at its floor or above.
/// assert!(c.curves[0].errors[1] < c.curves[0].errors[0]);
/// assert!(c.curves[1].errors.iter().all(|&e| e >= c.curves[1].floor * 0.5));
/// ```
pub fn curves(
    spec: &CurveSpec,
    seed: MasterSeed,
    progress: &mut dyn FnMut(&str),
) -> Result<Curves, crate::Error> {
    let bands = spec.k.max(ACTIVE_BANDS);
    let graphon = WiringGraphon::Block { p: spec.p, bands };
    let widths = &spec.widths;
    let mut curves = Vec::new();
    for &d in &spec.dims {
        progress(&format!(
            "uat: d = {d}, widths up to {}",
            widths[widths.len() - 1]
        ));
        let j: Vec<usize> = (0..spec.k)
            .map(|r| band_coordinate(r, d))
            .collect::<Result<_, _>>()?;
        let off = band_coordinate(INACTIVE_BAND, d)?;
        let targets = [
            Target::SinProduct(j.clone()),
            Target::CosPlusSquare(j[0], off),
        ];
        let fit = held_out(
            &graphon,
            d,
            &targets,
            widths,
            spec.samples,
            seed,
            &format!("uat/d={d}"),
        )?;
        for (t, target) in targets.iter().enumerate() {
            // The edge floor of the target's coordinates (0 on an inactive one: no bound).
            let coords = target.coords();
            let floor_p = coords
                .iter()
                .map(|&c| graphon.w(0.5, position(c, d)))
                .fold(1.0, f64::min);
            let chernoff = widths
                .iter()
                .map(|&n| Ok(wired_lower_bound(n, floor_p, coords.len(), CHERNOFF_DELTA)?.1))
                .collect::<Result<Vec<f64>, crate::Error>>()?;
            curves.push(Curve {
                d,
                target: name(target),
                variance: target.variance(),
                floor: target.floor(&Reach::Joint(j.clone())),
                widths: widths.clone(),
                errors: fit.errors[t].clone(),
                wired: fit.wired[t].clone(),
                chernoff,
            });
        }
    }
    Ok(Curves {
        k: spec.k,
        p: spec.p,
        samples: spec.samples,
        graphon: format!(
            "W = {} on bands 0–{} of 8 (v < {}/8), 0 elsewhere",
            spec.p,
            bands - 1,
            bands
        ),
        curves,
    })
}

fn name(t: &Target) -> String {
    match t {
        Target::SinProduct(c) => format!("smooth: Π sin(π x_j), j ∈ {c:?}"),
        Target::CosPlusSquare(a, b) => format!("inactive: cos(π x_{a}) + x_{b}²"),
        Target::Product(a, b) => format!("x_{a} x_{b}"),
    }
}
