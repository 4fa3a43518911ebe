//! The crate's one fast FSM sampler: exact masks by inversion of uniforms, output-sensitive
//! (most entries cost one 16-bit uniform and two integer comparisons; only entries near the
//! threshold get their exact score). Used by [`super::sampler::sample_mask`],
//! [`super::sampler::sample_frozen`] and `external::simulate`.
//!
//! **Uniforms.** A mask reads the ChaCha8 keystream of its stream's key
//! ([`crate::seed::chacha8_twin`]: 2.5× cheaper per byte than ChaCha20), addressed in 32-bit
//! words. With
//! `w = ⌈d/2⌉` words per row, noise row r's entry j owns the 16-bit little-endian draw `a_rj`
//! at bytes `4·r·w + 2j ..+2` (primary region) and the 64-bit little-endian draw `b_rj` at
//! words `n·w + 2(r·d + j) ..+2` (refinement region), and
//! `U_rj = (a_rj·2^37 + ⌊b_rj / 2^27⌋ + 1/2) / 2^53`, a uniform on the grid of
//! [`crate::seed::uniform_open01`]. Rows are positional: tasks seek to their rows, so masks are
//! bit-identical for any number of threads, and a refinement word is read only when needed.
//!
//! **Scores.** `S_ij = fl(fl(φ_i · ψ_j) · law.tail_inverse(U_rj))` with r the noise row of i
//! (i itself, except in `external::simulate`'s perturbed models). Top-k keeps the k largest,
//! ties to the smaller linear index `i·d + j`; frozen keeps `S_ij > τ`.
//!
//! **Decisions.** `T[g] = tail_inverse(g / 2^16)` (`T[0] = ∞`) brackets |ξ| of every uniform
//! whose primary draw is g: `T[g + 1] ≤ |ξ| ≤ T[g]` up to the law's rounding. For a window
//! `[lo, hi]`, an entry is surely kept when `y·T[g + 1] > hi·(1 + MARGIN)` and surely dropped
//! when `y·T[g] < lo / (1 + MARGIN)`, `y = φ_i ψ_j`. `MARGIN` = 1e-9 covers the relative error
//! of `tail_inverse` (≤ 6ε for the half-normal, `normal::HALF_NORMAL_ISF_RELATIVE_BOUND`; 2ε for
//! the uniform law) and the roundings between the table and the exact score, a factor > 10⁵ to
//! spare; a user-supplied [`NoiseLaw`] must have `tail_inverse` within 1e-10 relative. The hot
//! loop evaluates these tests once per block of [`CUT_ROWS`] rows × [`CUT_COLS`] columns with
//! the block's smallest and largest y (rounded products are monotone in each factor, so the
//! block's y_min = fl(min φ · min ψ) is ≤ every y in it): the cells g below the block's keep cut
//! are kept, those above its drop cut dropped, whatever the profiles' shape: 16 comparisons of
//! u16 against two cuts per block row, in SSE2 on x86_64 (`classify`). Only entries between
//! the two cuts test their own y; those still undecided form the band.
//!
//! **Selection.** With m = k − #kept, the m-th largest lower and upper bounds of the band's
//! scores (from T) bracket the m-th band score s*; entries whose bracket lies above it are kept,
//! below it dropped, and only the overlapping ones get exact scores (their refinement words) and
//! a selection in rank order. The result is the top k iff `lo ≤ s* ≤ hi`; otherwise the window
//! missed and the pass is repeated with a window that surely holds the k-th score (`[hi, ∞]`
//! when it lies above hi, `[lo/16, lo]` and further down, to `[0, lo]`, when below): the same
//! mask, one more pass each ([`Mask::passes`]). Memory: the mask's bits plus 8 bytes per band
//! entry (and 8 more during the selection).

use super::noise::{HalfNormal, NoiseLaw, UniformAbs};
use super::ConvergenceError;
use crate::mask::{rank_order, Mask};
use crate::seed::chacha8_twin;
use rand::Rng;
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};
use rayon::prelude::*;
use std::any::type_name;
use std::cmp::Ordering::Less;
use std::sync::{Arc, Mutex};

/// Bits of U drawn for every entry (the primary draw), which index the table.
const FINE_BITS: u32 = 16;

/// Cells of the table: values of the primary draw.
const CELLS: usize = 1 << FINE_BITS;

/// Relative margin of every decision taken from the table rather than the exact score (module
/// doc): far above the error of `tail_inverse` and three roundings, far below any band width.
const MARGIN: f64 = 1e-9;

/// 2^−53, the spacing of the uniforms.
const UNIT: f64 = 1.0 / (1u64 << 53) as f64;

/// Entries per parallel task (rows are grouped until a task holds about this many).
const ENTRIES_PER_TASK: usize = 1 << 14;

