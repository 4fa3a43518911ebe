//! NumPy `.npy` arrays in and out (through the `npyz` crate), so that other implementations can
//! compare masks, scores and weights with ours on the same numbers.
//!
//! Written arrays are little-endian, C order: masks as `uint8` (0/1), scores as `float32` or
//! `float64`, weights as `float64`. Read arrays must be C order with the expected element type
//! and exactly as many data bytes as their header declares: a missing file, a file that is not
//! `.npy`, a truncated or over-long one, the wrong dtype or the wrong shape each get their own
//! [`NpyError`], never a panic or a silently reinterpreted array.
//!
//! ```
//! use pai_graphon::npy::{decode_masks, encode_u8};
//! // A 2 × 3 mask through `.npy` bytes and back.
//! let bytes = encode_u8(&[2, 3], &[1, 0, 1, 0, 0, 1]).unwrap();
//! let masks = decode_masks(&bytes, "mask.npy").unwrap();
//! assert_eq!((masks[0].rows(), masks[0].cols(), masks[0].kept()), (2, 3, 3));
//! ```

use crate::mask::Mask;
use npyz::WriterBuilder;
use std::fmt;
use std::io::Cursor;
use std::path::{Path, PathBuf};

/// Why an `.npy` file could not be read or an array could not be encoded.
///
/// ```
/// use pai_graphon::npy::{decode_f64, decode_masks, encode_f64, encode_u8, NpyError};
/// let floats = encode_f64(&[2], &[0.5, f64::NAN]).unwrap();
/// use pai_graphon::npy::{Dtype, FormatProblem};
/// assert!(matches!(decode_masks(&floats, "m"), Err(NpyError::Dtype { found: Dtype::Float, .. })));
/// let nan = decode_f64(&floats, "w").unwrap_err();
/// assert!(matches!(nan, NpyError::Value { index: 1, .. })); // NaN
/// let e = decode_f64(b"not npy", "w").unwrap_err();
/// assert!(matches!(e, NpyError::Format { problem: FormatProblem::Header, .. }));
/// assert_eq!(encode_u8(&[2, 2], &[1, 0]), Err(NpyError::Shape { shape: vec![2, 2], entries: 2 }));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum NpyError {
    /// The file could not be opened or read: its path and the system's error kind.
    Io {
        /// The path as given.
        path: PathBuf,
        /// The operating system's error kind.
        kind: std::io::ErrorKind,
    },
    /// Writing `.npy` bytes to memory failed (the encoder's error kind).
    Encode(std::io::ErrorKind),
    /// Not a well-formed `.npy` file (no magic, a bad header, truncated or trailing bytes).
    Format {
        /// The source's name (its path when read from a file).
        path: PathBuf,
        /// What is wrong.
        problem: FormatProblem,
    },
    /// The element type is not one this reader accepts here.
    Dtype {
        /// The source's name.
        path: PathBuf,
        /// What it holds.
        found: Dtype,
    },
    /// A shape that does not hold the data given to the encoder.
    Shape {
        /// The shape.
        shape: Vec<usize>,
        /// The number of entries given.
        entries: usize,
    },
    /// A declared dimension of 0.
    ZeroDimension {
        /// The source's name.
        path: PathBuf,
    },
    /// A mask array that is neither n × d nor S × n × d.
    MaskShape {
        /// The source's name.
        path: PathBuf,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// A float entry that is NaN or infinite.
    Value {
        /// The source's name.
        path: PathBuf,
        /// The entry's index in C order.
        index: usize,
        /// The entry.
        value: f64,
    },
    /// A mask entry other than 0 or 1, or a mask that cannot be built.
    Mask {
        /// The source's name.
        path: PathBuf,
        /// Why the mask was refused.
        error: crate::mask::MaskError,
    },
    /// The path names something other than a regular file (a directory, a FIFO, a device, a
    /// socket): reading it could block or never end, so it is not opened for reading.
    NotRegularFile {
        /// The path as given.
        path: PathBuf,
        /// What it is instead ("a directory", "a FIFO", …).
        kind: &'static str,
    },
    /// The file is larger than [`MAX_FILE_BYTES`].
    TooLarge {
        /// The path as given.
        path: PathBuf,
        /// Its size in bytes (or the bound + 1 when it grew while being read).
        bytes: u64,
        /// The bound.
        max: u64,
    },
}

