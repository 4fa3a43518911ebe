//! The data sets: UCI digits (8×8, optionally upsampled), the MNIST 5k subset and a seeded
//! synthetic set with informative, noise and zero coordinates.
//!
//! **Real sets.** Both files are embedded in the library (`data/sets/`, provenance and licences
//! in `data/sets/PROVENANCE.md`); their SHA-256 is checked before they are decompressed and
//! parsed, so a corrupted copy is an error, never silently different data. Pixels are scaled to
//! [0, 1] by dividing by the maximum possible value (16 for digits, 255 for MNIST). The binary
//! target is `y = +1` for even class labels and `y = −1` for odd ones; the class labels are kept.
//!
//! **Upsampling.** `digits16`, `digits24`, `digits32` resample the 8×8 images bilinearly to side
//! S (d = S²), separably in rows and columns. Output pixel p (0-based) has its centre at
//! `(p + 1/2)/S` of the image width; in input pixel units that is
//! `u = ((2p + 1)·8 − S) / (2S)` (integer numerator, one rounding), clamped to [0, 7]. With
//! `i0 = ⌊u⌋`, `i1 = min(i0 + 1, 7)`, `t = u − i0` the value is `I[i0] + t·(I[i1] − I[i0])`
//! (so a constant image stays exactly constant; for S = 8, u = p and the map is the identity).
//! Rows first, then columns, each with this one-dimensional rule.
//!
//! **Synthetic.** `samples` rows; the coordinates are contiguous blocks
//! `[informative | noise | zero]`. `y = ±1` by a fair coin (stream `{label}/synthetic/y`, bit 0
//! of one `next_u64` per row: 1 → +1); informative `x_j = signal·y + N(0,1)`, noise
//! `x_j = N(0,1)` independent of y, zero `x_j = 0` exactly. The normals come from stream
//! `{label}/synthetic/x` (rand_distr's `StandardNormal`), row by row, informative coordinates
//! first, then noise. Labels are `(1 − y)/2` (0 for +1, 1 for −1).
//!
//! **Subsets** (`--samples N`). MNIST-5k is stored sorted by class (500 zeros, then 500 ones,
//! …), so its first N rows would be one digit. A subset is instead stratified
//! and seeded ([`stratified_rows`]): the quota of each class label is what dealing N rows one
//! at a time to the labels in increasing order gives, skipping labels with no rows left (equal
//! quotas as near as possible; the remainder goes to the smallest labels, so N ≥ 2 always holds
//! an even and an odd digit). Each label's quota is drawn without replacement (partial
//! Fisher–Yates over its rows in file order, unbiased draws) from the ChaCha stream
//! `data/subset/<set name>/n=<N>/label=<label>` of the master seed, and the subset lists the
//! chosen rows in increasing file order. N = all rows gives the whole set in file order.
//!
//! ```
//! use pai_graphon::net::data::{load, DataSpec};
//! use pai_graphon::seed::MasterSeed;
//! let seed = MasterSeed::default();
//! // Bilinear upsampling keeps a constant image constant, so a blank digits border stays 0.
//! let d8 = load(&DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
//! let d16 = load(&DataSpec::parse("digits16").unwrap(), seed, "DOC").unwrap();
//! assert_eq!((d16.samples, d16.d, &d16.y), (d8.samples, 256, &d8.y));
//! assert!(d8.constant_columns().contains(&0) && d16.constant_columns().contains(&0));
//! ```

use super::{EmbeddedProblem, NetError};
use crate::seed::MasterSeed;
use flate2::read::GzDecoder;
use rand::Rng;
use rand_distr::{Distribution, StandardNormal};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Read;
use std::ops::Range;

