//! # plot: one style for every figure
//!
//! Every figure of the project is drawn here, so they all share one look:
//!
//! - **Text** is DejaVu Sans, vendored in `assets/fonts/` and registered with plotters' `ab_glyph`
//!   backend once per process (no system fonts are consulted). The title sits in a band of
//!   [`TITLE_BAND`] pixels at the top; a claim id, when given, opens it (`CONV-1 · title`).
//! - **Colour scale** for heat maps is viridis (van der Walt & Smith 2015, CC0), linearly
//!   interpolated between the 11 stops [`VIRIDIS`] that matplotlib's table takes at
//!   t = 0, 0.1, …, 1. The caller fixes the range `[vmin, vmax]`, so panels drawn separately
//!   still share one scale; values outside it are clamped to the end colours.
//! - **Line colours** follow the Okabe–Ito colour-blind-safe palette [`PALETTE`] (Okabe & Ito
//!   2008), by series index.
//! - **Heat-map orientation** is that of a matrix (`imshow`, `spy`): row 0 at the top, column 0
//!   at the left. For a graphon W(u, v) on a `rows × cols` grid, cell (i, j) covers
//!   u ∈ [i/rows, (i+1)/rows] (hidden position, vertical axis, u = 0 at the top) and
//!   v ∈ [j/cols, (j+1)/cols] (input position, horizontal axis). The tick labels read u and v.
//!
//! Each figure is drawn twice, into an RGB buffer and into an SVG string, and returned as a
//! [`Rendered`]. The RGB buffer is encoded in memory by the `png` crate with the settings
//! plotters' file encoder (the `image` crate 0.24) used: fast compression, adaptive filtering
//! starting from `Sub`. So the bytes are those the file backend wrote, without a temporary file
//! and without compiling `image` and its JPEG decoder (issue #19: build time).
//!
//! Heat maps draw one rectangle per cell; large matrices (masks) are first reduced with
//! [`block_average`] to at most [`MAX_CELLS`] cells per figure, which keeps the SVG small.
//!
//! ```
//! use pai_graphon::plot::{block_average, heatmap, HeatmapSpec};
//! // W(u, v) = (u + v)/2 on a 100 × 100 grid, reduced to 10 × 10 cells before drawing.
//! let w = faer::Mat::from_fn(100, 100, |i, j| (i + j) as f64 / 198.0);
//! let cells = block_average(w.as_ref(), 10, 10).unwrap();
//! let fig = heatmap(cells.as_ref(), &HeatmapSpec::new("(u + v)/2", 0.0, 1.0)).unwrap();
//! assert_eq!(fig.size, (900, 760));
//! assert_eq!(fig.rgb.len(), 3 * 900 * 760);
//! ```
use crate::mask::Mask;
use faer::{Mat, MatRef};
use plotters::coord::Shift;
use plotters::prelude::*;
use std::fmt;
use std::io;
use std::path::Path;
use std::sync::OnceLock;

/// Height in pixels of the title band at the top of every figure.
///
/// ```
/// use pai_graphon::plot::{heatmap, HeatmapSpec, TITLE_BAND};
/// let m = faer::Mat::from_fn(1, 1, |_, _| 0.0);
/// let fig = heatmap(m.as_ref(), &HeatmapSpec::new("W", 0.0, 1.0)).unwrap();
/// // The title is centred in the band: its middle row is not all white.
/// assert!((0..fig.size.0).any(|x| fig.pixel(x, TITLE_BAND / 2) != Some((255, 255, 255))));
/// ```
pub const TITLE_BAND: u32 = 56;
/// Smallest accepted figure side in pixels.
///
/// ```
/// use pai_graphon::plot::{heatmap, HeatmapSpec, PlotError, MIN_SIDE};
/// let m = faer::Mat::from_fn(1, 1, |_, _| 0.0);
/// let mut spec = HeatmapSpec::new("W", 0.0, 1.0);
/// spec.width = MIN_SIDE - 1;
/// assert_eq!(heatmap(m.as_ref(), &spec).unwrap_err(), PlotError::Size { width: 199, height: 760 });
/// ```
pub const MIN_SIDE: u32 = 200;
/// Largest accepted figure side in pixels.
///
/// ```
/// use pai_graphon::plot::{lines, LineSpec, PlotError, Series, SeriesStyle, MAX_SIDE};
/// let s = Series::new("y", vec![0.0, 1.0], vec![0.0, 1.0], SeriesStyle::Line);
/// let mut spec = LineSpec::new("t", "x", "y");
/// spec.height = MAX_SIDE + 1;
/// assert_eq!(lines(&[s], &spec).unwrap_err(), PlotError::Size { width: 1000, height: 4001 });
/// ```
pub const MAX_SIDE: u32 = 4000;
/// Most heat-map cells drawn in one figure (all panels together); reduce with [`block_average`].
///
/// ```
/// use pai_graphon::plot::{block_average, heatmap, HeatmapSpec, PlotError, MAX_CELLS};
/// assert_eq!(MAX_CELLS, 256 * 256);
/// let m = faer::Mat::<f64>::zeros(257, 256);
/// let spec = HeatmapSpec::new("W", 0.0, 1.0);
/// let too_many = PlotError::TooManyCells { cells: 257 * 256, max: MAX_CELLS };
/// assert_eq!(heatmap(m.as_ref(), &spec).unwrap_err(), too_many);
/// // Block-averaged to 256 × 256 it fits.
/// assert_eq!(block_average(m.as_ref(), 256, 256).unwrap().nrows(), 256);
/// ```
pub const MAX_CELLS: usize = 1 << 16;

/// Viridis at t = 0, 0.1, …, 1 (matplotlib's table sampled at 11 points), as RGB.
///
/// ```
/// use pai_graphon::plot::{colour_of, VIRIDIS};
/// // Stop k is the colour of t = k/10.
/// assert_eq!(colour_of(0.0, 0.0, 1.0), VIRIDIS[0]);
/// assert_eq!(colour_of(0.5, 0.0, 1.0), VIRIDIS[5]);
/// ```
pub const VIRIDIS: [(u8, u8, u8); 11] = [
    (0x44, 0x01, 0x54),
    (0x48, 0x24, 0x75),
    (0x41, 0x44, 0x87),
    (0x35, 0x5f, 0x8d),
    (0x2a, 0x78, 0x8e),
    (0x21, 0x91, 0x8c),
    (0x22, 0xa8, 0x84),
    (0x44, 0xbf, 0x70),
    (0x7a, 0xd1, 0x51),
    (0xbd, 0xdf, 0x26),
    (0xfd, 0xe7, 0x25),
];

/// Okabe–Ito colours (blue, vermillion, bluish green, reddish purple, orange, sky blue, black)
/// for series 0, 1, 2, … (cycling); yellow is left out for contrast on white.
///
/// ```
/// use pai_graphon::plot::{lines, LineSpec, Series, SeriesStyle, PALETTE};
/// let s = Series::new("first", vec![0.0, 1.0], vec![0.0, 1.0], SeriesStyle::Markers);
/// let fig = lines(&[s], &LineSpec::new("t", "x", "y")).unwrap();
/// // Series 0 is drawn in the first colour.
/// let (r, g, b) = PALETTE[0];
/// assert!(fig.rgb.chunks(3).any(|p| p == [r, g, b]));
/// ```
pub const PALETTE: [(u8, u8, u8); 7] = [
    (0x00, 0x72, 0xb2),
    (0xd5, 0x5e, 0x00),
    (0x00, 0x9e, 0x73),
    (0xcc, 0x79, 0xa7),
    (0xe6, 0x9f, 0x00),
    (0x56, 0xb4, 0xe9),
    (0x00, 0x00, 0x00),
];

const FONT: &str = "sans-serif";
const TITLE_SIZE: u32 = 26;
const AXIS_DESC_SIZE: u32 = 20;
const TICK_SIZE: u32 = 16;
/// Tick marks in pixels; plotters puts labels twice this far from the axis.
const TICK_MARK: u32 = 5;
const COLOURBAR_WIDTH: u32 = 150;

