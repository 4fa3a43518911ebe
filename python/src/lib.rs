//! `pai_graphon._native`: the PyO3 layer under the Python package `pai_graphon`. Each function
//! parses its arguments into the library's types, runs the library on a worker thread with the
//! GIL released (polling for Ctrl-C every 50 ms) and hands NumPy arrays back without copying.
//! The Python wrapper (`pai_graphon/__init__.py`) converts inputs with `numpy.asarray` and checks
//! dtypes; every library error becomes a `ValueError`, a panic a `RuntimeError`.

use numpy::{
    PyArray1, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3,
    PyReadonlyArrayDyn, PyUntypedArrayMethods,
};
use pai_graphon::claims;
use pai_graphon::convergence::limit::Fsm;
use pai_graphon::convergence::sampler::{sample_mask_for, MaskSpec, MASKS_LABEL};
use pai_graphon::external::check::{check_masks, CheckSpec};
use pai_graphon::limit_spec::{AgainstSpec, GraphonSpec, Limit};
use pai_graphon::linalg::certified_lambda_min;
use pai_graphon::mask::{KeptCount, Mask};
use pai_graphon::net::criteria::{
    prune as prune_net, Method, PruneSpec, PRUNE_DATA_LABEL, PRUNE_LABEL,
};
use pai_graphon::net::data::{load, DataSet, DataSpec};
use pai_graphon::net::network::Network;
use pai_graphon::ntk::kernel::{graphon_ntk as ntk_kernel, unit_rows, Layers};
use pai_graphon::ntk::path::{bounded_graphon_ntk, check_distinct};
use pai_graphon::params::{Density, Probability, MAX_SCALE};
use pai_graphon::report::{render, Format};
use pai_graphon::seed::MasterSeed;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::sync::Arc;
use std::time::Duration;

/// Any displayable library error as a `ValueError` (the library's errors are all bad input).
fn bad<E: std::fmt::Display>(e: E) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Set when the caller gave up (Ctrl-C): the long loops of a worker check it between their
/// units (a mask of a stack, a claim of an audit) and stop, so nothing keeps computing after
/// `KeyboardInterrupt` longer than one unit.
#[derive(Clone, Default)]
struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// `Err` once the caller has given up (the message is never seen: the caller has returned).
    fn check(&self) -> Result<(), String> {
        if self.0.load(Ordering::Relaxed) {
            return Err("cancelled".into());
        }
        Ok(())
    }
}

/// Runs `work` on its own thread with the GIL released; every 50 ms the caller checks for
/// signals, so Ctrl-C raises `KeyboardInterrupt` at once and sets the worker's [`Cancel`] (it
/// stops at its next check; its result is dropped).
fn interruptible<T, F>(py: Python<'_>, work: F) -> PyResult<T>
where
    T: Send + 'static,
    F: FnOnce(&Cancel) -> Result<T, String> + Send + 'static,
{
    let (tx, mut rx) = channel();
    let cancel = Cancel::default();
    let token = cancel.clone();
    std::thread::spawn(move || {
        let _ = tx.send(work(&token));
    });
    loop {
        // The receiver moves into the GIL-free closure and back (it is Send, not Sync).
        let (back, received) = py.detach(move || {
            let received = rx.recv_timeout(Duration::from_millis(50));
            (rx, received)
        });
        rx = back;
        match received {
            Ok(result) => return result.map_err(PyValueError::new_err),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(e) = py.check_signals() {
                    cancel.0.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(PyRuntimeError::new_err(
                    "pai_graphon: the computation panicked",
                ))
            }
        }
    }
}

/// A row-major Vec as an n × d NumPy array, moved (not copied).
fn array2<'py, T: numpy::Element>(
    py: Python<'py>,
    v: Vec<T>,
    shape: &[usize],
) -> PyResult<Bound<'py, PyAny>> {
    Ok(PyArray1::from_vec(py, v).reshape(shape)?.into_any())
}

/// The entries in row-major order, copied (for the library types that own their arrays).
fn entries<T: numpy::Element + Copy, D: numpy::ndarray::Dimension>(
    a: &numpy::PyReadonlyArray<'_, T, D>,
) -> Vec<T> {
    Input::new(a).as_slice().to_vec()
}

/// An input array the worker reads: in place when C-contiguous (the array is kept alive by a
/// reference that moves with the worker), else a C-order copy. Callers must not write to an
/// input array from another thread during the call (as with NumPy's own GIL-free functions).
enum Input<T> {
    Shared {
        _owner: Py<PyAny>,
        data: *const T,
        len: usize,
    },
    Owned(Vec<T>),
}