/// The embedded UCI digits file (1797 rows of 64 pixels in 0..=16 and a label).
const DIGITS_GZ: &[u8] = include_bytes!("../../data/sets/digits.csv.gz");
/// Its SHA-256, from `data/sets/PROVENANCE.md`.
///
/// ```
/// use pai_graphon::net::data::{sha256_hex, DIGITS_SHA256};
/// let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sets/digits.csv.gz"));
/// assert_eq!(sha256_hex(&file.unwrap()), DIGITS_SHA256);
/// ```
pub const DIGITS_SHA256: &str = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22";
/// The embedded MNIST 5k file (5000 rows of 784 pixels in 0..=255 and a label).
const MNIST_GZ: &[u8] = include_bytes!("../../data/sets/mnist_5k.csv.gz");
/// Its SHA-256, from `data/sets/PROVENANCE.md`.
///
/// ```
/// use pai_graphon::net::data::{sha256_hex, MNIST_SHA256};
/// let file = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/data/sets/mnist_5k.csv.gz"));
/// assert_eq!(sha256_hex(&file.unwrap()), MNIST_SHA256);
/// ```
pub const MNIST_SHA256: &str = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d";

/// Side of the original digits images.
const DIGITS_SIDE: usize = 8;

/// Parameters of the synthetic set (module doc).
///
/// ```
/// use pai_graphon::net::data::{load, DataSpec, SyntheticSpec};
/// use pai_graphon::seed::MasterSeed;
/// let spec = SyntheticSpec { samples: 6, informative: 2, noise: 1, zero: 3, signal: 2.0 };
/// let set = load(&DataSpec::Synthetic(spec), MasterSeed::default(), "DOC").unwrap();
/// assert_eq!(set.blocks, Some((0..2, 2..3, 3..6)));
/// // Labels are (1 − y)/2.
/// assert!(set.y.iter().zip(&set.labels).all(|(&y, &l)| l as f64 == (1.0 - y) / 2.0));
/// assert_eq!(SyntheticSpec::default().samples, 2000);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SyntheticSpec {
    /// Number of rows (≥ 1).
    pub samples: usize,
    /// Coordinates carrying `signal·y` (first block).
    pub informative: usize,
    /// Pure-noise coordinates (second block).
    pub noise: usize,
    /// Coordinates that are exactly 0 (last block).
    pub zero: usize,
    /// The mean shift of the informative coordinates (finite).
    pub signal: f64,
}

impl Default for SyntheticSpec {
    fn default() -> Self {
        SyntheticSpec {
            samples: 2000,
            informative: 32,
            noise: 32,
            zero: 32,
            signal: 1.0,
        }
    }
}

/// Which data set to load.
///
/// ```
/// use pai_graphon::net::data::{load, DataSpec};
/// use pai_graphon::seed::MasterSeed;
/// let set = load(&DataSpec::Digits { side: 24 }, MasterSeed::default(), "DOC").unwrap();
/// assert_eq!((set.name.as_str(), set.d, set.image_side), ("digits24", 576, Some(24)));
/// // Only the sides 8, 16, 24 and 32 exist.
/// assert!(load(&DataSpec::Digits { side: 12 }, MasterSeed::default(), "DOC").is_err());
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum DataSpec {
    /// UCI digits resampled to `side` × `side` (8 = the original images).
    Digits {
        /// 8, 16, 24 or 32.
        side: usize,
    },
    /// The MNIST 5k subset, 28 × 28.
    Mnist,
    /// The seeded synthetic set.
    Synthetic(SyntheticSpec),
}