impl fmt::Display for NpyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NpyError::Io { path, kind } => write!(f, "cannot read {}: {kind}", path.display()),
            NpyError::Encode(kind) => write!(f, "cannot encode .npy in memory: {kind}"),
            NpyError::Format { path, problem } => {
                write!(f, "not a valid .npy file: {}: {problem}", path.display())
            }
            NpyError::Dtype { path, found } => {
                let path = path.display();
                match found {
                    Dtype::Mask => write!(
                        f,
                        "wrong .npy dtype: {path} holds uint8/bool entries; float32 or float64 expected"
                    ),
                    Dtype::Float => write!(
                        f,
                        "wrong .npy dtype: {path} holds floats; a mask must be uint8 or bool"
                    ),
                    Dtype::Other { descr } => write!(
                        f,
                        "wrong .npy dtype: {path} has dtype {descr}; accepted: uint8 or bool (masks), float32 or float64"
                    ),
                }
            }
            NpyError::Shape { shape, entries } => write!(
                f,
                "wrong .npy shape: shape {shape:?} does not hold {entries} entries"
            ),
            NpyError::ZeroDimension { path } => write!(
                f,
                "wrong .npy shape: {} declares a dimension of 0; every dimension must be at least 1",
                path.display()
            ),
            NpyError::MaskShape { path, shape } => write!(
                f,
                "wrong .npy shape: {} has shape {shape:?}; a mask is n × d, a stack S × n × d",
                path.display()
            ),
            NpyError::Value { path, index, value } => write!(
                f,
                "invalid .npy entry: {}: entry {index} is {value}, not a finite number",
                path.display()
            ),
            NpyError::Mask { path, error } => {
                write!(f, "invalid .npy entry: {}: {error}", path.display())
            }
            NpyError::NotRegularFile { path, kind } => write!(
                f,
                "cannot read {}: it is {kind}, not a regular file",
                path.display()
            ),
            NpyError::TooLarge { path, bytes, max } => write!(
                f,
                "cannot read {}: {bytes} bytes exceeds the limit of {max} bytes \
                 (the file and its decoded array must fit the 4 GiB memory budget)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for NpyError {}

/// What is wrong with bytes that are not a well-formed `.npy` file.
///
/// ```
/// use pai_graphon::npy::{decode_f64, encode_f64, FormatProblem, NpyError};
/// let mut bytes = encode_f64(&[1], &[0.5]).unwrap();
/// bytes.push(0);
/// let e = decode_f64(&bytes, "w.npy").unwrap_err();
/// assert!(matches!(e, NpyError::Format { problem: FormatProblem::Trailing { bytes: 1 }, .. }));
/// assert_eq!(e.to_string(), "not a valid .npy file: w.npy: 1 bytes follow the data its header declares");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FormatProblem {
    /// No `.npy` magic, or a header the decoder cannot parse.
    Header,
    /// A header without a shape tuple of non-negative integers as NumPy writes it.
    NoShape,
    /// A Fortran-order array.
    FortranOrder,
    /// A header that declares more entries than the file has bytes.
    Oversized {
        /// The file's length in bytes.
        bytes: usize,
    },
    /// Data shorter than the header declares.
    Truncated,
    /// Bytes after the data the header declares.
    Trailing {
        /// How many.
        bytes: usize,
    },
}

impl fmt::Display for FormatProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FormatProblem::Header => write!(f, "no .npy magic or a header that does not parse"),
            FormatProblem::NoShape => write!(
                f,
                "its header has no shape tuple of non-negative integers as NumPy writes it"
            ),
            FormatProblem::FortranOrder => write!(
                f,
                "Fortran-order arrays are not read (save a C-contiguous array)"
            ),
            FormatProblem::Oversized { bytes } => write!(
                f,
                "its header declares more entries than the file has bytes ({bytes})"
            ),
            FormatProblem::Truncated => {
                write!(f, "the data is shorter than its header declares")
            }
            FormatProblem::Trailing { bytes } => {
                write!(f, "{bytes} bytes follow the data its header declares")
            }
        }
    }
}