/// Invalid input to a figure, or a failure of the drawing backend.
///
/// ```
/// use pai_graphon::plot::{heatmap, HeatmapSpec, Place, PlotError};
/// let spec = HeatmapSpec::new("W", 0.0, 1.0);
/// let empty = faer::Mat::<f64>::zeros(0, 3);
/// assert_eq!(heatmap(empty.as_ref(), &spec).unwrap_err(), PlotError::Empty(Place::HeatMap));
/// let nan = faer::Mat::from_fn(1, 1, |_, _| f64::NAN);
/// assert!(matches!(heatmap(nan.as_ref(), &spec), Err(PlotError::NonFinite { .. })));
/// let backwards = HeatmapSpec::new("W", 1.0, 0.0);
/// let e = heatmap(faer::Mat::<f64>::zeros(1, 1).as_ref(), &backwards).unwrap_err();
/// assert_eq!(e.to_string(), "colour range [1, 0] needs finite vmin < vmax");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum PlotError {
    /// Nothing to draw: an empty matrix, panel list, series list or series.
    Empty(Place),
    /// A NaN or infinite value (where it is, and the value).
    NonFinite {
        /// The matrix or series and the index of the value.
        what: Place,
        /// The offending value.
        value: f64,
    },
    /// A value ≤ 0 on a logarithmic axis.
    NonPositiveOnLog {
        /// The series, axis and index of the value.
        what: Place,
        /// The offending value.
        value: f64,
    },
    /// Lengths that must agree do not (xs vs ys, ys vs error bars).
    LengthMismatch {
        /// The series and the vector whose length is wrong.
        what: Place,
        /// The length of `xs`.
        expected: usize,
        /// The length found.
        found: usize,
    },
    /// An error bar that does not contain its point (`ys_lo[i] ≤ ys[i] ≤ ys_hi[i]` fails).
    ErrorBar {
        /// The series' legend entry.
        series: String,
        /// The index of the point.
        index: usize,
    },
    /// A series with `ys_lo` but no `ys_hi`, or the reverse.
    OneSidedErrorBars {
        /// The series' legend entry.
        series: String,
    },
    /// The colour range is not finite with `vmin < vmax`.
    ColourRange {
        /// Lower end of the colour scale.
        vmin: f64,
        /// Upper end of the colour scale.
        vmax: f64,
    },
    /// Block counts must satisfy `1 ≤ rows ≤ nrows` and `1 ≤ cols ≤ ncols`.
    Blocks {
        /// Requested block rows.
        rows: usize,
        /// Requested block columns.
        cols: usize,
        /// Rows of the matrix.
        nrows: usize,
        /// Columns of the matrix.
        ncols: usize,
    },
    /// More heat-map cells than [`MAX_CELLS`]; reduce with [`block_average`] first.
    TooManyCells {
        /// Cells requested.
        cells: usize,
        /// The limit.
        max: usize,
    },
    /// A figure side outside [`MIN_SIDE`]..=[`MAX_SIDE`] pixels.
    Size {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
    },
    /// A grid needs `1 ≤ columns`.
    Columns(usize),
    /// The font could not be registered or the backend failed.
    Render(RenderFailure),
}

/// Where in a figure's input a value was refused. Series and panel names are the caller's
/// labels (data), not messages.
///
/// ```
/// use pai_graphon::plot::Place;
/// let cell = Place::Cell { matrix: Box::new(Place::Panel { name: "W".into() }), row: 1, col: 2 };
/// assert_eq!(cell.to_string(), "panel 'W' (1, 2)");
/// let y = Place::Column { series: "s".into(), column: "ys", index: Some(3) };
/// assert_eq!(y.to_string(), "series 's' ys[3]");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub enum Place {
    /// The matrix of a single heat map.
    HeatMap,
    /// The matrix given to [`block_average`].
    Matrix,
    /// A grid's list of panels.
    PanelList,
    /// A chart's list of series.
    SeriesList,
    /// A grid panel, by its title.
    Panel {
        /// The panel's title.
        name: String,
    },
    /// A series, by its legend entry.
    Series {
        /// The legend entry.
        name: String,
    },
    /// Entry (row, col) of a matrix.
    Cell {
        /// The matrix: the heat map, the [`block_average`] input or a panel.
        matrix: Box<Place>,
        /// Row index.
        row: usize,
        /// Column index.
        col: usize,
    },
    /// A column of a series (`"xs"`, `"ys"`, `"ys_lo"`, `"ys_hi"`), or one entry of it.
    Column {
        /// The series' legend entry.
        series: String,
        /// The column.
        column: &'static str,
        /// The entry, if one.
        index: Option<usize>,
    },
}

impl fmt::Display for Place {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Place::HeatMap => write!(f, "heat map"),
            Place::Matrix => write!(f, "matrix"),
            Place::PanelList => write!(f, "panel list"),
            Place::SeriesList => write!(f, "series list"),
            Place::Panel { name } => write!(f, "panel '{name}'"),
            Place::Series { name } => write!(f, "series '{name}'"),
            Place::Cell { matrix, row, col } => write!(f, "{matrix} ({row}, {col})"),
            Place::Column {
                series,
                column,
                index: None,
            } => write!(f, "series '{series}' {column}"),
            Place::Column {
                series,
                column,
                index: Some(i),
            } => write!(f, "series '{series}' {column}[{i}]"),
        }
    }
}

/// Why drawing failed. plotters' errors are generic over the backend and carry no common
/// fields, so only the kind of failure is kept.
///
/// ```
/// use pai_graphon::plot::{PlotError, RenderFailure};
/// let e = PlotError::Render(RenderFailure::Png);
/// assert_eq!(e.to_string(), "rendering failed: the PNG encoder rejected the pixels");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RenderFailure {
    /// The vendored DejaVu Sans could not be registered.
    Font,
    /// A plotters backend reported an error while drawing.
    Backend,
    /// The PNG encoder rejected the pixels (a size or buffer length it cannot encode).
    Png,
}

impl fmt::Display for RenderFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderFailure::Font => write!(f, "DejaVu Sans could not be registered"),
            RenderFailure::Backend => write!(f, "the drawing backend reported an error"),
            RenderFailure::Png => write!(f, "the PNG encoder rejected the pixels"),
        }
    }
}

impl fmt::Display for PlotError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PlotError::Empty(what) => write!(f, "nothing to draw: {what} is empty"),
            PlotError::NonFinite { what, value } => write!(f, "non-finite value {value} at {what}"),
            PlotError::NonPositiveOnLog { what, value } => {
                write!(f, "value {value} at {what} is not positive on a log axis")
            }
            PlotError::LengthMismatch {
                what,
                expected,
                found,
            } => write!(f, "{what} has length {found}, expected {expected}"),
            PlotError::ErrorBar { series, index } => write!(
                f,
                "error bar at series '{series}' point {index} does not contain its point"
            ),
            PlotError::OneSidedErrorBars { series } => write!(
                f,
                "error bar at series '{series}': give both ys_lo and ys_hi or neither"
            ),
            PlotError::ColourRange { vmin, vmax } => {
                write!(f, "colour range [{vmin}, {vmax}] needs finite vmin < vmax")
            }
            PlotError::Blocks {
                rows,
                cols,
                nrows,
                ncols,
            } => write!(
                f,
                "cannot average a {nrows}×{ncols} matrix into {rows}×{cols} blocks"
            ),
            PlotError::TooManyCells { cells, max } => {
                write!(
                    f,
                    "{cells} heat-map cells exceed {max}; block-average first"
                )
            }
            PlotError::Size { width, height } => write!(
                f,
                "figure size {width}×{height} px outside {MIN_SIDE}..={MAX_SIDE} px per side"
            ),
            PlotError::Columns(c) => write!(f, "a grid needs at least one column, got {c}"),
            PlotError::Render(why) => write!(f, "rendering failed: {why}"),
        }
    }
}

impl std::error::Error for PlotError {}

/// A plotters backend error (kept as its kind only: see [`RenderFailure`]).
fn backend_error<E>(_: E) -> PlotError {
    PlotError::Render(RenderFailure::Backend)
}

/// A figure as an encoded PNG and an SVG document, plus the RGB pixels the PNG encodes.
///
/// ```
/// use pai_graphon::plot::{heatmap, HeatmapSpec};
/// let m = faer::Mat::from_fn(2, 2, |i, j| (i + j) as f64);
/// let fig = heatmap(m.as_ref(), &HeatmapSpec::new("demo", 0.0, 2.0)).unwrap();
/// let (w, h) = fig.size;
/// assert_eq!(fig.rgb.len(), 3 * w as usize * h as usize);
/// assert_eq!(&fig.png[..4], b"\x89PNG");
/// assert!(fig.svg.starts_with("<svg"));
/// ```
#[derive(Clone, Debug)]
pub struct Rendered {
    /// The PNG file's bytes.
    pub png: Vec<u8>,
    /// The SVG document.
    pub svg: String,
    /// Row-major RGB pixels (3 bytes each) that `png` encodes, for checks without a decoder.
    pub rgb: Vec<u8>,
    /// Width and height in pixels.
    pub size: (u32, u32),
}