impl DataSpec {
    /// Parse `digits` (= `digits8`), `digits16`, `digits24`, `digits32`, `mnist`, `synthetic` or
    /// `synthetic:samples=..,informative=..,noise=..,zero=..,signal=..` (any subset of the keys;
    /// the rest take the defaults 2000, 32, 32, 32, 1).
    ///
    /// ```
    /// use pai_graphon::net::data::{DataSpec, SyntheticSpec};
    /// assert_eq!(DataSpec::parse("digits24").unwrap(), DataSpec::Digits { side: 24 });
    /// let s = DataSpec::parse("synthetic:samples=10,zero=0,signal=0.5").unwrap();
    /// assert_eq!(s, DataSpec::Synthetic(SyntheticSpec {
    ///     samples: 10, informative: 32, noise: 32, zero: 0, signal: 0.5 }));
    /// assert!(DataSpec::parse("cifar").is_err());
    /// ```
    pub fn parse(text: &str) -> Result<Self, NetError> {
        match text {
            "digits" | "digits8" => Ok(DataSpec::Digits { side: 8 }),
            "digits16" => Ok(DataSpec::Digits { side: 16 }),
            "digits24" => Ok(DataSpec::Digits { side: 24 }),
            "digits32" => Ok(DataSpec::Digits { side: 32 }),
            "mnist" => Ok(DataSpec::Mnist),
            "synthetic" => Ok(DataSpec::Synthetic(SyntheticSpec::default())),
            _ => match text.strip_prefix("synthetic:") {
                Some(options) => parse_synthetic(text, options).map(DataSpec::Synthetic),
                None => Err(NetError::Data {
                    spec: text.to_string(),
                    why: "expected digits, digits16, digits24, digits32, mnist, synthetic or synthetic:key=value,...",
                }),
            },
        }
    }
}

fn parse_synthetic(text: &str, options: &str) -> Result<SyntheticSpec, NetError> {
    let mut spec = SyntheticSpec::default();
    let bad = |why| NetError::Data {
        spec: text.to_string(),
        why,
    };
    for pair in options.split(',') {
        let (key, value) = pair
            .split_once('=')
            .ok_or_else(|| bad("an option is not key=value"))?;
        let count = || {
            value
                .parse::<usize>()
                .map_err(|_| bad("samples, informative, noise and zero take a count"))
        };
        match key {
            "samples" => spec.samples = count()?,
            "informative" => spec.informative = count()?,
            "noise" => spec.noise = count()?,
            "zero" => spec.zero = count()?,
            "signal" => {
                spec.signal = value
                    .parse::<f64>()
                    .ok()
                    .filter(|s| s.is_finite())
                    .ok_or_else(|| bad("signal takes a finite number"))?
            }
            _ => {
                return Err(bad(
                    "unknown key (keys: samples, informative, noise, zero, signal)",
                ));
            }
        }
    }
    spec.validate()?;
    Ok(spec)
}

impl SyntheticSpec {
    fn validate(&self) -> Result<(), NetError> {
        use crate::params::{fits_budget, DATA_SAMPLES, DIMENSION};
        // Sizes first, before anything is allocated (issue #17: samples=10^12 aborted).
        let d = self
            .informative
            .checked_add(self.noise)
            .and_then(|d| d.checked_add(self.zero))
            .unwrap_or(usize::MAX);
        let too_large = NetError::Param;
        if self.samples > DATA_SAMPLES.max {
            DATA_SAMPLES.check(self.samples).map_err(too_large)?;
        }
        if d > DIMENSION.max {
            DIMENSION.check(d).map_err(too_large)?;
        }
        // The inputs as f64 and one working copy: 16 bytes an entry.
        fits_budget("synthetic entries", &[self.samples, d], 16).map_err(too_large)?;
        if self.samples == 0 || d == 0 {
            return Err(NetError::Size {
                what: "synthetic samples or coordinates",
                value: 0,
                why: "must be at least 1",
            });
        }
        if !self.signal.is_finite() {
            return Err(NetError::Signal(self.signal));
        }
        Ok(())
    }
}