/// The element type an `.npy` source holds, when it is not the one asked for.
///
/// ```
/// use pai_graphon::npy::{decode_masks, encode_f64, Dtype, NpyError};
/// let e = decode_masks(&encode_f64(&[1], &[0.5]).unwrap(), "s.npy").unwrap_err();
/// assert_eq!(e, NpyError::Dtype { path: "s.npy".into(), found: Dtype::Float });
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// `uint8` or `bool` (a mask).
    Mask,
    /// `float32` or `float64`.
    Float,
    /// Another type: its descriptor as the header gives it (the file's data, e.g. `"<i4"`).
    Other {
        /// The descriptor.
        descr: String,
    },
}

/// An array read from `.npy`: its shape and its entries in C order.
///
/// ```
/// use pai_graphon::npy::{decode_f64, encode_f64, Array};
/// // Row-major: entry (i, j) of a 2 × 3 array is data[3 i + j].
/// let a = decode_f64(&encode_f64(&[2, 3], &[0., 1., 2., 3., 4., 5.]).unwrap(), "a").unwrap();
/// assert_eq!(a, Array { shape: vec![2, 3], data: vec![0., 1., 2., 3., 4., 5.] });
/// let (i, j) = (1, 2);
/// assert_eq!(a.data[3 * i + j], 5.0);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Array<T> {
    /// The dimensions, outermost first.
    pub shape: Vec<usize>,
    /// The entries, row-major.
    pub data: Vec<T>,
}

/// The `.npy` bytes of a `uint8` array.
///
/// ```
/// let bytes = pai_graphon::npy::encode_u8(&[2, 2], &[1, 0, 0, 1]).unwrap();
/// let back = pai_graphon::npy::decode_f64_or_mask(&bytes, "x.npy").unwrap();
/// assert!(matches!(back, pai_graphon::npy::Decoded::Mask(a) if a.data == [1, 0, 0, 1]));
/// ```
pub fn encode_u8(shape: &[usize], data: &[u8]) -> Result<Vec<u8>, NpyError> {
    encode(shape, data)
}

/// The `.npy` bytes of a `float32` array (each entry rounded to nearest from f64).
///
/// ```
/// let bytes = pai_graphon::npy::encode_f32(&[3], &[0.5, 1.0, 3.0]).unwrap();
/// assert_eq!(&bytes[1..6], b"NUMPY");
/// ```
pub fn encode_f32(shape: &[usize], data: &[f64]) -> Result<Vec<u8>, NpyError> {
    let narrow: Vec<f32> = data.iter().map(|&x| x as f32).collect();
    encode(shape, &narrow)
}

/// The `.npy` bytes of a `float64` array.
///
/// ```
/// let bytes = pai_graphon::npy::encode_f64(&[1, 2], &[0.25, -1.0]).unwrap();
/// let a = pai_graphon::npy::decode_f64(&bytes, "w.npy").unwrap();
/// assert_eq!((a.shape, a.data), (vec![1, 2], vec![0.25, -1.0]));
/// ```
pub fn encode_f64(shape: &[usize], data: &[f64]) -> Result<Vec<u8>, NpyError> {
    encode(shape, data)
}

fn encode<T: npyz::AutoSerialize>(shape: &[usize], data: &[T]) -> Result<Vec<u8>, NpyError> {
    if shape.iter().product::<usize>() != data.len() {
        return Err(NpyError::Shape {
            shape: shape.to_vec(),
            entries: data.len(),
        });
    }
    let dims: Vec<u64> = shape.iter().map(|&s| s as u64).collect();
    let mut out = Vec::new();
    let io = |e: std::io::Error| NpyError::Encode(e.kind());
    let mut w = npyz::WriteOptions::new()
        .default_dtype()
        .shape(&dims)
        .writer(&mut out)
        .begin_nd()
        .map_err(io)?;
    w.extend(data.iter()).map_err(io)?;
    w.finish().map_err(io)?;
    Ok(out)
}