/// Rows of a cut block (module doc).
pub(crate) const CUT_ROWS: usize = 8;

/// Columns of a cut block (a divisor of 64: a mask word holds 64 / CUT_COLS blocks).
pub(crate) const CUT_COLS: usize = 16;

/// The quantile table `T[g] = tail_inverse(g / 2^16)`, g = 0..=2^16, `T[0] = ∞`, checked
/// finite, non-negative and non-increasing.
#[derive(Clone)]
pub(crate) struct Table(Box<[f64; CELLS + 1]>);

impl std::fmt::Debug for Table {
    /// The ends only: the table has 65537 entries.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Table(T[1] = {}, T[2^15] = {})",
            self.0[1],
            self.0[CELLS / 2]
        )
    }
}

impl Table {
    /// The table of `law` (65537 quantiles); a law whose quantiles are not finite,
    /// non-negative and non-increasing is an error.
    pub(crate) fn new<L: NoiseLaw + ?Sized>(law: &L) -> Result<Table, ConvergenceError> {
        let values: Vec<f64> = (0..=CELLS)
            .into_par_iter()
            .map(|g| match g {
                0 => f64::INFINITY,
                _ => law.tail_inverse(g as f64 / CELLS as f64),
            })
            .collect();
        let monotone = values.windows(2).all(|w| w[1] <= w[0]);
        if !(monotone && values[1..].iter().all(|x| x.is_finite() && *x >= 0.0)) {
            return Err(ConvergenceError::Spec {
                spec: law.spec(),
                why: "tail_inverse is not finite, non-negative and non-increasing",
            });
        }
        let table = values.into_boxed_slice().try_into().expect("65537 values");
        Ok(Table(table))
    }

    /// The table of `law`, cached per law for the crate's own laws ([`HalfNormal`],
    /// [`UniformAbs`], whose spec names every parameter exactly); any other law builds its own
    /// (its spec need not identify it).
    pub(crate) fn cached<L: NoiseLaw + ?Sized>(law: &L) -> Result<Arc<Table>, ConvergenceError> {
        type Cache = Vec<(&'static str, String, Arc<Table>)>;
        static CACHE: Mutex<Cache> = Mutex::new(Vec::new());
        // the full path of the type: no type outside this crate can have these names
        let id = type_name::<L>();
        if id != type_name::<HalfNormal>() && id != type_name::<UniformAbs>() {
            return Table::new(law).map(Arc::new);
        }
        let spec = law.spec();
        let lock = || {
            CACHE
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
        };
        if let Some((_, _, t)) = lock().iter().find(|(i, s, _)| *i == id && *s == spec) {
            return Ok(t.clone());
        }
        let table = Arc::new(Table::new(law)?);
        let mut cache = lock();
        if cache.len() >= 8 {
            cache.remove(0); // each table is 512 KiB: keep the few laws in use
        }
        cache.push((id, spec, table.clone()));
        Ok(table)
    }
}

/// The first index in `[lo, hi]` where the monotone (true, then false) `pred` is false (`hi`
/// if none), by galloping from `hint` (any value; close is fast) and bisection.
fn first_false(lo: usize, hi: usize, hint: usize, pred: impl Fn(usize) -> bool) -> usize {
    let h = hint.clamp(lo, hi);
    let (mut a, mut b) = (lo, hi);
    let mut step = 1;
    if h < hi && pred(h) {
        a = h + 1;
        while h + step < hi {
            if !pred(h + step) {
                b = h + step;
                break;
            }
            a = h + step + 1;
            step *= 2;
        }
    } else {
        b = h;
        while h >= lo + step {
            if pred(h - step) {
                a = h - step + 1;
                break;
            }
            b = h - step;
            step *= 2;
        }
    }
    while a < b {
        let mid = a + (b - a) / 2;
        if pred(mid) {
            a = mid + 1;
        } else {
            b = mid;
        }
    }
    a
}

/// The cuts of a block whose products y lie in `[y_min, y_max]`: cell g is surely kept iff
/// `g < cut[0]`, surely dropped iff `g > cut[1]`. With K the number of cells g with
/// `y_min·T[g + 1] > keep_above` (a prefix, T decreasing) and D the first cell with
/// `y_max·T[D] < drop_below`, they are `min(K, 2^16 − 1)` and `max(D − 1, 0)`: the cells that do
/// not fit are left undecided. `hint` carries the previous block's (K, D).
fn block_cut(
    t: &[f64; CELLS + 1],
    (y_min, y_max): (f64, f64),
    (keep_above, drop_below): (f64, f64),
    hint: &mut (usize, usize),
) -> [u16; 2] {
    let k = first_false(1, CELLS + 1, hint.0 + 1, |m| y_min * t[m] > keep_above) - 1;
    // not surely below lo (NaN, from 0 · ∞ at g = 0, is not)
    let not_below = |g: usize| (y_max * t[g]).partial_cmp(&drop_below) != Some(Less);
    let d = first_false(0, CELLS, hint.1, not_below);
    *hint = (k, d);
    let max = u16::MAX as usize;
    [k.min(max) as u16, d.saturating_sub(1).min(max) as u16]
}

/// The bits of a block row's entries (at most [`CUT_COLS`] primary draws, 2 bytes each, little
/// endian) that are surely kept (`a < cut[0]`) and between the cuts (`cut[0] ≤ a ≤ cut[1]`).
#[inline]
fn classify(bytes: &[u8], cut: [u16; 2]) -> (u64, u64) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if let Ok(full) = <&[u8; 2 * CUT_COLS]>::try_from(bytes) {
        // SAFETY: this target enables SSE2, the one feature classify_sse2 requires.
        return unsafe { classify_sse2(full, cut) };
    }
    classify_scalar(bytes, cut)
}