/// A loaded data set: `samples` rows of `d` coordinates.
///
/// ```
/// use pai_graphon::net::data::{load, DataSpec};
/// use pai_graphon::seed::MasterSeed;
/// let set = load(&DataSpec::parse("digits").unwrap(), MasterSeed::default(), "DOC").unwrap();
/// assert_eq!(set.x.len(), set.samples * set.d);
/// // y = +1 exactly for the even class labels.
/// assert!(set.labels.iter().zip(&set.y).all(|(&l, &y)| y == if l % 2 == 0 { 1.0 } else { -1.0 }));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct DataSet {
    /// The spec it was loaded from, e.g. `digits16`.
    pub name: String,
    /// Number of rows N.
    pub samples: usize,
    /// Input dimension d.
    pub d: usize,
    /// The inputs, N × d row-major.
    pub x: Vec<f64>,
    /// The binary targets ±1 (+1 for even class labels).
    pub y: Vec<f64>,
    /// The class labels (0..9 for the image sets; 0/1 for synthetic, module doc).
    pub labels: Vec<u8>,
    /// The image side for the image sets (d = side²).
    pub image_side: Option<usize>,
    /// The informative, noise and zero coordinate ranges of the synthetic set.
    pub blocks: Option<(Range<usize>, Range<usize>, Range<usize>)>,
}

impl DataSet {
    /// Row b of the inputs (b < samples).
    ///
    /// ```
    /// use pai_graphon::net::data::{load, DataSpec};
    /// use pai_graphon::seed::MasterSeed;
    /// let set = load(&DataSpec::Mnist, MasterSeed::default(), "DOC").unwrap();
    /// assert_eq!((set.row(4999).len(), set.row(0)[0]), (784, 0.0));
    /// ```
    pub fn row(&self, b: usize) -> &[f64] {
        &self.x[b * self.d..(b + 1) * self.d]
    }

    /// The coordinates whose value is the same in every row.
    ///
    /// ```
    /// use pai_graphon::net::data::{load, DataSpec};
    /// use pai_graphon::seed::MasterSeed;
    /// let spec = DataSpec::parse("synthetic:samples=5,informative=2,noise=1,zero=3").unwrap();
    /// let set = load(&spec, MasterSeed::default(), "DOC").unwrap();
    /// assert_eq!(set.constant_columns(), vec![3, 4, 5]);
    /// ```
    pub fn constant_columns(&self) -> Vec<usize> {
        (0..self.d)
            .filter(|&j| {
                let first = self.x[j];
                (1..self.samples).all(|b| self.x[b * self.d + j] == first)
            })
            .collect()
    }
}

/// The rows of the seeded stratified subset of `n` rows of `set`, in increasing file order
/// (module doc, **Subsets**); `n` must lie in 1..=`set.samples`.
///
/// ```
/// use pai_graphon::net::data::{load, stratified_rows, DataSpec};
/// use pai_graphon::net::NetError;
/// use pai_graphon::seed::MasterSeed;
/// let seed = MasterSeed::default();
/// let set = load(&DataSpec::Mnist, seed, "DOC").unwrap(); // 500 rows per digit, sorted
/// let rows = stratified_rows(&set, 23, seed).unwrap();
/// let per_digit: Vec<usize> =
///     (0..10).map(|c| rows.iter().filter(|&&r| set.labels[r] == c).count()).collect();
/// // 23 = 10·2 + 3: the remainder goes to the digits 0, 1 and 2.
/// assert_eq!(per_digit, vec![3, 3, 3, 2, 2, 2, 2, 2, 2, 2]);
/// assert!(rows.windows(2).all(|p| p[0] < p[1]));
/// assert_eq!(stratified_rows(&set, 5000, seed).unwrap(), (0..5000).collect::<Vec<_>>());
/// assert!(matches!(stratified_rows(&set, 5001, seed),
///     Err(NetError::Subset { requested: 5001, available: 5000, .. })));
/// ```
pub fn stratified_rows(set: &DataSet, n: usize, seed: MasterSeed) -> Result<Vec<usize>, NetError> {
    if n == 0 || n > set.samples {
        return Err(NetError::Subset {
            set: set.name.clone(),
            requested: n,
            available: set.samples,
        });
    }
    let mut classes: BTreeMap<u8, Vec<usize>> = BTreeMap::new();
    for (row, &label) in set.labels.iter().enumerate() {
        classes.entry(label).or_default().push(row);
    }
    let sizes: Vec<usize> = classes.values().map(Vec::len).collect();
    let mut rows = Vec::with_capacity(n);
    for ((label, members), quota) in classes.iter().zip(class_quotas(&sizes, n)) {
        let stream = format!("data/subset/{}/n={n}/label={label}", set.name);
        rows.extend(draw_rows(members.clone(), quota, seed, &stream));
    }
    rows.sort_unstable();
    Ok(rows)
}