/// What [`decode_f64_or_mask`] found: a 0/1 `uint8`/`bool` array or a float array (as f64).
///
/// ```
/// use pai_graphon::npy::{decode_f64_or_mask, encode_f32, encode_u8, Decoded};
/// let mask = decode_f64_or_mask(&encode_u8(&[2], &[0, 1]).unwrap(), "m").unwrap();
/// assert!(matches!(mask, Decoded::Mask(a) if a.data == [0, 1]));
/// // float32 entries come back widened, exactly.
/// let score = decode_f64_or_mask(&encode_f32(&[1], &[0.1]).unwrap(), "s").unwrap();
/// assert!(matches!(score, Decoded::Float(a) if a.data == [f64::from(0.1f32)]));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Decoded {
    /// A `uint8` or `bool` array, entries 0 or 1.
    Mask(Array<u8>),
    /// A `float32` or `float64` array, widened exactly to f64.
    Float(Array<f64>),
}

/// The largest `.npy` file read: 2^30 bytes. Decoding widens it (a float32 file becomes f64, a
/// uint8 stack becomes masks, the bytes are kept meanwhile), about four times the file at most,
/// so the whole stays within the 4 GiB [`crate::params::MEMORY_BUDGET`].
///
/// ```
/// assert_eq!(pai_graphon::npy::MAX_FILE_BYTES, 1 << 30);
/// ```
pub const MAX_FILE_BYTES: u64 = 1 << 30;

/// What a file that is not regular is, for the refusal.
fn kind_of(t: std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_char_device() || t.is_block_device() {
            return "a device";
        }
        if t.is_socket() {
            return "a socket";
        }
    }
    if t.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Reads a whole regular file of at most [`MAX_FILE_BYTES`], naming it in the error. The type
/// and size are checked before opening (a FIFO would block, /dev/zero never ends), the file is
/// opened without blocking and checked again (it may have been replaced meanwhile), and at most
/// the bound + 1 bytes are read.
fn read_bytes(path: &Path) -> Result<Vec<u8>, NpyError> {
    read_bounded(path, MAX_FILE_BYTES)
}

fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, NpyError> {
    use std::io::Read;
    let io = |e: std::io::Error| NpyError::Io {
        path: path.to_path_buf(),
        kind: e.kind(),
    };
    let regular = |meta: &std::fs::Metadata| {
        if !meta.is_file() {
            return Err(NpyError::NotRegularFile {
                path: path.to_path_buf(),
                kind: kind_of(meta.file_type()),
            });
        }
        if meta.len() > max {
            return Err(NpyError::TooLarge {
                path: path.to_path_buf(),
                bytes: meta.len(),
                max,
            });
        }
        Ok(())
    };
    regular(&std::fs::metadata(path).map_err(io)?)?;
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(io)?;
    regular(&file.metadata().map_err(io)?)?;
    let mut bytes = Vec::new();
    file.take(max + 1).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max {
        return Err(NpyError::TooLarge {
            path: path.to_path_buf(),
            bytes: max + 1,
            max,
        });
    }
    Ok(bytes)
}