/// [`classify`] one entry at a time (partial block rows, and targets without SSE2).
fn classify_scalar(bytes: &[u8], cut: [u16; 2]) -> (u64, u64) {
    let (mut kept, mut between) = (0u64, 0u64);
    for (e, pair) in bytes.chunks_exact(2).enumerate() {
        let a = u16::from_le_bytes([pair[0], pair[1]]);
        kept |= ((a < cut[0]) as u64) << e;
        between |= ((a >= cut[0] && a <= cut[1]) as u64) << e;
    }
    (kept, between)
}

/// [`classify`] for a full block row with SSE2 (part of every x86_64): 16 comparisons in 6
/// instructions, unsigned order by flipping the sign bits.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
#[inline]
fn classify_sse2(bytes: &[u8; 2 * CUT_COLS], cut: [u16; 2]) -> (u64, u64) {
    use std::arch::x86_64::*;
    // SAFETY: the two unaligned loads read bytes 0..16 and 16..32 of a 32-byte array.
    let (a, b) = unsafe {
        let p = bytes.as_ptr().cast::<__m128i>();
        (_mm_loadu_si128(p), _mm_loadu_si128(p.add(1)))
    };
    let flip = _mm_set1_epi16(i16::MIN);
    let (a, b) = (_mm_xor_si128(a, flip), _mm_xor_si128(b, flip));
    let bound = |c: u16| _mm_set1_epi16((c ^ 0x8000) as i16);
    let (keep, drop) = (bound(cut[0]), bound(cut[1]));
    let kept = _mm_packs_epi16(_mm_cmplt_epi16(a, keep), _mm_cmplt_epi16(b, keep));
    let above = _mm_packs_epi16(_mm_cmpgt_epi16(a, drop), _mm_cmpgt_epi16(b, drop));
    let (kept, above) = (
        _mm_movemask_epi8(kept) as u64,
        _mm_movemask_epi8(above) as u64,
    );
    (kept, !(kept | above) & 0xffff)
}