// SAFETY: `data` points into the buffer of the array `_owner` keeps alive; NumPy neither frees
// nor moves a buffer while the array is referenced, and the worker only reads it.
unsafe impl<T: Sync> Send for Input<T> {}

impl<T: numpy::Element + Copy> Input<T> {
    fn new<D: numpy::ndarray::Dimension>(a: &numpy::PyReadonlyArray<'_, T, D>) -> Self {
        // `as_slice` also accepts Fortran order, whose memory order is not the row-major one
        match a.as_slice().ok().filter(|_| a.is_c_contiguous()) {
            Some(s) => Input::Shared {
                _owner: a.as_any().clone().unbind(),
                data: s.as_ptr(),
                len: s.len(),
            },
            None => Input::Owned(a.as_array().iter().copied().collect()),
        }
    }

    fn as_slice(&self) -> &[T] {
        match self {
            // SAFETY: see the `Send` impl; `len` entries were a valid slice when taken.
            Input::Shared { data, len, .. } => unsafe { std::slice::from_raw_parts(*data, *len) },
            Input::Owned(v) => v,
        }
    }
}

/// Whether `a` would be read in place (C-contiguous) rather than copied: the debug hook that
/// `python/bench.py` and the tests use to show that arrays cross without copies.
#[pyfunction]
fn _read_in_place(a: &Bound<'_, PyAny>) -> PyResult<bool> {
    if let Ok(a) = a.extract::<PyReadonlyArrayDyn<'_, u8>>() {
        return Ok(matches!(Input::new(&a), Input::Shared { .. }));
    }
    let a = a.extract::<PyReadonlyArrayDyn<'_, f64>>()?;
    Ok(matches!(Input::new(&a), Input::Shared { .. }))
}

fn density(rho: f64) -> PyResult<Density> {
    Density::new(rho).map_err(bad)
}

fn seed(text: &str) -> PyResult<MasterSeed> {
    MasterSeed::parse(text).map_err(bad)
}

/// τ* of an FSM spec at density ρ: (value, lo, hi, g_error_bound, evaluations).
#[pyfunction]
fn tau_star(
    py: Python<'_>,
    row: String,
    col: String,
    noise: String,
    rho: f64,
) -> PyResult<(f64, f64, f64, f64, usize)> {
    let fsm = Fsm::parse(&row, &col, &noise).map_err(bad)?;
    let rho = density(rho)?;
    let t = interruptible(py, move |_| fsm.tau_star(rho).map_err(|e| e.to_string()))?;
    Ok((
        t.value,
        t.interval.0,
        t.interval.1,
        t.g_error_bound,
        t.evaluations,
    ))
}

/// The limit graphon on a k × k grid of cell midpoints: (τ*, lo, hi, W, row degrees, column
/// degrees), degrees as k × 3 arrays of (value, lo, hi).
#[pyfunction]
fn limit_graphon<'py>(
    py: Python<'py>,
    row: String,
    col: String,
    noise: String,
    rho: f64,
    grid: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let fsm = Fsm::parse(&row, &col, &noise).map_err(bad)?;
    let rho = density(rho)?;
    let (tau, w, rows, cols) = interruptible(py, move |_| {
        let limit = fsm.limit_graphon(rho).map_err(|e| e.to_string())?;
        let w = limit.w_grid(grid).map_err(|e| e.to_string())?;
        let w: Vec<f64> = (0..grid)
            .flat_map(|i| (0..grid).map(move |j| (i, j)))
            .map(|(i, j)| w[(i, j)])
            .collect();
        let positions = (0..grid).map(|i| (i as f64 + 0.5) / grid as f64);
        let mut rows = Vec::with_capacity(3 * grid);
        let mut cols = Vec::with_capacity(3 * grid);
        for u in positions {
            let r = limit.row_degree(u).map_err(|e| e.to_string())?;
            let c = limit.col_degree(u).map_err(|e| e.to_string())?;
            rows.extend([r.value, r.lo, r.hi]);
            cols.extend([c.value, c.lo, c.hi]);
        }
        Ok((limit.tau, w, rows, cols))
    })?;
    let out = (
        tau.value,
        tau.interval.0,
        tau.interval.1,
        array2(py, w, &[grid, grid])?,
        array2(py, rows, &[grid, 3])?,
        array2(py, cols, &[grid, 3])?,
    );
    Ok(out.into_pyobject(py)?.into_any())
}