/// Decodes `.npy` bytes holding a mask (`uint8`/`bool`, entries 0 or 1) or floats
/// (`float32`/`float64`, little-endian); `name` names the source in errors.
///
/// ```
/// use pai_graphon::npy::{decode_f64_or_mask, encode_f32, Decoded};
/// let bytes = encode_f32(&[2], &[0.5, 0.25]).unwrap();
/// assert!(matches!(decode_f64_or_mask(&bytes, "s.npy").unwrap(), Decoded::Float(a) if a.data == [0.5, 0.25]));
/// assert!(decode_f64_or_mask(b"0,1\n", "s.npy").is_err()); // not .npy
/// assert!(decode_f64_or_mask(&bytes[..bytes.len() - 1], "s.npy").is_err()); // truncated
/// ```
pub fn decode_f64_or_mask(bytes: &[u8], name: impl AsRef<Path>) -> Result<Decoded, NpyError> {
    let name = name.as_ref();
    declared_size_fits(bytes, name)?;
    let format = |problem| NpyError::Format {
        path: name.into(),
        problem,
    };
    let mut cursor = Cursor::new(bytes);
    let file = npyz::NpyFile::new(&mut cursor).map_err(|_| format(FormatProblem::Header))?;
    if file.order() != npyz::Order::C {
        return Err(format(FormatProblem::FortranOrder));
    }
    let shape: Vec<usize> = file.shape().iter().map(|&s| s as usize).collect();
    let dtype = match file.dtype() {
        npyz::DType::Plain(ts) => ts.to_string(),
        other => other.descr(),
    };
    let truncated = |_: std::io::Error| format(FormatProblem::Truncated);
    let decoded = match dtype.as_str() {
        "|u1" => Decoded::Mask(mask_entries(
            name,
            shape,
            file.into_vec::<u8>().map_err(truncated)?,
        )?),
        "|b1" => {
            let v = file.into_vec::<bool>().map_err(truncated)?;
            Decoded::Mask(Array {
                shape,
                data: v.into_iter().map(u8::from).collect(),
            })
        }
        "<f8" => Decoded::Float(Array {
            shape,
            data: file.into_vec::<f64>().map_err(truncated)?,
        }),
        "<f4" => {
            let v = file.into_vec::<f32>().map_err(truncated)?;
            Decoded::Float(Array {
                shape,
                data: v.into_iter().map(f64::from).collect(),
            })
        }
        _ => {
            return Err(NpyError::Dtype {
                path: name.into(),
                found: Dtype::Other { descr: dtype },
            });
        }
    };
    if (cursor.position() as usize) < bytes.len() {
        return Err(format(FormatProblem::Trailing {
            bytes: bytes.len() - cursor.position() as usize,
        }));
    }
    Ok(decoded)
}

/// Rejects, before `npyz` sees the header, a declared shape with a zero dimension or with more
/// elements than the file has bytes: such a shape cannot be valid here, and its element count
/// could overflow (a panic inside `npyz` in checked builds) or ask for a huge allocation. Only
/// the `'shape'` tuple is looked at; everything else is left to `npyz`.
fn declared_size_fits(bytes: &[u8], name: &Path) -> Result<(), NpyError> {
    if !bytes.starts_with(b"\x93NUMPY") {
        return Ok(()); // npyz names the missing magic
    }
    let head = &bytes[..bytes.len().min(1 << 16)];
    let text = String::from_utf8_lossy(head);
    let format = |problem| NpyError::Format {
        path: name.into(),
        problem,
    };
    let unreadable = || format(FormatProblem::NoShape);
    let start = text.find("'shape'").ok_or_else(unreadable)? + "'shape'".len();
    let rest = &text[start..];
    let (open, close) = match (rest.find('('), rest.find(')')) {
        (Some(open), Some(close)) if open < close => (open, close),
        _ => return Err(unreadable()),
    };
    let mut elements: u64 = 1;
    for dim in rest[open + 1..close]
        .split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let dim: u64 = match dim.bytes().all(|b| b.is_ascii_digit()) {
            true => dim.parse().map_err(|_| unreadable())?,
            false => return Err(unreadable()),
        };
        if dim == 0 {
            return Err(NpyError::ZeroDimension { path: name.into() });
        }
        elements = elements.saturating_mul(dim);
        if elements > bytes.len() as u64 {
            return Err(format(FormatProblem::Oversized { bytes: bytes.len() }));
        }
    }
    Ok(())
}

fn mask_entries(name: &Path, shape: Vec<usize>, data: Vec<u8>) -> Result<Array<u8>, NpyError> {
    if let Some(index) = data.iter().position(|&b| b > 1) {
        return Err(NpyError::Mask {
            path: name.into(),
            error: crate::mask::MaskError::Entry {
                index,
                value: data[index],
            },
        });
    }
    Ok(Array { shape, data })
}