impl Rendered {
    /// Writes `dir/stem.png` and `dir/stem.svg`, each atomically ([`crate::report::write_atomic`]).
    ///
    /// ```
    /// use pai_graphon::plot::{heatmap, HeatmapSpec};
    /// let m = faer::Mat::from_fn(2, 2, |i, j| (i + j) as f64);
    /// let fig = heatmap(m.as_ref(), &HeatmapSpec::new("demo", 0.0, 2.0)).unwrap();
    /// let dir = std::env::temp_dir().join(format!("pai-plot-doc-{}", std::process::id()));
    /// std::fs::create_dir_all(&dir).unwrap();
    /// fig.write(&dir, "demo").unwrap();
    /// assert_eq!(std::fs::read(dir.join("demo.png")).unwrap(), fig.png);
    /// std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn write(&self, dir: &Path, stem: &str) -> io::Result<()> {
        crate::report::write_atomic(&dir.join(format!("{stem}.png")), &self.png)?;
        crate::report::write_atomic(&dir.join(format!("{stem}.svg")), self.svg.as_bytes())
    }

    /// The RGB colour of pixel (x, y), x from the left and y from the top; `None` outside.
    ///
    /// ```
    /// use pai_graphon::plot::{heatmap, HeatmapSpec};
    /// let m = faer::Mat::from_fn(1, 1, |_, _| 0.0);
    /// let fig = heatmap(m.as_ref(), &HeatmapSpec::new("demo", 0.0, 1.0)).unwrap();
    /// assert_eq!(fig.pixel(0, 0), Some((255, 255, 255))); // white background
    /// ```
    pub fn pixel(&self, x: u32, y: u32) -> Option<(u8, u8, u8)> {
        let (w, h) = self.size;
        if x >= w || y >= h {
            return None;
        }
        let k = 3 * (y as usize * w as usize + x as usize);
        Some((self.rgb[k], self.rgb[k + 1], self.rgb[k + 2]))
    }
}

/// Viridis at `t ∈ [0, 1]` (clamped; NaN gives the bottom colour), linear between [`VIRIDIS`].
///
/// ```
/// use pai_graphon::plot::{viridis, VIRIDIS};
/// assert_eq!(viridis(1.0), VIRIDIS[10]);
/// assert_eq!(viridis(0.25), (59, 82, 138)); // halfway between stops 2 and 3
/// ```
pub fn viridis(t: f64) -> (u8, u8, u8) {
    let t = if t.is_nan() { 0.0 } else { t.clamp(0.0, 1.0) };
    let scaled = t * (VIRIDIS.len() - 1) as f64;
    let k = (scaled.floor() as usize).min(VIRIDIS.len() - 2);
    let frac = scaled - k as f64;
    let (a, b) = (VIRIDIS[k], VIRIDIS[k + 1]);
    let mix = |x: u8, y: u8| (x as f64 + frac * (y as f64 - x as f64)).round() as u8;
    (mix(a.0, b.0), mix(a.1, b.1), mix(a.2, b.2))
}

/// The colour of `value` on the scale `[vmin, vmax]` (values outside are clamped).
///
/// ```
/// use pai_graphon::plot::{colour_of, VIRIDIS};
/// assert_eq!(colour_of(3.0, 1.0, 3.0), VIRIDIS[10]);
/// assert_eq!(colour_of(-7.0, 1.0, 3.0), VIRIDIS[0]);
/// ```
pub fn colour_of(value: f64, vmin: f64, vmax: f64) -> (u8, u8, u8) {
    viridis((value - vmin) / (vmax - vmin))
}

fn rgb((r, g, b): (u8, u8, u8)) -> RGBColor {
    RGBColor(r, g, b)
}

/// Labels, colour range and size of a heat map (or of a grid of heat maps).
///
/// ```
/// use pai_graphon::plot::{heatmap, HeatmapSpec};
/// let m = faer::Mat::from_fn(2, 2, |i, j| (i * j) as f64);
/// let mut spec = HeatmapSpec::new("mask", 0.0, 1.0);
/// spec.claim_id = Some("CONV-1".into());
/// spec.height = 600;
/// let fig = heatmap(m.as_ref(), &spec).unwrap();
/// assert_eq!(fig.size, (900, 600));
/// assert!(fig.svg.contains("CONV-1 · mask"));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct HeatmapSpec {
    /// Figure title.
    pub title: String,
    /// Claim id shown before the title (`CONV-1 · title`), if any.
    pub claim_id: Option<String>,
    /// Horizontal axis label (columns).
    pub x_label: String,
    /// Vertical axis label (rows).
    pub y_label: String,
    /// Colour bar label.
    pub colorbar_label: String,
    /// Value drawn in the bottom colour of the scale.
    pub vmin: f64,
    /// Value drawn in the top colour of the scale.
    pub vmax: f64,
    /// Figure width in pixels.
    pub width: u32,
    /// Figure height in pixels.
    pub height: u32,
}

impl HeatmapSpec {
    /// A 900 × 760 px heat map with graphon axis labels ("input position v",
    /// "hidden position u"), colour bar label "value" and no claim id.
    ///
    /// ```
    /// let spec = pai_graphon::plot::HeatmapSpec::new("W", 0.0, 1.0);
    /// assert_eq!((spec.width, spec.height), (900, 760));
    /// ```
    pub fn new(title: &str, vmin: f64, vmax: f64) -> Self {
        HeatmapSpec {
            title: title.to_string(),
            claim_id: None,
            x_label: "input position v".to_string(),
            y_label: "hidden position u".to_string(),
            colorbar_label: "value".to_string(),
            vmin,
            vmax,
            width: 900,
            height: 760,
        }
    }

    fn validate(&self) -> Result<(), PlotError> {
        check_size(self.width, self.height)?;
        if !(self.vmin.is_finite() && self.vmax.is_finite() && self.vmin < self.vmax) {
            return Err(PlotError::ColourRange {
                vmin: self.vmin,
                vmax: self.vmax,
            });
        }
        Ok(())
    }
}

/// How a series is drawn.
///
/// ```
/// use pai_graphon::plot::{lines, LineSpec, Series, SeriesStyle::*};
/// let (xs, ys) = (vec![0.0, 1.0], vec![0.0, 1.0]);
/// let series: Vec<Series> = [Line, Markers, LineMarkers, Dashed]
///     .into_iter()
///     .enumerate()
///     .map(|(k, style)| Series::new(&format!("s{k}"), xs.clone(), ys.clone(), style))
///     .collect();
/// let fig = lines(&series, &LineSpec::new("styles", "x", "y")).unwrap();
/// assert!((0..4).all(|k| fig.svg.contains(&format!("s{k}"))));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeriesStyle {
    /// A solid line through the points.
    Line,
    /// Filled circles only.
    Markers,
    /// A solid line with filled circles.
    LineMarkers,
    /// A dashed line (for reference rates and theory curves).
    Dashed,
}

/// One named curve of a line chart, with optional error bars.
///
/// ```
/// use pai_graphon::plot::{lines, LineSpec, PlotError, Series, SeriesStyle};
/// let spec = LineSpec::new("t", "x", "y");
/// let short = Series::new("s", vec![1.0, 2.0], vec![1.0], SeriesStyle::Line);
/// assert!(matches!(
///     lines(&[short], &spec),
///     Err(PlotError::LengthMismatch { expected: 2, found: 1, .. })
/// ));
/// // An error bar must contain its point.
/// let off = Series::new("s", vec![1.0], vec![1.0], SeriesStyle::Markers)
///     .with_error_bars(vec![1.5], vec![2.0]);
/// assert!(matches!(lines(&[off], &spec), Err(PlotError::ErrorBar { index: 0, .. })));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Abscissae.
    pub xs: Vec<f64>,
    /// Ordinates, one per abscissa.
    pub ys: Vec<f64>,
    /// Line, markers or both.
    pub style: SeriesStyle,
    /// Lower ends of the error bars (one per point), if any.
    pub ys_lo: Option<Vec<f64>>,
    /// Upper ends of the error bars (one per point), if any.
    pub ys_hi: Option<Vec<f64>>,
}