/// The data set: a named set loaded as `prune` loads it, or the arrays X (N × d) and y (N).
fn data_set(
    data: Option<String>,
    x: Option<PyReadonlyArray2<'_, f64>>,
    y: Option<PyReadonlyArray1<'_, f64>>,
    seed: MasterSeed,
) -> PyResult<DataSet> {
    match (data, x, y) {
        (Some(name), None, None) => {
            let spec = DataSpec::parse(&name).map_err(bad)?;
            load(&spec, seed, PRUNE_DATA_LABEL).map_err(bad)
        }
        (None, Some(x), Some(y)) => {
            let (samples, d) = (x.shape()[0], x.shape()[1]);
            if y.len() != samples {
                return Err(PyValueError::new_err(format!(
                    "y has {} entries for the {samples} rows of X",
                    y.len()
                )));
            }
            let (x, y) = (entries(&x), entries(&y));
            if let Some(v) = x.iter().chain(&y).find(|v| !v.is_finite()) {
                return Err(PyValueError::new_err(format!(
                    "X and y must be finite, found {v}"
                )));
            }
            Ok(DataSet {
                name: "arrays".into(),
                samples,
                d,
                x,
                y,
                labels: vec![0; samples],
                image_side: None,
                blocks: None,
            })
        }
        _ => Err(PyValueError::new_err(
            "give data=NAME, or X and y (not both)",
        )),
    }
}

/// A named data set as `prune` loads it: (X N × d, y N).
#[pyfunction]
#[pyo3(signature = (name, master_seed="default"))]
fn load_data<'py>(py: Python<'py>, name: &str, master_seed: &str) -> PyResult<Bound<'py, PyAny>> {
    let spec = DataSpec::parse(name).map_err(bad)?;
    let seed = seed(master_seed)?;
    let set = interruptible(py, move |_| {
        load(&spec, seed, PRUNE_DATA_LABEL).map_err(|e| e.to_string())
    })?;
    let (samples, d) = (set.samples, set.d);
    let out = (
        array2(py, set.x, &[samples, d])?,
        array2(py, set.y, &[samples])?,
    );
    Ok(out.into_pyobject(py)?.into_any())
}

/// Prune: (mask uint8 n × d, scores n × d, weights n × d, readout n).
#[pyfunction]
#[pyo3(signature = (method, width, rho, data=None, x=None, y=None, weights=None, readout=None, batch=None, rounds=1, kept_count="round", master_seed="default"))]
#[allow(clippy::too_many_arguments)]
fn prune<'py>(
    py: Python<'py>,
    method: &str,
    width: usize,
    rho: f64,
    data: Option<String>,
    x: Option<PyReadonlyArray2<'py, f64>>,
    y: Option<PyReadonlyArray1<'py, f64>>,
    weights: Option<PyReadonlyArray2<'py, f64>>,
    readout: Option<PyReadonlyArray1<'py, f64>>,
    batch: Option<usize>,
    rounds: usize,
    kept_count: &str,
    master_seed: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let seed = seed(master_seed)?;
    let spec = PruneSpec {
        batch,
        rounds,
        kept_count: KeptCount::parse(kept_count).map_err(bad)?,
        ..PruneSpec::new(Method::parse(method).map_err(bad)?, density(rho)?)
    };
    let set = data_set(data, x, y, seed)?;
    let d = set.d;
    let w = weights.map(|w| (w.shape().to_vec(), entries(&w)));
    let a = readout.map(|a| entries(&a));
    let (mask, scores, w, a) = interruptible(py, move |_| {
        let s = |e: pai_graphon::Error| e.to_string();
        let drawn = Network::init(width, d, seed, PRUNE_LABEL).map_err(|e| e.to_string())?;
        let net = if w.is_none() && a.is_none() {
            drawn
        } else {
            let w = match w {
                Some((shape, w)) if shape == [width, d] => w,
                Some((shape, _)) => {
                    return Err(format!(
                        "weights have shape {shape:?}, expected [{width}, {d}] (width × inputs)"
                    ))
                }
                None => drawn.weights().to_vec(),
            };
            let a = a.unwrap_or_else(|| drawn.output_weights().to_vec());
            Network::from_weights(width, d, w, a).map_err(|e| e.to_string())?
        };
        spec.validate(&net, &set).map_err(|e| e.to_string())?;
        let p = prune_net(&net, &set, &spec, seed, PRUNE_LABEL).map_err(s)?;
        Ok((
            p.mask.entries(),
            p.scores,
            net.weights().to_vec(),
            net.output_weights().to_vec(),
        ))
    })?;
    let out = (
        array2(py, mask, &[width, d])?,
        array2(py, scores, &[width, d])?,
        array2(py, w, &[width, d])?,
        array2(py, a, &[width])?,
    );
    Ok(out.into_pyobject(py)?.into_any())
}