/// The rows of class `label`, in file order: all of them, or with `Some(cap)` below their
/// number, `cap` of them drawn without replacement (partial Fisher–Yates over the class's rows
/// in file order, unbiased draws) from the stream `data/subset/<set name>/label=<label>/n=<cap>`.
///
/// ```
/// use pai_graphon::net::data::{class_rows, load, DataSpec};
/// use pai_graphon::seed::MasterSeed;
/// let seed = MasterSeed::default();
/// let set = load(&DataSpec::Mnist, seed, "DOC").unwrap();
/// let threes = class_rows(&set, 3, Some(20), seed);
/// assert_eq!(threes.len(), 20);
/// assert!(threes.iter().all(|&r| set.labels[r] == 3) && threes.windows(2).all(|p| p[0] < p[1]));
/// // Not the first 20 threes (rows 1500..1520 of the class-sorted file).
/// assert_ne!(threes, (1500..1520).collect::<Vec<_>>());
/// assert_eq!(class_rows(&set, 3, None, seed), (1500..2000).collect::<Vec<_>>());
/// ```
pub fn class_rows(set: &DataSet, label: u8, cap: Option<usize>, seed: MasterSeed) -> Vec<usize> {
    let members: Vec<usize> = (0..set.samples)
        .filter(|&r| set.labels[r] == label)
        .collect();
    match cap {
        Some(cap) if cap < members.len() => {
            let stream = format!("data/subset/{}/label={label}/n={cap}", set.name);
            let mut rows = draw_rows(members, cap, seed, &stream);
            rows.sort_unstable();
            rows
        }
        _ => members,
    }
}

/// `quota ≤ pool.len()` entries of `pool` drawn without replacement by a partial Fisher–Yates
/// shuffle on the labelled stream, in the order drawn.
fn draw_rows(mut pool: Vec<usize>, quota: usize, seed: MasterSeed, stream: &str) -> Vec<usize> {
    let mut rng = seed.stream(stream);
    for t in 0..quota {
        let j = t + super::criteria::uniform_below(&mut rng, (pool.len() - t) as u64) as usize;
        pool.swap(t, j);
    }
    pool.truncate(quota);
    pool
}

/// The quotas of dealing `n ≤ Σ sizes` rows one at a time to the classes in order, skipping
/// full ones; whole rounds at once, so at most one pass per class plus a last partial round.
fn class_quotas(sizes: &[usize], n: usize) -> Vec<usize> {
    let mut quota = vec![0; sizes.len()];
    let mut left = n;
    while left > 0 {
        let open: Vec<usize> = (0..sizes.len()).filter(|&c| quota[c] < sizes[c]).collect();
        let share = left / open.len();
        if share == 0 {
            open[..left].iter().for_each(|&c| quota[c] += 1);
            break;
        }
        for &c in &open {
            let add = share.min(sizes[c] - quota[c]);
            quota[c] += add;
            left -= add;
        }
    }
    quota
}

impl DataSet {
    /// The seeded stratified subset of `n` rows ([`stratified_rows`]), rows in increasing file
    /// order; the name, dimension and blocks are kept.
    ///
    /// ```
    /// use pai_graphon::net::data::{load, DataSpec};
    /// use pai_graphon::seed::MasterSeed;
    /// let seed = MasterSeed::default();
    /// let set = load(&DataSpec::parse("digits").unwrap(), seed, "DOC").unwrap();
    /// let two = set.stratified_subset(2, seed).unwrap();
    /// // One 0 and one 1: both binary targets.
    /// assert_eq!((two.samples, two.labels.clone(), two.y.clone()), (2, vec![0, 1], vec![1.0, -1.0]));
    /// assert_eq!(two.x.len(), 2 * 64);
    /// ```
    pub fn stratified_subset(&self, n: usize, seed: MasterSeed) -> Result<DataSet, NetError> {
        let rows = stratified_rows(self, n, seed)?;
        Ok(DataSet {
            name: self.name.clone(),
            samples: rows.len(),
            d: self.d,
            x: rows.iter().flat_map(|&r| self.row(r)).copied().collect(),
            y: rows.iter().map(|&r| self.y[r]).collect(),
            labels: rows.iter().map(|&r| self.labels[r]).collect(),
            image_side: self.image_side,
            blocks: self.blocks.clone(),
        })
    }
}