impl Series {
    /// A series without error bars.
    ///
    /// ```
    /// use pai_graphon::plot::{Series, SeriesStyle};
    /// let s = Series::new("rate", vec![1.0, 2.0], vec![1.0, 0.5], SeriesStyle::Line);
    /// assert_eq!(s.ys_lo, None);
    /// ```
    pub fn new(name: &str, xs: Vec<f64>, ys: Vec<f64>, style: SeriesStyle) -> Self {
        Series {
            name: name.to_string(),
            xs,
            ys,
            style,
            ys_lo: None,
            ys_hi: None,
        }
    }

    /// The same series with error bars from `lo[i]` to `hi[i]` at each point.
    ///
    /// ```
    /// use pai_graphon::plot::{Series, SeriesStyle};
    /// let s = Series::new("m", vec![1.0], vec![2.0], SeriesStyle::Markers)
    ///     .with_error_bars(vec![1.5], vec![2.5]);
    /// assert_eq!(s.ys_hi, Some(vec![2.5]));
    /// ```
    pub fn with_error_bars(mut self, lo: Vec<f64>, hi: Vec<f64>) -> Self {
        self.ys_lo = Some(lo);
        self.ys_hi = Some(hi);
        self
    }
}

/// Labels and size of a line chart.
///
/// ```
/// use pai_graphon::plot::{loglog, LineSpec, PlotError, Series, SeriesStyle};
/// let mut spec = LineSpec::new("rate", "n", "error");
/// spec.claim_id = Some("CONV-2".into());
/// let s = Series::new("err", vec![10.0, 100.0], vec![0.3, 0.1], SeriesStyle::Line);
/// assert!(loglog(&[s], &spec).unwrap().svg.contains("CONV-2 · rate"));
/// // Log axes reject values ≤ 0.
/// let zero = Series::new("err", vec![0.0, 1.0], vec![1.0, 1.0], SeriesStyle::Line);
/// assert!(matches!(loglog(&[zero], &spec), Err(PlotError::NonPositiveOnLog { .. })));
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct LineSpec {
    /// Figure title.
    pub title: String,
    /// Claim id shown before the title (`CONV-2 · title`), if any.
    pub claim_id: Option<String>,
    /// Horizontal axis label.
    pub x_label: String,
    /// Vertical axis label.
    pub y_label: String,
    /// Figure width in pixels.
    pub width: u32,
    /// Figure height in pixels.
    pub height: u32,
}

impl LineSpec {
    /// A 1000 × 700 px chart with no claim id.
    ///
    /// ```
    /// let spec = pai_graphon::plot::LineSpec::new("rate", "n", "error");
    /// assert_eq!((spec.width, spec.height), (1000, 700));
    /// ```
    pub fn new(title: &str, x_label: &str, y_label: &str) -> Self {
        LineSpec {
            title: title.to_string(),
            claim_id: None,
            x_label: x_label.to_string(),
            y_label: y_label.to_string(),
            width: 1000,
            height: 700,
        }
    }
}

fn check_size(width: u32, height: u32) -> Result<(), PlotError> {
    let ok = |s: u32| (MIN_SIDE..=MAX_SIDE).contains(&s);
    if ok(width) && ok(height) {
        Ok(())
    } else {
        Err(PlotError::Size { width, height })
    }
}

fn full_title(title: &str, claim_id: &Option<String>) -> String {
    match claim_id {
        Some(id) => format!("{id} · {title}"),
        None => title.to_string(),
    }
}

/// Averages `m` over a `rows × cols` grid of blocks of near-equal size, for display.
///
/// Block i covers matrix rows `⌊i·R/rows⌋ ≤ r < ⌊(i+1)·R/rows⌋` (R = `m.nrows()`), so block
/// heights differ by at most one and none is empty; columns likewise. Requires
/// `1 ≤ rows ≤ R`, `1 ≤ cols ≤ C` and finite entries.
///
/// ```
/// let m = faer::Mat::from_fn(4, 4, |i, j| (4 * i + j) as f64);
/// let b = pai_graphon::plot::block_average(m.as_ref(), 2, 2).unwrap();
/// assert_eq!(b[(0, 1)], 4.5); // mean of 2, 3, 6, 7
/// ```
pub fn block_average(m: MatRef<'_, f64>, rows: usize, cols: usize) -> Result<Mat<f64>, PlotError> {
    let (nrows, ncols) = (m.nrows(), m.ncols());
    if rows == 0 || cols == 0 || rows > nrows || cols > ncols {
        return Err(PlotError::Blocks {
            rows,
            cols,
            nrows,
            ncols,
        });
    }
    check_finite(m, &Place::Matrix)?;
    let edge = |k: usize, n: usize, parts: usize| (k as u128 * n as u128 / parts as u128) as usize;
    Ok(Mat::from_fn(rows, cols, |bi, bj| {
        let (r0, r1) = (edge(bi, nrows, rows), edge(bi + 1, nrows, rows));
        let (c0, c1) = (edge(bj, ncols, cols), edge(bj + 1, ncols, cols));
        let mut sum = 0.0;
        for j in c0..c1 {
            for i in r0..r1 {
                sum += m[(i, j)];
            }
        }
        sum / ((r1 - r0) * (c1 - c0)) as f64
    }))
}

/// The order of `degrees`' indices by decreasing degree, ties by smaller index.
fn by_decreasing_degree(degrees: &[u32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..degrees.len()).collect();
    order.sort_by(|&a, &b| degrees[b].cmp(&degrees[a]).then(a.cmp(&b)));
    order
}

/// The display block of each index of `order`'s items: the item at sorted position p goes to
/// block `b` with `⌊b·m/B⌋ ≤ p < ⌊(b+1)·m/B⌋`, the partition of [`block_average`].
fn sorted_blocks(order: &[usize], blocks: usize) -> Vec<usize> {
    let m = order.len();
    let mut of = vec![0; m];
    for (p, &item) in order.iter().enumerate() {
        // The largest b with ⌊b·m/B⌋ ≤ p is ⌊((p + 1)·B − 1)/m⌋.
        of[item] = ((p as u128 + 1) * blocks as u128 - 1) as usize / m;
    }
    of
}

/// The degree-sorted picture of a mask: rows in decreasing row degree and columns in decreasing
/// column degree (ties by smaller index), block-averaged into `min(n, max_blocks) ×
/// min(d, max_blocks)` near-equal blocks — exactly [`block_average`] of the sorted dense 0/1
/// matrix (the block sums are integer counts, divided once), without forming that matrix.
///
/// Errors: `max_blocks = 0` ([`PlotError::Blocks`]).
///
/// ```
/// use pai_graphon::mask::top_k_mask;
/// use pai_graphon::plot::degree_sorted_blocks;
/// // Row 1 keeps 2, row 0 keeps 1; column 1 keeps 2: sorted, the full entries sit top left.
/// let m = top_k_mask(2, 3, &[0.0, 1.0, 0.0, 1.0, 1.0, 0.0], 3).unwrap();
/// let b = degree_sorted_blocks(&m, 256).unwrap();
/// assert_eq!((b[(0, 0)], b[(0, 1)], b[(1, 0)], b[(1, 1)], b[(1, 2)]), (1.0, 1.0, 1.0, 0.0, 0.0));
/// let coarse = degree_sorted_blocks(&m, 1).unwrap();
/// assert_eq!(coarse[(0, 0)], 0.5);
/// ```
pub fn degree_sorted_blocks(mask: &Mask, max_blocks: usize) -> Result<Mat<f64>, PlotError> {
    let (n, d) = (mask.rows(), mask.cols());
    let (rows, cols) = (n.min(max_blocks), d.min(max_blocks));
    if rows == 0 || cols == 0 {
        return Err(PlotError::Blocks {
            rows,
            cols,
            nrows: n,
            ncols: d,
        });
    }
    let row_block = sorted_blocks(&by_decreasing_degree(&mask.row_degrees()), rows);
    let col_block = sorted_blocks(&by_decreasing_degree(&mask.column_degrees()), cols);
    let mut counts = vec![0u64; rows * cols];
    for (i, &rb) in row_block.iter().enumerate() {
        for (w, &word) in mask.row_words(i).unwrap_or(&[]).iter().enumerate() {
            let mut bits = word;
            while bits != 0 {
                counts[rb * cols + col_block[w * 64 + bits.trailing_zeros() as usize]] += 1;
                bits &= bits - 1;
            }
        }
    }
    let edge = |k: usize, m: usize, parts: usize| (k as u128 * m as u128 / parts as u128) as usize;
    let size = |k: usize, m: usize, parts: usize| edge(k + 1, m, parts) - edge(k, m, parts);
    Ok(Mat::from_fn(rows, cols, |a, b| {
        counts[a * cols + b] as f64 / (size(a, n, rows) * size(b, d, cols)) as f64
    }))
}

