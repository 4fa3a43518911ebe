//! NumPy `.npy` arrays in and out (through the `npyz` crate), so that other implementations can
//! compare masks, scores and weights with ours on the same numbers.
//!
//! Written arrays are little-endian, C order: masks as `uint8` (0/1), scores as `float32` or
//! `float64`, weights as `float64`. Read arrays must be C order with the expected element type
//! and exactly as many data bytes as their header declares: a missing file, a file that is not
//! `.npy`, a truncated or over-long one, the wrong dtype or the wrong shape each get their own
//! [`NpyError`], never a panic or a silently reinterpreted array.

use crate::convergence::mask::Mask;
use npyz::WriterBuilder;
use std::fmt;
use std::io::Cursor;
use std::path::Path;

/// Why an `.npy` file could not be read or an array could not be encoded.
#[derive(Clone, Debug, PartialEq)]
pub enum NpyError {
    /// The file could not be opened or read: its path and the system's message.
    Io(String),
    /// Not a well-formed `.npy` file (no magic, a bad header, truncated or trailing bytes).
    Format(String),
    /// The element type is not one this reader accepts: what was found and what is accepted.
    Dtype(String),
    /// The shape does not fit: what was found and what is expected.
    Shape(String),
    /// An entry is not allowed (a mask entry other than 0 or 1, a non-finite weight).
    Value(String),
}

impl fmt::Display for NpyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NpyError::Io(m) => write!(f, "cannot read {m}"),
            NpyError::Format(m) => write!(f, "not a valid .npy file: {m}"),
            NpyError::Dtype(m) => write!(f, "wrong .npy dtype: {m}"),
            NpyError::Shape(m) => write!(f, "wrong .npy shape: {m}"),
            NpyError::Value(m) => write!(f, "invalid .npy entry: {m}"),
        }
    }
}

impl std::error::Error for NpyError {}

/// An array read from `.npy`: its shape and its entries in C order.
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
        return Err(NpyError::Shape(format!(
            "shape {shape:?} does not hold {} entries",
            data.len()
        )));
    }
    let dims: Vec<u64> = shape.iter().map(|&s| s as u64).collect();
    let mut out = Vec::new();
    let io = |e: std::io::Error| NpyError::Io(format!("an in-memory buffer: {e}"));
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
#[derive(Clone, Debug, PartialEq)]
pub enum Decoded {
    /// A `uint8` or `bool` array, entries 0 or 1.
    Mask(Array<u8>),
    /// A `float32` or `float64` array, widened exactly to f64.
    Float(Array<f64>),
}

/// Reads a whole file, naming it in the error.
fn read_bytes(path: &Path) -> Result<Vec<u8>, NpyError> {
    std::fs::read(path).map_err(|e| NpyError::Io(format!("{}: {e}", path.display())))
}

/// Decodes `.npy` bytes holding a mask (`uint8`/`bool`, entries 0 or 1) or floats
/// (`float32`/`float64`, little-endian); `name` names the source in errors.
pub fn decode_f64_or_mask(bytes: &[u8], name: &str) -> Result<Decoded, NpyError> {
    let mut cursor = Cursor::new(bytes);
    let file =
        npyz::NpyFile::new(&mut cursor).map_err(|e| NpyError::Format(format!("{name}: {e}")))?;
    if file.order() != npyz::Order::C {
        return Err(NpyError::Format(format!(
            "{name}: Fortran-order arrays are not read (save a C-contiguous array)"
        )));
    }
    let shape: Vec<usize> = file.shape().iter().map(|&s| s as usize).collect();
    let dtype = match file.dtype() {
        npyz::DType::Plain(ts) => ts.to_string(),
        other => other.descr(),
    };
    let truncated = |e: std::io::Error| {
        NpyError::Format(format!(
            "{name}: the data is shorter than its header declares ({e})"
        ))
    };
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
        other => {
            return Err(NpyError::Dtype(format!(
                "{name} has dtype {other}; accepted: uint8 or bool (masks), float32 or float64"
            )))
        }
    };
    if (cursor.position() as usize) < bytes.len() {
        return Err(NpyError::Format(format!(
            "{name}: {} bytes follow the data its header declares",
            bytes.len() - cursor.position() as usize
        )));
    }
    Ok(decoded)
}

fn mask_entries(name: &str, shape: Vec<usize>, data: Vec<u8>) -> Result<Array<u8>, NpyError> {
    if let Some(k) = data.iter().position(|&b| b > 1) {
        return Err(NpyError::Value(format!(
            "{name}: mask entry {k} is {}, not 0 or 1",
            data[k]
        )));
    }
    Ok(Array { shape, data })
}

/// Decodes `.npy` bytes holding finite floats (`float32` or `float64`).
pub fn decode_f64(bytes: &[u8], name: &str) -> Result<Array<f64>, NpyError> {
    match decode_f64_or_mask(bytes, name)? {
        Decoded::Float(a) => {
            if let Some(k) = a.data.iter().position(|x| !x.is_finite()) {
                return Err(NpyError::Value(format!(
                    "{name}: entry {k} is {}, not a finite number",
                    a.data[k]
                )));
            }
            Ok(a)
        }
        Decoded::Mask(_) => Err(NpyError::Dtype(format!(
            "{name} holds uint8/bool entries; float32 or float64 expected"
        ))),
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
    decode_f64(&read_bytes(path)?, &path.display().to_string())
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
/// assert_eq!((masks.len(), masks[0].rows(), masks[0].cols(), masks[1].kept()), (2, 2, 3, 4));
/// ```
pub fn read_masks(path: &Path) -> Result<Vec<Mask>, NpyError> {
    let name = path.display().to_string();
    let a = match decode_f64_or_mask(&read_bytes(path)?, &name)? {
        Decoded::Mask(a) => a,
        Decoded::Float(_) => {
            return Err(NpyError::Dtype(format!(
                "{name} holds floats; a mask must be uint8 or bool"
            )))
        }
    };
    let (stack, n, d) = match a.shape[..] {
        [n, d] => (1, n, d),
        [s, n, d] => (s, n, d),
        _ => {
            return Err(NpyError::Shape(format!(
                "{name} has shape {:?}; a mask is n × d, a stack S × n × d",
                a.shape
            )))
        }
    };
    if stack == 0 || n == 0 || d == 0 {
        return Err(NpyError::Shape(format!(
            "{name} has shape {:?}; every dimension must be at least 1",
            a.shape
        )));
    }
    a.data
        .chunks_exact(n * d)
        .map(|entries| {
            Mask::from_entries(n, d, entries).map_err(|e| NpyError::Value(format!("{name}: {e}")))
        })
        .collect()
}