/// Load a data set; the seed and label only matter for the synthetic set (streams
/// `{label}/synthetic/...`).
///
/// ```
/// use pai_graphon::net::data::{load, DataSpec};
/// use pai_graphon::seed::MasterSeed;
/// let digits = load(&DataSpec::parse("digits").unwrap(), MasterSeed::default(), "DOC").unwrap();
/// assert_eq!((digits.samples, digits.d, digits.image_side), (1797, 64, Some(8)));
/// assert_eq!(digits.y[0], 1.0); // the first image is a 0: even
/// assert!(digits.x.iter().all(|&v| (0.0..=1.0).contains(&v)));
/// ```
pub fn load(spec: &DataSpec, seed: MasterSeed, label: &str) -> Result<DataSet, crate::Error> {
    match spec {
        DataSpec::Digits { side } => load_digits(*side),
        DataSpec::Mnist => load_image_set("mnist", MNIST_GZ, MNIST_SHA256, 28, 255.0),
        DataSpec::Synthetic(s) => synthetic(s, seed, label),
    }
    .map_err(crate::Error::from)
}

fn load_digits(side: usize) -> Result<DataSet, NetError> {
    if ![8, 16, 24, 32].contains(&side) {
        return Err(NetError::Size {
            what: "digits side",
            value: side,
            why: "must be 8, 16, 24 or 32",
        });
    }
    let mut set = load_image_set("digits", DIGITS_GZ, DIGITS_SHA256, DIGITS_SIDE, 16.0)?;
    if side != DIGITS_SIDE {
        set.x = set
            .x
            .chunks(DIGITS_SIDE * DIGITS_SIDE)
            .flat_map(|image| upsample(image, DIGITS_SIDE, side))
            .collect();
        set.name = format!("digits{side}");
        set.d = side * side;
        set.image_side = Some(side);
    }
    Ok(set)
}