fn check_finite(m: MatRef<'_, f64>, what: &Place) -> Result<(), PlotError> {
    for j in 0..m.ncols() {
        for i in 0..m.nrows() {
            let value = m[(i, j)];
            if !value.is_finite() {
                return Err(PlotError::NonFinite {
                    what: Place::Cell {
                        matrix: Box::new(what.clone()),
                        row: i,
                        col: j,
                    },
                    value,
                });
            }
        }
    }
    Ok(())
}

fn check_matrix(m: MatRef<'_, f64>, what: Place) -> Result<usize, PlotError> {
    if m.nrows() == 0 || m.ncols() == 0 {
        return Err(PlotError::Empty(what));
    }
    check_finite(m, &what)?;
    Ok(m.nrows() * m.ncols())
}

fn check_cells(cells: usize) -> Result<(), PlotError> {
    if cells > MAX_CELLS {
        return Err(PlotError::TooManyCells {
            cells,
            max: MAX_CELLS,
        });
    }
    Ok(())
}

/// A heat map of `values` with a colour bar, on the fixed scale `[spec.vmin, spec.vmax]`.
///
/// Row 0 is drawn at the top and column 0 at the left (see the module doc); the axes run over
/// [0, 1] (cell (i, j) covers u ∈ [i/rows, (i+1)/rows], v ∈ [j/cols, (j+1)/cols]).
///
/// ```
/// use pai_graphon::plot::{heatmap, HeatmapSpec};
/// let m = faer::Mat::from_fn(3, 5, |i, j| (i * j) as f64);
/// let fig = heatmap(m.as_ref(), &HeatmapSpec::new("u·v", 0.0, 8.0)).unwrap();
/// assert_eq!(&fig.png[..4], b"\x89PNG");
/// ```
pub fn heatmap(values: MatRef<'_, f64>, spec: &HeatmapSpec) -> Result<Rendered, PlotError> {
    spec.validate()?;
    check_cells(check_matrix(values, Place::HeatMap)?)?;
    render(&HeatmapFigure { values, spec }, (spec.width, spec.height))
}

/// Several heat maps (name, matrix) in a grid of `columns` columns, on one shared colour scale
/// `[spec.vmin, spec.vmax]` with one colour bar; panels fill the grid row by row.
///
/// ```
/// use pai_graphon::plot::{heatmap_grid, HeatmapSpec};
/// let a = faer::Mat::from_fn(4, 4, |i, j| (i + j) as f64 / 6.0);
/// let panels = vec![("mask".to_string(), a.clone()), ("graphon".to_string(), a)];
/// let mut spec = HeatmapSpec::new("n = 4", 0.0, 1.0);
/// spec.width = 1200;
/// let fig = heatmap_grid(&panels, 2, &spec).unwrap();
/// assert_eq!(fig.size, (1200, 760));
/// ```
pub fn heatmap_grid(
    panels: &[(String, Mat<f64>)],
    columns: usize,
    spec: &HeatmapSpec,
) -> Result<Rendered, PlotError> {
    spec.validate()?;
    if columns == 0 {
        return Err(PlotError::Columns(columns));
    }
    if panels.is_empty() {
        return Err(PlotError::Empty(Place::PanelList));
    }
    let mut cells = 0usize;
    for (name, m) in panels {
        cells = cells.saturating_add(check_matrix(
            m.as_ref(),
            Place::Panel { name: name.clone() },
        )?);
    }
    check_cells(cells)?;
    let figure = GridFigure {
        panels,
        columns: columns.min(panels.len()),
        spec,
    };
    render(&figure, (spec.width, spec.height))
}

/// A line chart with logarithmic axes and a legend; every x, y and error-bar end must be > 0.
///
/// ```
/// use pai_graphon::plot::{loglog, LineSpec, Series, SeriesStyle};
/// let xs = vec![10.0, 100.0, 1000.0];
/// let ys: Vec<f64> = xs.iter().map(|n: &f64| n.powf(-0.5)).collect();
/// let s = Series::new("n^-1/2", xs, ys, SeriesStyle::Dashed);
/// let fig = loglog(&[s], &LineSpec::new("rate", "n", "error")).unwrap();
/// assert_eq!(fig.size, (1000, 700));
/// ```
pub fn loglog(series: &[Series], spec: &LineSpec) -> Result<Rendered, PlotError> {
    line_chart(series, spec, true)
}

/// A line chart with linear axes and a legend.
///
/// ```
/// use pai_graphon::plot::{lines, LineSpec, Series, SeriesStyle};
/// let s = Series::new("y = x", vec![-1.0, 1.0], vec![-1.0, 1.0], SeriesStyle::LineMarkers);
/// let fig = lines(&[s], &LineSpec::new("identity", "x", "y")).unwrap();
/// assert!(fig.svg.contains("identity"));
/// ```
pub fn lines(series: &[Series], spec: &LineSpec) -> Result<Rendered, PlotError> {
    line_chart(series, spec, false)
}

/// Several linear line charts (panel caption, series) in a grid of `columns` columns, each
/// panel on its own axes, under one title; `spec.x_label` and `spec.y_label` label every
/// panel. For small multiples such as Figure 2 (one panel per density and quantity).
///
/// ```
/// use pai_graphon::plot::{lines_grid, LineSpec, Series, SeriesStyle};
/// let s = Series::new("y = x", vec![0.0, 1.0], vec![0.0, 1.0], SeriesStyle::LineMarkers);
/// let panels = vec![("a".to_string(), vec![s.clone()]), ("b".to_string(), vec![s])];
/// let mut spec = LineSpec::new("two panels", "x", "y");
/// spec.width = 1200;
/// let fig = lines_grid(&panels, 2, &spec).unwrap();
/// assert_eq!(fig.size, (1200, 700));
/// assert!(lines_grid(&panels, 0, &spec).is_err());
/// ```
pub fn lines_grid(
    panels: &[(String, Vec<Series>)],
    columns: usize,
    spec: &LineSpec,
) -> Result<Rendered, PlotError> {
    check_size(spec.width, spec.height)?;
    if columns == 0 {
        return Err(PlotError::Columns(columns));
    }
    if panels.is_empty() {
        return Err(PlotError::Empty(Place::PanelList));
    }
    let mut ranges = Vec::with_capacity(panels.len());
    for (name, series) in panels {
        if series.is_empty() {
            return Err(PlotError::Empty(Place::Panel { name: name.clone() }));
        }
        for s in series {
            validate_series(s, false)?;
        }
        ranges.push((
            padded_range(series.iter().flat_map(|s| s.xs.iter().copied()), false),
            padded_range(series.iter().flat_map(y_extent_values), false),
        ));
    }
    let figure = LineGridFigure {
        panels,
        ranges,
        columns: columns.min(panels.len()),
        spec,
    };
    render(&figure, (spec.width, spec.height))
}

fn line_chart(series: &[Series], spec: &LineSpec, log: bool) -> Result<Rendered, PlotError> {
    check_size(spec.width, spec.height)?;
    if series.is_empty() {
        return Err(PlotError::Empty(Place::SeriesList));
    }
    for s in series {
        validate_series(s, log)?;
    }
    let x_range = padded_range(series.iter().flat_map(|s| s.xs.iter().copied()), log);
    let y_range = padded_range(series.iter().flat_map(y_extent_values), log);
    let figure = LineFigure {
        series,
        spec,
        log,
        x_range,
        y_range,
    };
    render(&figure, (spec.width, spec.height))
}

fn y_extent_values(s: &Series) -> impl Iterator<Item = f64> + '_ {
    let lo = s.ys_lo.iter().flatten().copied();
    let hi = s.ys_hi.iter().flatten().copied();
    s.ys.iter().copied().chain(lo).chain(hi)
}