/// A stack of masks, one per master seed: `method:NAME` masks are exactly `pai-graphon prune
/// --method NAME --seed S --save-mask` (streams `prune/...` of master seed S); `constant` and
/// `fsm:…` masks are the FSM sampler's top-k masks on the stream `masks` of master seed S.
#[pyfunction]
#[pyo3(signature = (spec, n, d, rho, seeds, data=None, batch=None, kept_count="round"))]
#[allow(clippy::too_many_arguments)]
fn reference_masks<'py>(
    py: Python<'py>,
    spec: &str,
    n: usize,
    d: usize,
    rho: f64,
    seeds: Vec<u64>,
    data: Option<String>,
    batch: Option<usize>,
    kept_count: &str,
) -> PyResult<Bound<'py, PyAny>> {
    let against: AgainstSpec = spec.parse().map_err(bad)?;
    let rho = density(rho)?;
    let rule = KeptCount::parse(kept_count).map_err(bad)?;
    if seeds.is_empty() {
        return Err(PyValueError::new_err(
            "seeds must name at least one master seed",
        ));
    }
    let count = seeds.len();
    let stack = interruptible(py, move |cancel| {
        let e = |e: &dyn std::fmt::Display| e.to_string();
        let mut out = Vec::with_capacity(count * n * d);
        match against.limit {
            Limit::Method(method) => {
                let name = data.ok_or("method:NAME needs data= (the set to prune on)")?;
                let spec = PruneSpec {
                    batch,
                    kept_count: rule,
                    ..PruneSpec::new(method, rho)
                };
                for s in seeds {
                    cancel.check()?;
                    let seed = MasterSeed::new(s);
                    let set = load(
                        &DataSpec::parse(&name).map_err(|x| e(&x))?,
                        seed,
                        PRUNE_DATA_LABEL,
                    )
                    .map_err(|x| e(&x))?;
                    if set.d != d {
                        return Err(format!("{name} has {} inputs, not d = {d}", set.d));
                    }
                    let net = Network::init(n, d, seed, PRUNE_LABEL).map_err(|x| e(&x))?;
                    let p = prune_net(&net, &set, &spec, seed, PRUNE_LABEL).map_err(|x| e(&x))?;
                    out.extend(p.mask.entries());
                }
            }
            limit => {
                if data.is_some() || batch.is_some() {
                    return Err("data= and batch= belong to method:NAME".into());
                }
                let fsm = match limit {
                    Limit::Fsm(fsm) => fsm,
                    _ => Fsm::parse("const:1", "const:1", "gaussian:1").map_err(|x| e(&x))?,
                };
                let spec = MaskSpec::new(n, d, rho, &fsm.row, &fsm.col)
                    .and_then(|s| s.with_kept_count(rule))
                    .map_err(|x| e(&x))?;
                for s in seeds {
                    cancel.check()?;
                    let seed = MasterSeed::new(s);
                    let m = sample_mask_for(&spec, &fsm.noise, seed, MASKS_LABEL, None)
                        .map_err(|x| e(&x))?;
                    out.extend(m.entries());
                }
            }
        }
        Ok(out)
    })?;
    array2(py, stack, &[count, n, d])
}

/// The verdicts of `pai-graphon check`: (status, density, own_density_dropped, rows as JSON).
#[pyfunction]
#[pyo3(signature = (masks, against, scores=None, rho=None, data=None, batch=None, delta=1e-3, null="limit", unordered=false, replicates=None, master_seed="default"))]
#[allow(clippy::too_many_arguments)]
fn check(
    py: Python<'_>,
    masks: PyReadonlyArray3<'_, u8>,
    against: &str,
    scores: Option<PyReadonlyArray3<'_, f64>>,
    rho: Option<f64>,
    data: Option<String>,
    batch: Option<usize>,
    delta: f64,
    null: &str,
    unordered: bool,
    replicates: Option<usize>,
    master_seed: &str,
) -> PyResult<(String, f64, bool, String)> {
    let spec = CheckSpec {
        against: against.parse().map_err(bad)?,
        data,
        batch,
        seed: seed(master_seed)?,
        density: rho.map(density).transpose()?,
        delta: Probability::new(delta).map_err(bad)?,
        null: null.parse().map_err(bad)?,
        unordered,
        replicates,
    };
    let shape = masks.shape().to_vec();
    let (n, d) = (shape[1], shape[2]);
    let bits = Input::new(&masks);
    let scores = scores.map(|s| (s.shape().to_vec(), Input::new(&s)));
    interruptible(py, move |_| {
        let masks = bits
            .as_slice()
            .chunks(n * d)
            .map(|m| Mask::from_entries(n, d, m))
            .collect::<Result<Vec<Mask>, _>>()
            .map_err(|e| e.to_string())?;
        // One mask's scores are n × d, as the command reads them.
        let scores = scores.map(|(shape, s)| {
            let shape = if shape[0] == 1 && masks.len() == 1 {
                shape[1..].to_vec()
            } else {
                shape
            };
            (shape, s)
        });
        let scores_ref = scores
            .as_ref()
            .map(|(shape, s)| (shape.as_slice(), s.as_slice()));
        let o = check_masks(&masks, scores_ref, &spec, |_, _| {}).map_err(|e| e.to_string())?;
        let rows = serde_json::to_string(&o.rows).map_err(|e| e.to_string())?;
        Ok((o.status.to_string(), o.density, o.own_density_dropped, rows))
    })
}