/// (min, max) of a non-empty slice of non-negative finite values.
fn range(values: &[f64]) -> (f64, f64) {
    values
        .iter()
        .fold((f64::INFINITY, 0.0), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

/// Every block's cuts for one window: a pass with that window reads them instead of computing
/// them (they depend only on the profiles, the law's table and the window), so that many masks
/// of one field share the work.
#[derive(Debug)]
pub(crate) struct Cuts {
    window: (f64, f64),
    /// Per group of [`CUT_ROWS`] rows, one per block of [`CUT_COLS`] columns.
    cuts: Vec<[u16; 2]>,
}

/// What one pass over the primary draws found: the bits of the entries surely kept (or, frozen,
/// kept), their count, and the band as `index << 16 | primary draw`.
struct Pass {
    bits: Vec<u64>,
    above: u64,
    band: Vec<u64>,
}

/// Where a missed window put the k-th score.
enum Miss {
    /// Above the window's hi.
    Above,
    /// Below the window's lo.
    Below,
}

/// An FSM field: n × d scores from grid profiles (finite, non-negative, −0 stored as +0) and a
/// law with its table; row i draws the noise of row `row_source[i]` (identity if `None`).
pub(crate) struct Field<'a, L: ?Sized> {
    pub phi: &'a [f64],
    pub psi: &'a [f64],
    pub law: &'a L,
    pub table: &'a Table,
    pub row_source: Option<&'a [usize]>,
}

impl<L: NoiseLaw + ?Sized> Field<'_, L> {
    fn shape(&self) -> (usize, usize) {
        (self.phi.len(), self.psi.len())
    }

    /// 32-bit words per row of 16-bit primary draws.
    fn stride(&self) -> usize {
        self.psi.len().div_ceil(2)
    }

    fn source(&self, i: usize) -> usize {
        self.row_source.map_or(i, |r| r[i])
    }

    /// The exact score of entry (i, j) whose primary draw is `a`: reads its refinement word
    /// (`rng` is any clone of the mask's stream).
    fn exact_score(
        &self,
        rng: &mut ChaCha8Rng,
        a: u16,
        (i, j): (usize, usize),
    ) -> Result<f64, ConvergenceError> {
        let y = self.phi[i] * self.psi[j];
        if y == 0.0 {
            return Ok(0.0); // 0 · |ξ| whatever the uniform: no refinement needed
        }
        let (n, d) = self.shape();
        let entry = self.source(i) * d + j;
        rng.set_word_pos((n * self.stride() + 2 * entry) as u128);
        let u53 = (a as u64) << 37 | rng.next_u64() >> 27;
        let s = y * self.law.tail_inverse((u53 as f64 + 0.5) * UNIT);
        if s.is_finite() && s >= 0.0 {
            Ok(s)
        } else {
            Err(ConvergenceError::Score { score: s })
        }
    }

    /// The (min, max) of each block of [`CUT_COLS`] columns' profile.
    fn col_ranges(&self) -> Vec<(f64, f64)> {
        self.psi.chunks(CUT_COLS).map(range).collect()
    }

    /// The cuts of rows `i..end` (one group) for the pass limits `limits`, one per column block.
    fn group_cuts(
        &self,
        (i, end): (usize, usize),
        col_ranges: &[(f64, f64)],
        limits: (f64, f64),
        out: &mut [[u16; 2]],
    ) {
        let (p_min, p_max) = range(&self.phi[i..end]);
        let mut hint = (0, CELLS);
        for (cut, &(q_min, q_max)) in out.iter_mut().zip(col_ranges) {
            let y = (p_min * q_min, p_max * q_max);
            *cut = block_cut(&self.table.0, y, limits, &mut hint);
        }
    }

    /// Every block's cuts for a pass with window `[lo, hi]`.
    pub(crate) fn cuts(&self, (lo, hi): (f64, f64)) -> Cuts {
        let n = self.phi.len();
        let col_ranges = self.col_ranges();
        let blocks = col_ranges.len().max(1);
        let limits = (hi * (1.0 + MARGIN), lo / (1.0 + MARGIN));
        let mut cuts = vec![[0u16; 2]; n.div_ceil(CUT_ROWS) * blocks];
        cuts.par_chunks_mut(blocks)
            .enumerate()
            .for_each(|(g, out)| {
                let i = g * CUT_ROWS;
                self.group_cuts((i, (i + CUT_ROWS).min(n)), &col_ranges, limits, out);
            });
        Cuts {
            window: (lo, hi),
            cuts,
        }
    }

    /// Every exact score, row-major (the reference the fast path is tested against, and the
    /// scores of `sampler::sample_scores`).
    pub(crate) fn scores(&self, stream: &ChaCha20Rng) -> Result<Vec<f64>, ConvergenceError> {
        let stream = &chacha8_twin(stream);
        let (n, d) = self.shape();
        let stride = self.stride();
        let mut scores = vec![0.0; n * d];
        scores
            .par_chunks_mut(d)
            .enumerate()
            .try_for_each(|(i, row)| {
                let (mut rng, r) = (stream.clone(), self.source(i));
                let (mut primary, mut refine) = (vec![0u8; 4 * stride], vec![0u8; 8 * d]);
                rng.set_word_pos((r * stride) as u128);
                rng.fill_bytes(&mut primary);
                rng.set_word_pos((n * stride + 2 * r * d) as u128);
                rng.fill_bytes(&mut refine);
                for (j, s) in row.iter_mut().enumerate() {
                    let a = u16::from_le_bytes([primary[2 * j], primary[2 * j + 1]]);
                    let b = u64::from_le_bytes(refine[8 * j..8 * j + 8].try_into().expect("8"));
                    let u53 = (a as u64) << 37 | b >> 27;
                    let y = self.phi[i] * self.psi[j];
                    *s = y * self.law.tail_inverse((u53 as f64 + 0.5) * UNIT);
                    if !(s.is_finite() && *s >= 0.0) {
                        return Err(ConvergenceError::Score { score: *s });
                    }
                }
                Ok(())
            })?;
        Ok(scores)
    }

    /// One pass over every entry's primary draw (module doc). Sets the bits of the scores surely
    /// above `hi`; the undecided entries are, for top-k (`frozen` false), returned as the band,
    /// and for the frozen law (`lo = hi = τ`) decided at once by their exact score.
    fn pass(
        &self,
        stream: &ChaCha8Rng,
        (lo, hi): (f64, f64),
        frozen: bool,
        cached: Option<&Cuts>,
    ) -> Result<Pass, ConvergenceError> {
        let cached = cached.filter(|c| c.window == (lo, hi));
        let (n, d) = self.shape();
        let (wpr, stride) = (d.div_ceil(64), self.stride());
        let rows_per_task = ENTRIES_PER_TASK.div_ceil(d).next_multiple_of(CUT_ROWS);
        let limits = (hi * (1.0 + MARGIN), lo / (1.0 + MARGIN));
        let (keep_above, drop_below) = limits;
        let t = &*self.table.0;
        let col_ranges = self.col_ranges();
        let mut bits = vec![0u64; n * wpr];
        let found: Vec<(u64, Vec<u64>)> = bits
            .par_chunks_mut(rows_per_task * wpr)
            .enumerate()
            .map(|(task, words)| {
                let (mut rng, mut refine) = (stream.clone(), stream.clone());
                let mut buf = vec![0u8; 4 * stride];
                let mut cuts = vec![[0u16; 2]; col_ranges.len()];
                let (mut above, mut band) = (0u64, Vec::new());
                let mut position = u128::MAX;
                let first = task * rows_per_task;
                let rows = first..first + words.len() / wpr;
                for (local, row_words) in words.chunks_mut(wpr).enumerate() {
                    let i = first + local;
                    if local % CUT_ROWS == 0 {
                        // a task's rows start at a multiple of CUT_ROWS: group i / CUT_ROWS
                        let end = (i + CUT_ROWS).min(rows.end);
                        match cached {
                            Some(c) => {
                                let blocks = cuts.len();
                                cuts.copy_from_slice(&c.cuts[i / CUT_ROWS * blocks..][..blocks]);
                            }
                            None => self.group_cuts((i, end), &col_ranges, limits, &mut cuts),
                        }
                    }
                    let start = (self.source(i) * stride) as u128;
                    if start != position {
                        rng.set_word_pos(start);
                    }
                    rng.fill_bytes(&mut buf);
                    position = start + stride as u128;
                    let (phi_i, base) = (self.phi[i], (i * d) as u64);
                    let chunks = buf.chunks(128).zip(self.psi.chunks(64)).zip(row_words);
                    for (c, ((chunk, psi), word)) in chunks.enumerate() {
                        // The kept entries and those between the cuts, one block row at a time.
                        let (mut kept, mut between) = (0u64, 0u64);
                        let blocks = psi.chunks(CUT_COLS).zip(&cuts[c * (64 / CUT_COLS)..]);
                        for (b, (cols, &cut)) in blocks.enumerate() {
                            let at = b * CUT_COLS;
                            let (k, m) = classify(&chunk[2 * at..2 * (at + cols.len())], cut);
                            kept |= k << at;
                            between |= m << at;
                        }
                        while between != 0 {
                            let e = between.trailing_zeros() as usize;
                            between &= between - 1;
                            let a = u16::from_le_bytes([chunk[2 * e], chunk[2 * e + 1]]);
                            let (g, y) = (a as usize, phi_i * psi[e]);
                            // NaN (0 · ∞ at g = 0) decides nothing, as it should
                            if y * t[g + 1] > keep_above {
                                kept |= 1 << e;
                            } else if y * t[g] < drop_below {
                            } else if frozen {
                                let s = self.exact_score(&mut refine, a, (i, c * 64 + e))?;
                                kept |= ((s > hi) as u64) << e;
                            } else {
                                band.push((base + (c * 64 + e) as u64) << FINE_BITS | a as u64);
                            }
                        }
                        *word = kept;
                        above += kept.count_ones() as u64;
                    }
                }
                Ok((above, band))
            })
            .collect::<Result<_, ConvergenceError>>()?;
        let above = found.iter().map(|f| f.0).sum();
        let mut band = Vec::with_capacity(found.iter().map(|f| f.1.len()).sum());
        for (_, b) in found {
            band.extend(b);
        }
        Ok(Pass { bits, above, band })
    }

    /// Completes a top-k pass with window `[lo, hi]` (module doc), or says where the k-th score
    /// lies if the window missed it.
    fn select(
        &self,
        stream: &ChaCha8Rng,
        mut pass: Pass,
        k: u64,
        (lo, hi): (f64, f64),
        passes: u32,
    ) -> Result<Result<Mask, Miss>, ConvergenceError> {
        let (n, d) = self.shape();
        if pass.above >= k {
            return Ok(Err(Miss::Above));
        }
        if pass.above + (pass.band.len() as u64) < k {
            return Ok(Err(Miss::Below));
        }
        let m = (k - pass.above) as usize;
        let t = &*self.table.0;
        let unpack = |e: u64| {
            let (index, g) = (e >> FINE_BITS, (e & (CELLS as u64 - 1)) as usize);
            let (i, j) = ((index / d as u64) as usize, (index % d as u64) as usize);
            (index, g, (i, j))
        };
        let bounds = |e: u64| {
            let (_, g, (i, j)) = unpack(e);
            let y = self.phi[i] * self.psi[j];
            if y == 0.0 {
                (0.0, 0.0)
            } else {
                (y * t[g + 1] / (1.0 + MARGIN), y * t[g] * (1.0 + MARGIN))
            }
        };
        let mth_largest = |pick: &dyn Fn((f64, f64)) -> f64| {
            let mut v: Vec<f64> = pass.band.iter().map(|&e| pick(bounds(e))).collect();
            v.select_nth_unstable_by(m - 1, |x, y| y.total_cmp(x));
            v[m - 1]
        };
        let lower_m = mth_largest(&|b| b.0);
        let upper_m = mth_largest(&|b| b.1);
        let mut rng = stream.clone();
        let (mut sure, mut ranked) = (Vec::new(), Vec::new());
        for &e in &pass.band {
            let (l, u) = bounds(e);
            let (index, g, at) = unpack(e);
            if l > upper_m {
                sure.push(index);
            } else if u >= lower_m {
                ranked.push((self.exact_score(&mut rng, g as u16, at)?, index));
            }
        }
        drop(std::mem::take(&mut pass.band));
        let need = m - sure.len(); // ≥ 1: s* is neither sure nor excluded
        ranked.select_nth_unstable_by(need - 1, rank_order);
        let threshold = ranked[need - 1].0;
        if threshold > hi {
            return Ok(Err(Miss::Above));
        }
        if threshold < lo {
            return Ok(Err(Miss::Below));
        }
        let wpr = d.div_ceil(64);
        for index in sure.into_iter().chain(ranked[..need].iter().map(|r| r.1)) {
            let (i, j) = ((index / d as u64) as usize, (index % d as u64) as usize);
            pass.bits[i * wpr + j / 64] |= 1u64 << (j % 64);
        }
        Ok(Ok(Mask::from_parts(n, d, pass.bits, k, threshold, passes)))
    }

    /// The top-k mask (k ≥ 1, at most n·d) from `stream`, starting from the window `[lo, hi]`
    /// (0 ≤ lo ≤ hi; a hint: a miss costs passes, never exactness).
    /// `cuts`: the block cuts of some window ([`Field::cuts`]), read by a pass with that window.
    pub(crate) fn top_k(
        &self,
        stream: &ChaCha20Rng,
        k: u64,
        (mut lo, mut hi): (f64, f64),
        cuts: Option<&Cuts>,
    ) -> Result<Mask, ConvergenceError> {
        let stream = &chacha8_twin(stream);
        for passes in 1.. {
            let pass = self.pass(stream, (lo, hi), false, cuts)?;
            match self.select(stream, pass, k, (lo, hi), passes)? {
                Ok(mask) => return Ok(mask),
                // at least k scores exceed hi (and none exceeds ∞: no second miss above)
                Err(Miss::Above) => (lo, hi) = (hi, f64::INFINITY),
                // fewer than k scores reach lo (and all reach 0: no miss below [0, lo])
                Err(Miss::Below) => {
                    (lo, hi) = (if lo > 1e-300 { lo / 16.0 } else { 0.0 }, lo);
                }
            }
        }
        unreachable!("a pass loop over u32 ends with a mask")
    }

    /// The frozen mask `{S_ij > τ}` (τ finite, ≥ 0) from `stream`; its threshold is τ.
    pub(crate) fn frozen(&self, stream: &ChaCha20Rng, tau: f64) -> Result<Mask, ConvergenceError> {
        let (n, d) = self.shape();
        let pass = self.pass(&chacha8_twin(stream), (tau, tau), true, None)?;
        Ok(Mask::from_parts(n, d, pass.bits, pass.above, tau, 1))
    }

    /// The XOR of every primary draw, as 64-bit words, read by the same tasks as a pass: the
    /// cost of the uniforms alone (the floor of `benches/masks.rs`).
    pub(crate) fn primary_checksum(&self, stream: &ChaCha20Rng) -> u64 {
        let stream = &chacha8_twin(stream);
        let (n, d) = self.shape();
        let stride = self.stride();
        let rows_per_task = ENTRIES_PER_TASK.div_ceil(d).next_multiple_of(CUT_ROWS);
        (0..n.div_ceil(rows_per_task))
            .into_par_iter()
            .map(|task| {
                let mut rng = stream.clone();
                let mut buf = vec![0u8; 4 * stride];
                let rows = task * rows_per_task..((task + 1) * rows_per_task).min(n);
                let mut acc = 0u64;
                for i in rows {
                    rng.set_word_pos((self.source(i) * stride) as u128);
                    rng.fill_bytes(&mut buf);
                    acc ^= buf.chunks(8).fold(0u64, |x, c| {
                        let mut word = [0u8; 8];
                        word[..c.len()].copy_from_slice(c);
                        x ^ u64::from_le_bytes(word)
                    });
                }
                acc
            })
            .reduce(|| 0, |a, b| a ^ b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convergence::profile::Profile;
    use crate::convergence::sampler::grid;
    use crate::mask::top_k_mask;
    use crate::seed::MasterSeed;

    fn gaussian() -> HalfNormal {
        HalfNormal { sigma: 1.0 }
    }

    /// Checks every window on one field: the top-k and frozen masks equal the selections over
    /// every exact score of the same uniforms.
    fn check<L: NoiseLaw + ?Sized>(name: &str, field: &Field<L>, k: u64, windows: &[(f64, f64)]) {
        let (n, d) = field.shape();
        for rep in 0..2 {
            let stream = MasterSeed::default().stream(&format!("INV-T/{name}/{rep}"));
            let scores = field.scores(&stream).unwrap();
            let reference = top_k_mask(n, d, &scores, k).unwrap();
            for &w in windows {
                let m = field.top_k(&stream, k, w, None).unwrap();
                assert_eq!(m, reference, "{name}: top-k, window {w:?}, rep {rep}");
                // the window's cuts read from a table, and a table of another window ignored
                for cuts in [field.cuts(w), field.cuts((w.0 / 2.0, w.1))] {
                    let cached = field.top_k(&stream, k, w, Some(&cuts)).unwrap();
                    assert_eq!(cached, reference, "{name}: cached cuts, window {w:?}");
                }
                let holds = w.0 <= m.threshold() && m.threshold() <= w.1;
                assert!(
                    holds || m.passes() > 1,
                    "{name}: a missed window took one pass"
                );
            }
            for tau in [0.0, reference.threshold(), 0.7, 1e300] {
                let frozen = field.frozen(&stream, tau).unwrap();
                let above: Vec<u8> = scores.iter().map(|s| (*s > tau) as u8).collect();
                let expected = Mask::from_entries(n, d, &above).unwrap();
                assert_eq!(
                    frozen.row_degrees(),
                    expected.row_degrees(),
                    "{name}: τ {tau}"
                );
                for i in 0..n {
                    assert_eq!(
                        frozen.row_words(i),
                        expected.row_words(i),
                        "{name}: τ {tau}"
                    );
                }
            }
        }
    }

    #[test]
    fn masks_equal_the_selection_over_every_exact_score_for_any_window() {
        let windows = [
            (0.0, f64::INFINITY),
            (1e9, 2e9),
            (0.0, 0.0),
            (1e-12, 1e-11),
            (0.5, 0.6),
            (2.0, 2.0),
        ];
        let profiles = [
            ("exp:3", "exp:3", 0.2),
            ("exp:2", "affine:1,2", 0.3),
            ("step:0.5;1,3", "exp:3", 0.1),
            ("affine:0,1", "const:1", 0.7),
            ("empirical:5,1,0,3", "power:2", 0.4),
        ];
        let laws: [(&str, &dyn NoiseLaw); 2] = [
            ("gaussian", &gaussian()),
            ("uniform", &UniformAbs { a: 2.0 }),
        ];
        for (row, col, rho) in profiles {
            let (row, col) = (Profile::parse(row).unwrap(), Profile::parse(col).unwrap());
            for (n, d) in [(1, 257), (97, 61), (40, 130), (3, 3)] {
                let (phi, psi) = (grid(&row, n), grid(&col, d));
                let k = crate::mask::kept_count(n, d, crate::params::Density::new(rho).unwrap())
                    .unwrap();
                for (law_name, law) in laws {
                    let table = Table::new(law).unwrap();
                    let field = Field {
                        phi: &phi,
                        psi: &psi,
                        law,
                        table: &table,
                        row_source: None,
                    };
                    let name = format!("{row:?};{col:?};{law_name};{n}x{d}");
                    check(&name, &field, k, &windows);
                }
            }
        }
    }

    #[test]
    fn ties_at_zero_and_shared_rows_are_exact() {
        // Half the rows have φ = 0: their scores tie at 0 and ρ = 0.7 keeps some, by index.
        let phi: Vec<f64> = (0..40)
            .map(|i| if i < 25 { 0.0 } else { 1.0 + i as f64 })
            .collect();
        let psi = vec![1.0; 33];
        let law = UniformAbs { a: 1.0 };
        let table = Table::new(&law).unwrap();
        let mut field = Field {
            phi: &phi,
            psi: &psi,
            law: &law,
            table: &table,
            row_source: None,
        };
        let k = (0.7f64 * 40.0 * 33.0).round() as u64;
        check(
            "zero rows",
            &field,
            k,
            &[(0.0, f64::INFINITY), (0.0, 0.0), (3.0, 9.0)],
        );
        let shared: Vec<usize> = (0..40)
            .map(|i| if i % 7 == 3 { i / 2 } else { i })
            .collect();
        field.row_source = Some(&shared);
        check(
            "shared rows",
            &field,
            k,
            &[(0.0, f64::INFINITY), (3.0, 9.0)],
        );
    }

    #[test]
    fn one_and_two_threads_give_identical_masks() {
        let exp3 = Profile::parse("exp:3").unwrap();
        let (phi, psi) = (grid(&exp3, 300), grid(&exp3, 200));
        let law = gaussian();
        let table = Table::new(&law).unwrap();
        let field = Field {
            phi: &phi,
            psi: &psi,
            law: &law,
            table: &table,
            row_source: None,
        };
        let stream = MasterSeed::default().stream("INV-T/threads");
        let run = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| {
                (
                    field.top_k(&stream, 12_000, (1.0, 1.5), None).unwrap(),
                    field.frozen(&stream, 1.2).unwrap(),
                    field.primary_checksum(&stream),
                )
            })
        };
        assert_eq!(run(1), run(2));
    }

    #[test]
    fn classify_agrees_with_the_definition_on_every_cut_edge() {
        // cuts at the ends of u16 (signed-order traps at 0x7fff/0x8000), and draws equal to them
        let edges = [0u16, 1, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff];
        let mut rng = MasterSeed::default().stream("TEST/classify");
        for round in 0..200 {
            let mut bytes = [0u8; 2 * CUT_COLS];
            rng.fill_bytes(&mut bytes);
            for (e, pair) in bytes.chunks_exact_mut(2).enumerate() {
                if (round + e) % 3 == 0 {
                    pair.copy_from_slice(&edges[(round + e) % edges.len()].to_le_bytes());
                }
            }
            for c0 in edges {
                for c1 in edges {
                    let (kept, between) = classify(&bytes, [c0, c1]);
                    for (e, pair) in bytes.chunks_exact(2).enumerate() {
                        let a = u16::from_le_bytes([pair[0], pair[1]]);
                        let (k, m) = (kept >> e & 1 == 1, between >> e & 1 == 1);
                        assert_eq!((k, m), (a < c0, a >= c0 && a <= c1), "a {a} cuts {c0} {c1}");
                    }
                    assert_eq!((kept | between) >> CUT_COLS, 0);
                    // a partial block row (the scalar path) gives the same bits
                    let short = classify(&bytes[..2 * CUT_COLS - 6], [c0, c1]);
                    let low = (1u64 << (CUT_COLS - 3)) - 1;
                    assert_eq!(short, (kept & low, between & low));
                }
            }
        }
    }

    #[test]
    fn first_false_finds_the_boundary_from_any_hint() {
        for boundary in [0, 1, 2, 7, 64, 99, 100] {
            for hint in [0, 1, 5, 50, 99, 100, 1000] {
                let found = first_false(0, 100, hint, |x| x < boundary);
                assert_eq!(found, boundary, "hint {hint}");
                let shifted = first_false(1, 101, hint, |x| x < boundary + 1);
                assert_eq!(shifted, boundary + 1, "hint {hint}");
            }
        }
    }

    #[test]
    fn a_law_with_invalid_quantiles_is_an_error() {
        #[derive(Debug)]
        struct Negative;
        impl NoiseLaw for Negative {
            fn spec(&self) -> String {
                "negative".into()
            }
            fn tail(&self, _: f64) -> f64 {
                0.5
            }
            fn tail_inverse(&self, q: f64) -> f64 {
                -q
            }
            fn density(&self, _: f64) -> f64 {
                0.0
            }
            fn sample_abs(&self, _: &mut ChaCha20Rng) -> f64 {
                -1.0
            }
        }
        assert!(Table::new(&Negative).is_err());
        assert!(Table::cached(&Negative).is_err());
        let a = Table::cached(&gaussian()).unwrap();
        assert!(Arc::ptr_eq(&a, &Table::cached(&gaussian()).unwrap()));
        let b = Table::cached(&HalfNormal { sigma: 2.0 }).unwrap();
        assert!(!Arc::ptr_eq(&a, &b) && b.0[CELLS / 2] > a.0[CELLS / 2]);
    }
}