fn validate_series(s: &Series, log: bool) -> Result<(), PlotError> {
    let name = &s.name;
    if s.xs.is_empty() {
        return Err(PlotError::Empty(Place::Series { name: name.clone() }));
    }
    let n = s.xs.len();
    let mut columns = vec![("xs", &s.xs), ("ys", &s.ys)];
    columns.extend(s.ys_lo.as_ref().map(|v| ("ys_lo", v)));
    columns.extend(s.ys_hi.as_ref().map(|v| ("ys_hi", v)));
    for (label, v) in &columns {
        if v.len() != n {
            return Err(PlotError::LengthMismatch {
                what: Place::Column {
                    series: name.clone(),
                    column: label,
                    index: None,
                },
                expected: n,
                found: v.len(),
            });
        }
        for (i, &value) in v.iter().enumerate() {
            let what = || Place::Column {
                series: name.clone(),
                column: label,
                index: Some(i),
            };
            if !value.is_finite() {
                return Err(PlotError::NonFinite {
                    what: what(),
                    value,
                });
            }
            if log && value <= 0.0 {
                return Err(PlotError::NonPositiveOnLog {
                    what: what(),
                    value,
                });
            }
        }
    }
    if s.ys_lo.is_some() != s.ys_hi.is_some() {
        return Err(PlotError::OneSidedErrorBars {
            series: name.clone(),
        });
    }
    if let (Some(lo), Some(hi)) = (&s.ys_lo, &s.ys_hi) {
        for i in 0..n {
            if !(lo[i] <= s.ys[i] && s.ys[i] <= hi[i]) {
                return Err(PlotError::ErrorBar {
                    series: name.clone(),
                    index: i,
                });
            }
        }
    }
    Ok(())
}

/// The data range widened by 5% on each side (in log space on log axes); a single value
/// becomes a range around it.
fn padded_range(values: impl Iterator<Item = f64>, log: bool) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if log {
        let (a, b) = (lo.log10(), hi.log10());
        let pad = if b > a { 0.05 * (b - a) } else { 0.5 };
        (10f64.powf(a - pad), 10f64.powf(b + pad))
    } else {
        let pad = if hi > lo {
            0.05 * (hi - lo)
        } else {
            0.5 * lo.abs().max(1.0)
        };
        (lo - pad, hi + pad)
    }
}

/// Labelled (bold) and grid-only (light) ticks for a log axis over `[lo, hi]`, `0 < lo < hi`.
///
/// Labels go at decades, or at 1-2-5 multiples when that is needed for at least three of them,
/// or at every 1…9 multiple; more than eight labels are thinned to every k-th. A range too
/// narrow to hold two such values gets its ends and geometric midpoint, rounded to two
/// significant digits. Light ticks are the 1…9 multiples when the range spans at most six
/// decades, else the decades.
fn log_ticks(lo: f64, hi: f64) -> (Vec<f64>, Vec<f64>) {
    let (k0, k1) = (lo.log10().floor() as i32, hi.log10().ceil() as i32);
    let within = |multiples: &[f64]| -> Vec<f64> {
        (k0..=k1)
            .flat_map(|k| multiples.iter().map(move |m| m * 10f64.powi(k)))
            .filter(|v| (lo..=hi).contains(v))
            .collect()
    };
    let all: &[f64] = &[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0];
    let choices: [&[f64]; 3] = [&[1.0], &[1.0, 2.0, 5.0], all];
    let mut bold = choices
        .iter()
        .map(|m| within(m))
        .find(|ticks| ticks.len() >= 3)
        .unwrap_or_else(|| within(all));
    if bold.len() > 8 {
        let step = bold.len().div_ceil(8);
        bold = bold.into_iter().step_by(step).collect();
    }
    if bold.len() < 2 {
        // Two significant digits, the ends rounded inwards so they stay inside the range.
        let round2 = |v: f64, how: fn(f64) -> f64| {
            let unit = 10f64.powi(v.log10().floor() as i32 - 1);
            how(v / unit) * unit
        };
        let mid = (lo * hi).sqrt();
        bold = [
            round2(lo, f64::ceil),
            round2(mid, f64::round),
            round2(hi, f64::floor),
        ]
        .into_iter()
        .filter(|v| (lo..=hi).contains(v))
        .collect();
    }
    let light = if k1 - k0 <= 6 {
        within(all)
    } else {
        within(&[1.0])
    };
    (bold, light)
}

/// A tick label with about four significant digits and no trailing zeros.
fn tick_label(v: f64) -> String {
    let a = v.abs();
    if a < 1e-12 {
        return "0".to_string();
    }
    if (1e-3..1e5).contains(&a) {
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        let s = format!("{v:.decimals$}");
        if s.contains('.') {
            return s.trim_end_matches('0').trim_end_matches('.').to_string();
        }
        return s;
    }
    let s = format!("{v:.2e}");
    let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    format!("{mantissa}e{exponent}")
}

// ---------------------------------------------------------------------------------------------
// Rendering: each figure draws itself on any plotters backend; `render` runs it on the bitmap
// and the SVG backend.

trait Figure {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError>;
}

fn ensure_font() -> Result<(), PlotError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        let bytes: &'static [u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
        plotters::style::register_font(FONT, FontStyle::Normal, bytes).is_ok()
    });
    if ok {
        Ok(())
    } else {
        Err(PlotError::Render(RenderFailure::Font))
    }
}

fn render<F: Figure>(figure: &F, (w, h): (u32, u32)) -> Result<Rendered, PlotError> {
    ensure_font()?;
    let mut rgb = vec![255u8; 3 * w as usize * h as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(backend_error)?;
    }
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        figure.draw(&root)?;
        root.present().map_err(backend_error)?;
    }
    let png = encode_png(&rgb, (w, h))?;
    Ok(Rendered {
        png,
        svg,
        rgb,
        size: (w, h),
    })
}

/// Encodes RGB pixels as PNG exactly as plotters' file backend did (see the module doc).
fn encode_png(rgb: &[u8], (w, h): (u32, u32)) -> Result<Vec<u8>, PlotError> {
    let failed = |_| PlotError::Render(RenderFailure::Png);
    let mut png = Vec::new();
    let mut encoder = png::Encoder::new(&mut png, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::FilterType::Sub);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header().map_err(failed)?;
    writer.write_image_data(rgb).map_err(failed)?;
    writer.finish().map_err(failed)?;
    Ok(png)
}

/// Fills the background white, draws the title in the top band and returns the area below.
fn title_band<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<DrawingArea<DB, Shift>, PlotError> {
    root.fill(&WHITE).map_err(backend_error)?;
    let (band, body) = root.split_vertically(TITLE_BAND);
    let (w, _) = band.dim_in_pixel();
    let mut size = TITLE_SIZE;
    let mut style = (FONT, size).into_font().color(&BLACK);
    while size > 12
        && band
            .estimate_text_size(title, &style)
            .map_err(backend_error)?
            .0
            + 20
            > w
    {
        size -= 2;
        style = (FONT, size).into_font().color(&BLACK);
    }
    let centred = style.pos(plotters::style::text_anchor::Pos::new(
        plotters::style::text_anchor::HPos::Center,
        plotters::style::text_anchor::VPos::Center,
    ));
    band.draw_text(title, &centred, (w as i32 / 2, TITLE_BAND as i32 / 2))
        .map_err(backend_error)?;
    Ok(body)
}

struct HeatmapFigure<'a> {
    values: MatRef<'a, f64>,
    spec: &'a HeatmapSpec,
}

impl Figure for HeatmapFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let body = title_band(root, &full_title(&self.spec.title, &self.spec.claim_id))?;
        let (w, _) = body.dim_in_pixel();
        let (main, bar) = body.split_horizontally(w - COLOURBAR_WIDTH);
        let layout = PanelLayout {
            caption: None,
            x_desc: true,
            y_desc: true,
            ticks: 6,
        };
        heat_panel(&main, self.values, self.spec, &layout)?;
        colour_bar(&bar, self.spec, 0)
    }
}

struct GridFigure<'a> {
    panels: &'a [(String, Mat<f64>)],
    columns: usize,
    spec: &'a HeatmapSpec,
}

impl Figure for GridFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let body = title_band(root, &full_title(&self.spec.title, &self.spec.claim_id))?;
        let (w, _) = body.dim_in_pixel();
        let (main, bar) = body.split_horizontally(w - COLOURBAR_WIDTH);
        let grid_rows = self.panels.len().div_ceil(self.columns);
        let areas = main.split_evenly((grid_rows, self.columns));
        for (k, ((name, m), area)) in self.panels.iter().zip(&areas).enumerate() {
            let (r, c) = (k / self.columns, k % self.columns);
            let layout = PanelLayout {
                caption: Some(name),
                x_desc: r + 1 == grid_rows || k + self.columns >= self.panels.len(),
                y_desc: c == 0,
                ticks: 3,
            };
            heat_panel(area, m.as_ref(), self.spec, &layout)?;
        }
        colour_bar(&bar, self.spec, PANEL_CAPTION)
    }
}

