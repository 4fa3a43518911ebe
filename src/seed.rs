//! Seeds: one master seed and labelled, portable ChaCha streams.
//!
//! Every random draw in the crate comes from a [`ChaCha20Rng`] whose 256-bit key is
//! `SHA-256("pai-graphon/stream/v1" ‖ master seed (8 bytes, little-endian) ‖ label)`.
//! Labels are human readable, `AREA-N/param=value/rep=r`, so any number in an audit can be
//! reproduced from its label alone. Two different labels give unrelated streams, so adding a
//! width to a sweep never changes the numbers of the other widths, and work split across
//! threads by label is bit-identical whatever the number of threads.
//!
//! The mask sampler (`convergence::inversion`) reads the ChaCha8 keystream under the same key
//! and stream number ([`chacha8_twin`]): 8 rounds instead of 20, 2.5× less work per byte for
//! the 2.1e9 uniforms of a Figure-1 sweep. It is the same portable, reference-vector-tested
//! `rand_chacha` generator with fewer rounds: the best known attack reaches 7 rounds
//! (Aumasson, "Too Much Crypto", 2019), and no statistical test distinguishes 8-round output
//! from uniform; only the security margin, which a simulation does not need, is smaller.
//!
//! ```
//! use pai_graphon::seed::{uniform_open01, MasterSeed};
//! // The same label under the same master seed replays the same draws.
//! let seed = MasterSeed::parse("0x2a").unwrap();
//! let a = uniform_open01(&mut seed.stream("DOC-1/n=10/rep=0"));
//! let b = uniform_open01(&mut seed.stream("DOC-1/n=10/rep=0"));
//! assert_eq!(a, b);
//! assert!(a > 0.0 && a < 1.0);
//! ```

use rand::SeedableRng;
use rand_chacha::{ChaCha20Rng, ChaCha8Rng};
use sha2::{Digest, Sha256};
use std::fmt;

/// The master seed every stream is derived from unless `--seed` says otherwise:
/// the paper's arXiv number followed by `5EED`.
///
/// ```
/// use pai_graphon::seed::{MasterSeed, DEFAULT_MASTER_SEED};
/// assert_eq!(MasterSeed::default().value(), DEFAULT_MASTER_SEED);
/// assert_eq!(MasterSeed::parse("default").unwrap().value(), DEFAULT_MASTER_SEED);
/// ```
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
///
/// ```
/// use pai_graphon::seed::{MasterSeed, SeedError};
/// assert_eq!(MasterSeed::parse("0xg"), Err(SeedError("0xg".into())));
/// // 17 hex digits do not fit in 64 bits.
/// assert!(MasterSeed::parse("1ffffffffffffffff").is_err());
/// ```
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
    ///
    /// ```
    /// use pai_graphon::seed::MasterSeed;
    /// assert_eq!(MasterSeed::new(0x2a), MasterSeed::parse("2a").unwrap());
    /// ```
    pub fn new(value: u64) -> Self {
        MasterSeed(value)
    }

    /// The raw value.
    ///
    /// ```
    /// assert_eq!(pai_graphon::seed::MasterSeed::new(7).value(), 7);
    /// ```
    pub fn value(self) -> u64 {
        self.0
    }

    /// Parse `default`, `random` (drawn from the operating system's entropy, the only
    /// non-reproducible draw in the crate; print it to reproduce the run) or hex (`0x` optional).
    ///
    /// ```
    /// use pai_graphon::seed::MasterSeed;
    /// assert_eq!(MasterSeed::parse("0xff").unwrap().value(), 255);
    /// assert_eq!(MasterSeed::parse("FF").unwrap().value(), 255);
    /// assert!(MasterSeed::parse("").is_err());
    /// // A random seed prints as hex, which parses back to the same seed.
    /// let r = MasterSeed::parse("random").unwrap();
    /// assert_eq!(MasterSeed::parse(&r.to_string()).unwrap(), r);
    /// ```
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
    ///
    /// ```
    /// use pai_graphon::seed::MasterSeed;
    /// let s = MasterSeed::default();
    /// assert_eq!(s.key("TOOL-3"), s.key("TOOL-3"));
    /// assert_ne!(s.key("TOOL-3"), s.key("TOOL-3/rep=1"));
    /// assert_ne!(s.key("TOOL-3"), MasterSeed::new(1).key("TOOL-3"));
    /// ```
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

/// The ChaCha8 generator with the key and stream number of `stream`, at word 0: the mask
/// sampler's draws (module doc). Its keystream is unrelated to the ChaCha20 one of the same key.
///
/// ```
/// use pai_graphon::seed::{chacha8_twin, MasterSeed};
/// use rand::Rng;
/// let stream = MasterSeed::default().stream("DOC/twin");
/// let (mut a, mut b) = (chacha8_twin(&stream), chacha8_twin(&stream));
/// assert_eq!(a.next_u64(), b.next_u64());
/// assert_ne!(chacha8_twin(&stream).next_u64(), stream.clone().next_u64());
/// ```
pub fn chacha8_twin(stream: &ChaCha20Rng) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::from_seed(stream.get_seed());
    rng.set_stream(stream.get_stream());
    rng
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
///
/// ```
/// use pai_graphon::seed::{uniform_open01, MasterSeed};
/// use pai_graphon::tol::{hoeffding, Tail};
/// let mut rng = MasterSeed::default().stream("DOC/uniform");
/// let xs: Vec<f64> = (0..1000).map(|_| uniform_open01(&mut rng)).collect();
/// assert!(xs.iter().all(|&x| x > 0.0 && x < 1.0));
/// // The mean is within Hoeffding's bound of 1/2 (false-alarm probability 1e-6).
/// let mean = xs.iter().sum::<f64>() / 1000.0;
/// assert!((mean - 0.5).abs() <= hoeffding(1000, 1.0, 1e-6, Tail::Two).unwrap());
/// ```
pub fn uniform_open01<R: rand::Rng + ?Sized>(rng: &mut R) -> f64 {
    let k = rng.next_u64() >> 11;
    (k as f64 + 0.5) * (1.0 / (1u64 << 53) as f64)
}