/// Decodes `.npy` bytes holding finite floats (`float32` or `float64`).
///
/// ```
/// use pai_graphon::npy::{decode_f64, encode_f64, encode_u8};
/// assert_eq!(decode_f64(&encode_f64(&[1], &[2.0]).unwrap(), "w").unwrap().data, [2.0]);
/// assert!(decode_f64(&encode_u8(&[1], &[1]).unwrap(), "w").is_err()); // a mask, not floats
/// assert!(decode_f64(&encode_f64(&[1], &[f64::INFINITY]).unwrap(), "w").is_err());
/// ```
pub fn decode_f64(bytes: &[u8], name: impl AsRef<Path>) -> Result<Array<f64>, NpyError> {
    let name = name.as_ref();
    match decode_f64_or_mask(bytes, name)? {
        Decoded::Float(a) => {
            if let Some(index) = a.data.iter().position(|x| !x.is_finite()) {
                return Err(NpyError::Value {
                    path: name.into(),
                    index,
                    value: a.data[index],
                });
            }
            Ok(a)
        }
        Decoded::Mask(_) => Err(NpyError::Dtype {
            path: name.into(),
            found: Dtype::Mask,
        }),
    }
}

/// Reads a float array (`float32` or `float64`, finite entries) from an `.npy` file.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("pai-graphon-npy-doc-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let p = dir.join("w.npy");
/// std::fs::write(&p, pai_graphon::npy::encode_f64(&[2], &[1.5, 2.0]).unwrap()).unwrap();
/// assert_eq!(pai_graphon::npy::read_f64(&p).unwrap().data, vec![1.5, 2.0]);
/// assert!(pai_graphon::npy::read_f64(&dir.join("missing.npy")).is_err());
/// ```
pub fn read_f64(path: &Path) -> Result<Array<f64>, NpyError> {
    decode_f64(&read_bytes(path)?, path)
}

/// Reads one mask (shape n × d) or a stack of masks (shape S × n × d), `uint8` or `bool` with
/// entries 0 or 1, from an `.npy` file.
///
/// ```
/// let dir = std::env::temp_dir().join(format!("pai-graphon-npy-mask-{}", std::process::id()));
/// std::fs::create_dir_all(&dir).unwrap();
/// let p = dir.join("m.npy");
/// std::fs::write(&p, pai_graphon::npy::encode_u8(&[2, 2, 3], &[1, 0, 0, 0, 1, 1, 0, 0, 1, 1, 1, 0]).unwrap()).unwrap();
/// let masks = pai_graphon::npy::read_masks(&p).unwrap();
/// assert_eq!((masks.len(), masks[0].rows(), masks[0].cols(), masks[1].kept()), (2, 2, 3, 3));
/// ```
pub fn read_masks(path: &Path) -> Result<Vec<Mask>, NpyError> {
    decode_masks(&read_bytes(path)?, path)
}