const PANEL_CAPTION: u32 = 30;
const X_LABEL_AREA: u32 = 64;
const Y_LABEL_AREA: u32 = 84;
const CHART_MARGIN: u32 = 12;

struct PanelLayout<'a> {
    caption: Option<&'a str>,
    x_desc: bool,
    y_desc: bool,
    ticks: usize,
}

fn heat_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    values: MatRef<'_, f64>,
    spec: &HeatmapSpec,
    layout: &PanelLayout<'_>,
) -> Result<(), PlotError> {
    let mut builder = ChartBuilder::on(area);
    builder
        .margin(CHART_MARGIN)
        .x_label_area_size(X_LABEL_AREA)
        .y_label_area_size(Y_LABEL_AREA);
    if let Some(caption) = layout.caption {
        builder.caption(caption, (FONT, AXIS_DESC_SIZE));
    }
    let mut chart = builder
        .build_cartesian_2d(0f64..1f64, 0f64..1f64)
        .map_err(backend_error)?;
    let x_fmt = |v: &f64| tick_label(*v);
    let y_fmt = |v: &f64| tick_label(1.0 - *v); // row 0 at the top: u = 1 − y
    let mut mesh = chart.configure_mesh();
    mesh.disable_mesh()
        .x_labels(layout.ticks)
        .y_labels(layout.ticks)
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .set_all_tick_mark_size(TICK_MARK)
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, AXIS_DESC_SIZE));
    if layout.x_desc {
        mesh.x_desc(spec.x_label.as_str());
    }
    if layout.y_desc {
        mesh.y_desc(spec.y_label.as_str());
    }
    mesh.draw().map_err(backend_error)?;
    let (rows, cols) = (values.nrows(), values.ncols());
    let cells = (0..rows).flat_map(|i| (0..cols).map(move |j| (i, j)));
    chart
        .draw_series(cells.map(|(i, j)| {
            let colour = rgb(colour_of(values[(i, j)], spec.vmin, spec.vmax));
            let (x0, x1) = (j as f64 / cols as f64, (j + 1) as f64 / cols as f64);
            let (y1, y0) = (
                1.0 - i as f64 / rows as f64,
                1.0 - (i + 1) as f64 / rows as f64,
            );
            Rectangle::new([(x0, y0), (x1, y1)], colour.filled())
        }))
        .map_err(backend_error)?;
    Ok(())
}

/// A vertical colour bar; `caption` leaves room at the top to line up with captioned panels.
fn colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spec: &HeatmapSpec,
    caption: u32,
) -> Result<(), PlotError> {
    const STEPS: usize = 256;
    let mut chart = ChartBuilder::on(area)
        .margin(CHART_MARGIN)
        .margin_top(CHART_MARGIN + caption)
        .margin_right(4)
        .x_label_area_size(X_LABEL_AREA)
        .right_y_label_area_size(COLOURBAR_WIDTH - 70)
        .build_cartesian_2d(0f64..1f64, spec.vmin..spec.vmax)
        .map_err(backend_error)?;
    let y_fmt = |v: &f64| tick_label(*v);
    chart
        .configure_mesh()
        .disable_mesh()
        .disable_x_axis()
        .y_labels(6)
        .y_label_formatter(&y_fmt)
        .set_all_tick_mark_size(TICK_MARK)
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, AXIS_DESC_SIZE))
        .y_desc(spec.colorbar_label.as_str())
        .draw()
        .map_err(backend_error)?;
    let step = (spec.vmax - spec.vmin) / STEPS as f64;
    chart
        .draw_series((0..STEPS).map(|k| {
            let colour = rgb(viridis(k as f64 / (STEPS - 1) as f64));
            let y0 = spec.vmin + k as f64 * step;
            Rectangle::new([(0.0, y0), (1.0, y0 + step)], colour.filled())
        }))
        .map_err(backend_error)?;
    Ok(())
}

struct LineFigure<'a> {
    series: &'a [Series],
    spec: &'a LineSpec,
    log: bool,
    x_range: (f64, f64),
    y_range: (f64, f64),
}

impl Figure for LineFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let body = title_band(root, &full_title(&self.spec.title, &self.spec.claim_id))?;
        let mut builder = ChartBuilder::on(&body);
        builder
            .margin(CHART_MARGIN)
            .margin_right(3 * CHART_MARGIN)
            .x_label_area_size(X_LABEL_AREA)
            .y_label_area_size(Y_LABEL_AREA);
        let ((x0, x1), (y0, y1)) = (self.x_range, self.y_range);
        let fmt = |v: &f64| tick_label(*v);
        if self.log {
            let axis = |lo: f64, hi: f64| {
                let (bold, light) = log_ticks(lo, hi);
                (lo..hi)
                    .log_scale()
                    .with_key_points(bold)
                    .with_light_points(light)
            };
            let mut chart = builder
                .build_cartesian_2d(axis(x0, x1), axis(y0, y1))
                .map_err(backend_error)?;
            line_mesh(&mut chart.configure_mesh(), self.spec, &fmt)?;
            draw_series_all(&mut chart, self.series)
        } else {
            let mut chart = builder
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(backend_error)?;
            line_mesh(&mut chart.configure_mesh(), self.spec, &fmt)?;
            draw_series_all(&mut chart, self.series)
        }
    }
}

struct LineGridFigure<'a> {
    panels: &'a [(String, Vec<Series>)],
    ranges: Vec<((f64, f64), (f64, f64))>,
    columns: usize,
    spec: &'a LineSpec,
}

impl Figure for LineGridFigure<'_> {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), PlotError> {
        let body = title_band(root, &full_title(&self.spec.title, &self.spec.claim_id))?;
        let grid_rows = self.panels.len().div_ceil(self.columns);
        let areas = body.split_evenly((grid_rows, self.columns));
        let fmt = |v: &f64| tick_label(*v);
        for (((name, series), area), ((x0, x1), (y0, y1))) in
            self.panels.iter().zip(&areas).zip(&self.ranges)
        {
            let mut chart = ChartBuilder::on(area)
                .margin(CHART_MARGIN)
                .margin_right(2 * CHART_MARGIN)
                .caption(name.as_str(), (FONT, AXIS_DESC_SIZE))
                .x_label_area_size(X_LABEL_AREA)
                .y_label_area_size(Y_LABEL_AREA)
                .build_cartesian_2d(*x0..*x1, *y0..*y1)
                .map_err(backend_error)?;
            line_mesh(&mut chart.configure_mesh(), self.spec, &fmt)?;
            draw_series_all(&mut chart, series)?;
        }
        Ok(())
    }
}

fn line_mesh<'b, DB, X, Y>(
    mesh: &mut plotters::chart::MeshStyle<'_, 'b, X, Y, DB>,
    spec: &LineSpec,
    fmt: &'b dyn Fn(&f64) -> String,
) -> Result<(), PlotError>
where
    DB: DrawingBackend,
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>
        + plotters::coord::ranged1d::ValueFormatter<f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>
        + plotters::coord::ranged1d::ValueFormatter<f64>,
{
    mesh.x_label_formatter(fmt)
        .y_label_formatter(fmt)
        .set_all_tick_mark_size(TICK_MARK)
        .label_style((FONT, TICK_SIZE))
        .axis_desc_style((FONT, AXIS_DESC_SIZE))
        .light_line_style(RGBColor(235, 235, 235))
        .bold_line_style(RGBColor(200, 200, 200))
        .x_desc(spec.x_label.as_str())
        .y_desc(spec.y_label.as_str())
        .draw()
        .map_err(backend_error)
}

fn draw_series_all<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    series: &[Series],
) -> Result<(), PlotError>
where
    DB: DrawingBackend + 'a,
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    for (k, s) in series.iter().enumerate() {
        let colour = rgb(PALETTE[k % PALETTE.len()]);
        draw_one_series(chart, s, colour)?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperRight)
        .label_font((FONT, TICK_SIZE))
        .background_style(WHITE.mix(0.9))
        .border_style(RGBColor(160, 160, 160))
        .draw()
        .map_err(backend_error)
}