/// The lowercase hex SHA-256 of `bytes`.
///
/// ```
/// use pai_graphon::net::data::sha256_hex;
/// assert_eq!(&sha256_hex(b"abc")[..16], "ba7816bf8f01cfea");
/// ```
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Checks the digest, decompresses and parses `side²` pixels plus a label per line.
fn load_image_set(
    name: &'static str,
    gz: &[u8],
    sha256: &'static str,
    side: usize,
    max_value: f64,
) -> Result<DataSet, NetError> {
    let digest = sha256_hex(gz);
    if digest != sha256 {
        return Err(NetError::Embedded {
            name,
            problem: EmbeddedProblem::Checksum {
                digest,
                expected: sha256,
            },
        });
    }
    let mut text = String::new();
    GzDecoder::new(gz)
        .read_to_string(&mut text)
        .map_err(|e| NetError::Embedded {
            name,
            problem: EmbeddedProblem::Decompress(e.kind()),
        })?;
    let d = side * side;
    let (mut x, mut y, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for (line_no, line) in text.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
        let bad = || NetError::Embedded {
            name,
            problem: EmbeddedProblem::Row { line: line_no + 1 },
        };
        let values: Vec<u32> = line
            .split(',')
            .map(|v| v.trim().parse::<u32>().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        if values.len() != d + 1
            || values[d] > 9
            || values[..d].iter().any(|&v| v as f64 > max_value)
        {
            return Err(bad());
        }
        x.extend(values[..d].iter().map(|&v| v as f64 / max_value));
        labels.push(values[d] as u8);
        y.push(if values[d] % 2 == 0 { 1.0 } else { -1.0 });
    }
    Ok(DataSet {
        name: name.to_string(),
        samples: labels.len(),
        d,
        x,
        y,
        labels,
        image_side: Some(side),
        blocks: None,
    })
}

/// The source coordinate and weight of output pixel `p` of `to` pixels resampled from `from`:
/// `(i0, i1, t)` with the value `I[i0] + t·(I[i1] − I[i0])` (module doc).
fn bilinear_tap(p: usize, from: usize, to: usize) -> (usize, usize, f64) {
    let numerator = ((2 * p + 1) * from) as f64 - to as f64;
    let u = (numerator / (2 * to) as f64).clamp(0.0, (from - 1) as f64);
    let i0 = u.floor() as usize;
    (i0, (i0 + 1).min(from - 1), u - i0 as f64)
}

/// Bilinear resampling of a `from` × `from` row-major image to `to` × `to` (module doc).
///
/// ```
/// use pai_graphon::net::data::upsample;
/// let ramp: Vec<f64> = (0..4).map(|k| (k % 2) as f64).collect(); // 2×2, columns 0 and 1
/// let big = upsample(&ramp, 2, 4);
/// assert_eq!(&big[..4], &[0.0, 0.25, 0.75, 1.0]);
/// assert_eq!(upsample(&ramp, 2, 2), ramp);
/// ```
pub fn upsample(image: &[f64], from: usize, to: usize) -> Vec<f64> {
    let taps: Vec<(usize, usize, f64)> = (0..to).map(|p| bilinear_tap(p, from, to)).collect();
    let lerp = |a: f64, b: f64, t: f64| a + t * (b - a);
    // Rows first: `from` source rows resampled along the columns.
    let rows: Vec<f64> = image
        .chunks(from)
        .flat_map(|row| taps.iter().map(|&(i0, i1, t)| lerp(row[i0], row[i1], t)))
        .collect();
    let mut out = Vec::with_capacity(to * to);
    for &(r0, r1, t) in &taps {
        let (a, b) = (&rows[r0 * to..(r0 + 1) * to], &rows[r1 * to..(r1 + 1) * to]);
        out.extend(a.iter().zip(b).map(|(&u, &v)| lerp(u, v, t)));
    }
    out
}

fn synthetic(spec: &SyntheticSpec, seed: MasterSeed, label: &str) -> Result<DataSet, NetError> {
    let name = format!(
        "synthetic:samples={},informative={},noise={},zero={},signal={}",
        spec.samples, spec.informative, spec.noise, spec.zero, spec.signal
    );
    spec.validate()?;
    let d = spec.informative + spec.noise + spec.zero;
    let mut coins = seed.stream(&format!("{label}/synthetic/y"));
    let mut normals = seed.stream(&format!("{label}/synthetic/x"));
    let mut x = Vec::with_capacity(spec.samples * d);
    let mut y = Vec::with_capacity(spec.samples);
    for _ in 0..spec.samples {
        let target = if coins.next_u64() & 1 == 1 { 1.0 } else { -1.0 };
        for _ in 0..spec.informative {
            let z: f64 = StandardNormal.sample(&mut normals);
            x.push(spec.signal * target + z);
        }
        for _ in 0..spec.noise {
            x.push(StandardNormal.sample(&mut normals));
        }
        x.extend(std::iter::repeat_n(0.0, spec.zero));
        y.push(target);
    }
    let informative_end = spec.informative;
    let noise_end = informative_end + spec.noise;
    Ok(DataSet {
        name,
        samples: spec.samples,
        d,
        labels: y.iter().map(|&t| if t > 0.0 { 0 } else { 1 }).collect(),
        x,
        y,
        image_side: None,
        blocks: Some((0..informative_end, informative_end..noise_end, noise_end..d)),
    })
}