/// The graphon NTK of the rows of X (normalised to unit norm): (K, certified λ_min lower bound or
/// None, the bound on ‖K̂ − K‖₂).
#[pyfunction]
#[pyo3(signature = (x, graphon, rho, y=None, layers="first", nodes=64))]
fn graphon_ntk<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, f64>,
    graphon: &str,
    rho: f64,
    y: Option<PyReadonlyArray1<'py, f64>>,
    layers: &str,
    nodes: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let spec: GraphonSpec = graphon.parse().map_err(bad)?;
    let layers = match layers {
        "first" => Layers::First,
        "both" => Layers::Both,
        other => {
            return Err(PyValueError::new_err(format!(
                "layers must be 'first' or 'both', not {other:?}"
            )))
        }
    };
    let (samples, dims) = (x.shape()[0], x.shape()[1]);
    let raw = entries(&x);
    let y = y.map(|y| entries(&y)).unwrap_or_default();
    let (k, certified, error) = interruptible(py, move |_| {
        let e = |x: &dyn std::fmt::Display| x.to_string();
        let raw = faer::Mat::from_fn(samples, dims, |b, j| raw[b * dims + j]);
        let x = unit_rows(raw.as_ref()).map_err(|x| e(&x))?;
        let graphon = spec
            .kernel_graphon(x.as_ref(), &y, rho, nodes)
            .map_err(|x| e(&x))?;
        check_distinct(x.as_ref()).map_err(|x| e(&x))?;
        let kernel = ntk_kernel(x.as_ref(), &graphon, layers).map_err(|x| e(&x))?;
        let bounded = bounded_graphon_ntk(x.as_ref(), &graphon, layers).map_err(|x| e(&x))?;
        let certified = certified_lambda_min(bounded.k.as_ref(), bounded.error).ok();
        let k: Vec<f64> = (0..samples * samples)
            .map(|t| kernel.k[(t / samples, t % samples)])
            .collect();
        Ok((k, certified, bounded.error))
    })?;
    let out = (array2(py, k, &[samples, samples])?, certified, error);
    Ok(out.into_pyobject(py)?.into_any())
}

/// The claim rows of `pai-graphon audit --format json`, as JSON.
#[pyfunction]
#[pyo3(signature = (filter=None, scale=1.0, master_seed="default"))]
fn audit(
    py: Python<'_>,
    filter: Option<String>,
    scale: f64,
    master_seed: &str,
) -> PyResult<String> {
    if !(scale.is_finite() && scale > 0.0 && scale <= MAX_SCALE) {
        return Err(PyValueError::new_err(format!(
            "scale {scale} must lie in (0, {MAX_SCALE}]"
        )));
    }
    let seed = seed(master_seed)?;
    let chosen = claims::select(filter.as_deref());
    if chosen.is_empty() {
        return Err(PyValueError::new_err(format!(
            "no claim id starts with {:?}",
            filter.unwrap_or_default()
        )));
    }
    interruptible(py, move |cancel| {
        let rows = chosen
            .iter()
            .map(|c| {
                cancel.check()?;
                claims::run(c, seed, scale).map_err(|e| format!("{}: {e}", c.id))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(render(&rows, Format::Json))
    })
}

#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tau_star, m)?)?;
    m.add_function(wrap_pyfunction!(limit_graphon, m)?)?;
    m.add_function(wrap_pyfunction!(load_data, m)?)?;
    m.add_function(wrap_pyfunction!(prune, m)?)?;
    m.add_function(wrap_pyfunction!(reference_masks, m)?)?;
    m.add_function(wrap_pyfunction!(check, m)?)?;
    m.add_function(wrap_pyfunction!(graphon_ntk, m)?)?;
    m.add_function(wrap_pyfunction!(audit, m)?)?;
    m.add_function(wrap_pyfunction!(_read_in_place, m)?)?;
    Ok(())
}