fn draw_one_series<'a, DB, X, Y>(
    chart: &mut ChartContext<'a, DB, Cartesian2d<X, Y>>,
    s: &Series,
    colour: RGBColor,
) -> Result<(), PlotError>
where
    DB: DrawingBackend + 'a,
    X: plotters::coord::ranged1d::Ranged<ValueType = f64>,
    Y: plotters::coord::ranged1d::Ranged<ValueType = f64>,
{
    let points: Vec<(f64, f64)> = s.xs.iter().copied().zip(s.ys.iter().copied()).collect();
    let line = colour.stroke_width(2);
    if let (Some(lo), Some(hi)) = (&s.ys_lo, &s.ys_hi) {
        let bars = (0..points.len()).map(|i| {
            let x = s.xs[i];
            PathElement::new(vec![(x, lo[i]), (x, hi[i])], colour.stroke_width(1))
        });
        chart.draw_series(bars).map_err(backend_error)?;
    }
    let legend_anchor = match s.style {
        SeriesStyle::Line | SeriesStyle::LineMarkers => chart
            .draw_series(LineSeries::new(points.clone(), line))
            .map_err(backend_error)?,
        SeriesStyle::Dashed => chart
            .draw_series(DashedLineSeries::new(points.clone(), 10, 6, line))
            .map_err(backend_error)?,
        SeriesStyle::Markers => chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))
            .map_err(backend_error)?,
    };
    let style = s.style;
    legend_anchor.label(s.name.as_str()).legend(move |(x, y)| {
        let segment = vec![(x, y), (x + 20, y)];
        match style {
            SeriesStyle::Markers => Circle::new((x + 10, y), 4, colour.filled()).into_dyn(),
            _ => PathElement::new(segment, colour.stroke_width(2)).into_dyn(),
        }
    });
    if s.style == SeriesStyle::LineMarkers {
        chart
            .draw_series(points.iter().map(|&p| Circle::new(p, 4, colour.filled())))
            .map_err(backend_error)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn viridis_hits_every_stop_exactly() {
        for (k, stop) in VIRIDIS.iter().enumerate() {
            assert_eq!(viridis(k as f64 / 10.0), *stop, "stop {k}");
        }
        assert_eq!(viridis(f64::NAN), VIRIDIS[0]);
        assert_eq!(viridis(2.0), VIRIDIS[10]);
    }

    #[test]
    fn block_average_preserves_total_mass_with_uneven_blocks() {
        // 7 rows into 3 blocks: heights 2, 2, 3; 5 columns into 2: widths 2, 3.
        let m = Mat::from_fn(7, 5, |i, j| (i * 5 + j) as f64);
        let b = block_average(m.as_ref(), 3, 2).unwrap();
        let heights = [2.0, 2.0, 3.0];
        let widths = [2.0, 3.0];
        let mut mass = 0.0;
        for i in 0..3 {
            for j in 0..2 {
                mass += b[(i, j)] * heights[i] * widths[j];
            }
        }
        // Every entry and partial sum is an integer below 2^53, so the sums are exact.
        assert_eq!(mass, (0..35).sum::<usize>() as f64);
        assert_eq!(b[(0, 0)], (0.0 + 1.0 + 5.0 + 6.0) / 4.0);
    }

    #[test]
    fn degree_sorted_blocks_equal_block_average_of_the_sorted_dense_mask() {
        use crate::mask::top_k_mask;
        // 13 × 130: three words per row.
        let (n, d) = (13, 130);
        let scores: Vec<f64> = (0..n * d).map(|x| ((x * 7919) % 1009) as f64).collect();
        let mask = top_k_mask(n, d, &scores, 400).unwrap();
        let rows = by_decreasing_degree(&mask.row_degrees());
        let cols = by_decreasing_degree(&mask.column_degrees());
        let dense = mask.to_dense().unwrap();
        let sorted = Mat::from_fn(n, d, |i, j| dense[(rows[i], cols[j])]);
        // Uneven blocks both ways (13 and 130 into 5 and 7), then the identity.
        for max in [5, 7, 256] {
            let (br, bc) = (n.min(max), d.min(max));
            let expected = block_average(sorted.as_ref(), br, bc).unwrap();
            // Sums of 0/1 entries are exact in either order: equal to the last bit.
            assert_eq!(degree_sorted_blocks(&mask, max).unwrap(), expected, "{max}");
        }
        assert!(degree_sorted_blocks(&mask, 0).is_err());
    }

    proptest::proptest! {
        #[test]
        fn block_average_is_identity_at_full_size_and_stays_in_range(
            r in 1usize..12, c in 1usize..12, br in 1usize..12, bc in 1usize..12, seed in 0u64..1000,
        ) {
            // Entries are multiples of 1/8 with small numerators, so every block sum is exact.
            let m = Mat::from_fn(r, c, |i, j| ((i * 7 + j * 3 + seed as usize) % 17) as f64 / 8.0);
            let same = block_average(m.as_ref(), r, c).unwrap();
            proptest::prop_assert!(same == m);
            let (br, bc) = (br.min(r), bc.min(c));
            let b = block_average(m.as_ref(), br, bc).unwrap();
            let (lo, hi) = (0.0, 16.0 / 8.0);
            for j in 0..bc {
                for i in 0..br {
                    proptest::prop_assert!(lo <= b[(i, j)] && b[(i, j)] <= hi);
                }
            }
        }

        #[test]
        fn colour_scale_is_clamped_and_hits_its_ends(vmin in -1e6f64..1e6, width in 1e-3f64..1e6) {
            let vmax = vmin + width;
            proptest::prop_assert_eq!(colour_of(vmax, vmin, vmax), VIRIDIS[10]);
            proptest::prop_assert_eq!(colour_of(vmin, vmin, vmax), VIRIDIS[0]);
            proptest::prop_assert_eq!(colour_of(vmax + width, vmin, vmax), VIRIDIS[10]);
            proptest::prop_assert_eq!(colour_of(vmin - width, vmin, vmax), VIRIDIS[0]);
        }
    }

    #[test]
    fn block_average_rejects_bad_blocks_and_nan() {
        let m = Mat::from_fn(3, 3, |_, _| 1.0);
        assert!(matches!(
            block_average(m.as_ref(), 0, 1),
            Err(PlotError::Blocks { .. })
        ));
        assert!(matches!(
            block_average(m.as_ref(), 4, 1),
            Err(PlotError::Blocks { .. })
        ));
        let mut bad = m.clone();
        bad[(1, 2)] = f64::NAN;
        assert!(matches!(
            block_average(bad.as_ref(), 1, 1),
            Err(PlotError::NonFinite { .. })
        ));
    }

    #[test]
    fn tick_labels_are_short() {
        assert_eq!(tick_label(0.19999999999999996), "0.2");
        assert_eq!(tick_label(1.0), "1");
        assert_eq!(tick_label(1000.0), "1000");
        assert_eq!(tick_label(1e-5), "1e-5");
        assert_eq!(tick_label(2.5e7), "2.5e7");
        assert_eq!(tick_label(-3e-17), "0");
    }

    #[test]
    fn log_ticks_label_at_least_three_points() {
        let (bold, light) = log_ticks(80.0, 2000.0);
        let labels: Vec<String> = bold.iter().map(|&v| tick_label(v)).collect();
        assert_eq!(labels, ["100", "200", "500", "1000", "2000"]);
        assert!(light.len() > bold.len());
        let (bold, _) = log_ticks(0.5e-12, 2.0); // 13 decades thinned to every 2nd
        assert_eq!(bold.len(), 7);
        let (bold, _) = log_ticks(0.0451, 0.0599); // only 0.05 is a 1..9 multiple
        let labels: Vec<String> = bold.iter().map(|&v| tick_label(v)).collect();
        assert_eq!(labels, ["0.046", "0.052", "0.059"]);
    }

    #[test]
    fn padded_range_handles_single_values() {
        assert_eq!(padded_range([2.0].into_iter(), false), (1.0, 3.0));
        let (lo, hi) = padded_range([10.0].into_iter(), true);
        assert!(lo < 10.0 && hi > 10.0);
    }

    #[test]
    fn series_validation_names_the_problem() {
        let mut s = Series::new("a", vec![1.0, 2.0], vec![1.0], SeriesStyle::Line);
        assert!(matches!(
            validate_series(&s, false),
            Err(PlotError::LengthMismatch { .. })
        ));
        s.ys = vec![1.0, 0.0];
        assert!(validate_series(&s, false).is_ok());
        assert!(matches!(
            validate_series(&s, true),
            Err(PlotError::NonPositiveOnLog { .. })
        ));
        let mut s = s.with_error_bars(vec![0.5, 0.1], vec![0.9, 0.2]);
        assert!(matches!(
            validate_series(&s, false),
            Err(PlotError::ErrorBar { index: 0, .. })
        ));
        s.ys_hi = None;
        assert_eq!(
            validate_series(&s, false),
            Err(PlotError::OneSidedErrorBars {
                series: s.name.clone()
            })
        );
    }
}
