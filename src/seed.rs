//! Seeds: one master seed and labelled, portable ChaCha streams.
//!
//! Every random draw in the crate comes from a [`ChaCha20Rng`] whose 256-bit key is
//! `SHA-256("pai-graphon/stream/v1" ‖ master seed (8 bytes, little-endian) ‖ label)`.
//! Labels are human readable, `AREA-N/param=value/rep=r`, so any number in an audit can be
//! reproduced from its label alone. Two different labels give unrelated streams, so adding a
//! width to a sweep never changes the numbers of the other widths, and work split across
//! threads by label is bit-identical whatever the number of threads.

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use sha2::{Digest, Sha256};
use std::fmt;

/// The master seed every stream is derived from unless `--seed` says otherwise:
/// the paper's arXiv number followed by `5EED`.
pub const DEFAULT_MASTER_SEED: u64 = 0x2602_0667_5EED_0001;

/// The seed from which all labelled streams of a run are derived.
///
/// ```
/// use pai_graphon::seed::MasterSeed;
/// let s = MasterSeed::parse("default").unwrap();
/// assert_eq!(s.to_string(), "0x260206675eed0001");
/// assert_eq!(MasterSeed::parse("0x2a").unwrap().value(), 42);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MasterSeed(u64);

/// A seed string that is neither `default`, `random` nor hexadecimal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedError(pub String);

impl fmt::Display for SeedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "invalid seed {:?}: expected 'default', 'random' or a hexadecimal number of at most 16 digits",
            self.0
        )
    }
}

impl std::error::Error for SeedError {}

impl Default for MasterSeed {
    fn default() -> Self {
        MasterSeed(DEFAULT_MASTER_SEED)
    }
}

impl MasterSeed {
    /// A master seed from its value.
    pub fn new(value: u64) -> Self {
        MasterSeed(value)
    }

    /// The raw value.
    pub fn value(self) -> u64 {
        self.0
    }

    /// Parse `default`, `random` (drawn from the operating system's entropy, the only
    /// non-reproducible draw in the crate; print it to reproduce the run) or hex (`0x` optional).
    pub fn parse(text: &str) -> Result<Self, SeedError> {
        match text {
            "default" => Ok(Self::default()),
            "random" => Ok(MasterSeed(os_entropy_u64())),
            _ => {
                let hex = text.strip_prefix("0x").unwrap_or(text);
                if hex.is_empty() || hex.len() > 16 {
                    return Err(SeedError(text.to_string()));
                }
                u64::from_str_radix(hex, 16)
                    .map(MasterSeed)
                    .map_err(|_| SeedError(text.to_string()))
            }
        }
    }

    /// The 256-bit key of the stream with this label.
    pub fn key(self, label: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(b"pai-graphon/stream/v1");
        h.update(self.0.to_le_bytes());
        h.update(label.as_bytes());
        h.finalize().into()
    }

    /// The ChaCha20 stream named `label`.
    ///
    /// ```
    /// use pai_graphon::seed::MasterSeed;
    /// use rand::Rng;
    /// let a = MasterSeed::default().stream("TOOL-1/n=10/rep=0").next_u64();
    /// let b = MasterSeed::default().stream("TOOL-1/n=10/rep=0").next_u64();
    /// let c = MasterSeed::default().stream("TOOL-1/n=10/rep=1").next_u64();
    /// assert_eq!(a, b);
    /// assert_ne!(a, c);
    /// ```
    pub fn stream(self, label: &str) -> ChaCha20Rng {
        ChaCha20Rng::from_seed(self.key(label))
    }
}

impl fmt::Display for MasterSeed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#018x}", self.0)
    }
}

/// 64 bits from the operating system, via the randomly keyed hasher of the standard library.
fn os_entropy_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

/// A uniform draw in the open interval (0, 1) with 53 random bits: `(k + 0.5) / 2^53`.
/// Open at both ends so that quantile transforms never see 0 or 1.
pub fn uniform_open01<R: rand::Rng + ?Sized>(rng: &mut R) -> f64 {
    let k = rng.next_u64() >> 11;
    (k as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}