/// Decodes `.npy` bytes holding one mask or a stack (see [`read_masks`]).
///
/// ```
/// use pai_graphon::npy::{decode_masks, encode_u8};
/// let masks = decode_masks(&encode_u8(&[2, 2], &[1, 0, 0, 1]).unwrap(), "m").unwrap();
/// assert_eq!((masks.len(), masks[0].kept()), (1, 2));
/// assert!(decode_masks(&encode_u8(&[4], &[1, 0, 0, 1]).unwrap(), "m").is_err()); // 1-D
/// assert!(decode_masks(&encode_u8(&[2, 2], &[1, 3, 0, 1]).unwrap(), "m").is_err()); // 3
/// ```
pub fn decode_masks(bytes: &[u8], name: impl AsRef<Path>) -> Result<Vec<Mask>, NpyError> {
    let name = name.as_ref();
    let a = match decode_f64_or_mask(bytes, name)? {
        Decoded::Mask(a) => a,
        Decoded::Float(_) => {
            return Err(NpyError::Dtype {
                path: name.into(),
                found: Dtype::Float,
            });
        }
    };
    let (n, d) = match a.shape[..] {
        [n, d] | [_, n, d] => (n, d),
        _ => {
            return Err(NpyError::MaskShape {
                path: name.into(),
                shape: a.shape,
            });
        }
    };
    if a.data.is_empty() {
        return Err(NpyError::ZeroDimension { path: name.into() });
    }
    a.data
        .chunks_exact(n * d)
        .map(|entries| {
            Mask::from_entries(n, d, entries).map_err(|error| NpyError::Mask {
                path: name.into(),
                error,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A version-1 `.npy` file with this header dictionary and these data bytes.
    fn with_header(dict: &str, data: &[u8]) -> Vec<u8> {
        let mut b = b"\x93NUMPY\x01\x00".to_vec();
        b.extend((dict.len() as u16).to_le_bytes());
        b.extend(dict.as_bytes());
        b.extend(data);
        b
    }

    #[test]
    fn overflowing_or_unreadable_shapes_are_errors_not_panics() {
        // Found by tests/suite/fuzz_parsers.rs: npyz multiplies the declared dimensions unchecked.
        for shape in [
            "(4294967296, 4294967296, 4294967296, )",
            "(-0, 4, 4611686018427387904)",
        ] {
            let dict = format!("{{'descr': '|u1', 'fortran_order': False, 'shape': {shape}, }}\n");
            let e = decode_masks(&with_header(&dict, &[1; 12]), "f").unwrap_err();
            assert!(
                matches!(
                    e,
                    NpyError::Format {
                        problem: FormatProblem::NoShape | FormatProblem::Oversized { .. },
                        ..
                    }
                ),
                "{shape}: {e}"
            );
        }
        let zero = "{'descr': '|u1', 'fortran_order': False, 'shape': (3, 0), }\n";
        assert!(matches!(
            decode_masks(&with_header(zero, &[]), "f"),
            Err(NpyError::ZeroDimension { .. })
        ));
        let good = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2), }\n";
        assert_eq!(
            decode_masks(&with_header(good, &[1, 0, 0, 1]), "f").unwrap()[0].kept(),
            2
        );
        // A shape the file can hold passes the guard; one with more entries than bytes does not.
        assert!(declared_size_fits(&with_header(good, &[0; 4]), Path::new("f")).is_ok());
        let big = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 100), }\n";
        assert!(declared_size_fits(&with_header(big, &[0; 4]), Path::new("f")).is_err());
    }

    #[test]
    fn special_files_and_large_files_are_refused_before_reading() {
        let dir =
            std::env::temp_dir().join(format!("pai-graphon-npy-special-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let e = read_bounded(&dir, 16).unwrap_err();
        assert!(
            matches!(
                e,
                NpyError::NotRegularFile {
                    kind: "a directory",
                    ..
                }
            ),
            "{e}"
        );
        #[cfg(unix)]
        {
            let e = read_bounded(Path::new("/dev/zero"), 16).unwrap_err();
            assert!(
                matches!(
                    e,
                    NpyError::NotRegularFile {
                        kind: "a device",
                        ..
                    }
                ),
                "{e}"
            );
        }
        let p = dir.join("big.npy");
        std::fs::write(&p, [0u8; 17]).unwrap();
        let e = read_bounded(&p, 16).unwrap_err();
        assert!(
            matches!(
                e,
                NpyError::TooLarge {
                    bytes: 17,
                    max: 16,
                    ..
                }
            ),
            "{e}"
        );
        assert_eq!(read_bounded(&p, 17).unwrap().len(), 17);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn float_encodings_round_trip() {
        let x = [0.1, -2.5, 1e-300];
        let back = decode_f64(&encode_f64(&[3], &x).unwrap(), "f").unwrap();
        assert_eq!(back.data, x);
        let narrow = decode_f64(&encode_f32(&[3], &x).unwrap(), "f").unwrap();
        assert_eq!(narrow.data, x.map(|v| f64::from(v as f32)));
        assert!(matches!(
            encode_f64(&[2], &x),
            Err(NpyError::Shape { entries: 3, .. })
        ));
        let nan = encode_f64(&[1], &[f64::NAN]).unwrap();
        assert!(matches!(
            decode_f64(&nan, "f"),
            Err(NpyError::Value { index: 0, .. })
        ));
    }
}
