//! Figures: the PNG is a real PNG of the requested size, text renders (the font is registered),
//! heat-map colours follow the fixed scale and orientation, and bad input is a typed error.
use faer::Mat;
use pai_graphon::plot::{
    block_average, heatmap, heatmap_grid, lines, loglog, HeatmapSpec, LineSpec, PlotError,
    Rendered, Series, SeriesStyle, TITLE_BAND, VIRIDIS,
};

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Width and height from the IHDR chunk, which must come first after the signature.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], PNG_SIGNATURE, "PNG signature");
    assert_eq!(&png[12..16], b"IHDR", "first chunk is IHDR");
    let be = |k: usize| u32::from_be_bytes([png[k], png[k + 1], png[k + 2], png[k + 3]]);
    assert_eq!(be(8), 13, "IHDR length");
    (be(16), be(20))
}

/// Pixels with every channel below 100: text is black, and nothing else dark is drawn.
fn dark_pixels(fig: &Rendered, y0: u32, y1: u32) -> usize {
    let (w, _) = fig.size;
    (y0..y1)
        .flat_map(|y| (0..w).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let (r, g, b) = fig.pixel(x, y).unwrap();
            r < 100 && g < 100 && b < 100
        })
        .count()
}

/// The checks every figure must pass; `title` must appear in the SVG.
fn assert_well_formed(fig: &Rendered, title: &str) {
    assert_eq!(png_size(&fig.png), fig.size);
    assert_eq!(fig.rgb.len(), 3 * (fig.size.0 * fig.size.1) as usize);
    assert!(
        fig.png.ends_with(b"IEND\xae\x42\x60\x82"),
        "PNG ends with IEND"
    );
    assert!(fig.svg.trim_start().starts_with("<svg"), "SVG root element");
    assert!(fig.svg.trim_end().ends_with("</svg>"), "SVG closes");
    assert!(fig.svg.contains(title), "SVG holds the title {title:?}");
    // Not blank: more than one colour.
    let first = fig.pixel(0, 0).unwrap();
    assert!(
        fig.rgb.chunks(3).any(|p| (p[0], p[1], p[2]) != first),
        "blank image"
    );
    // The title band holds only the title, so dark pixels there are glyphs. A ~20-character title
    // at 26 px covers thousands of pixels; 100 rules out a stray mark without tuning.
    let dark = dark_pixels(fig, 0, TITLE_BAND);
    assert!(dark > 100, "title text did not render: {dark} dark pixels");
}

/// Writes the figure to `$PAI_PLOT_DIR/stem.{png,svg}` when that variable is set, for eyeballing.
fn keep(fig: &Rendered, stem: &str) {
    if let Some(dir) = std::env::var_os("PAI_PLOT_DIR") {
        fig.write(std::path::Path::new(&dir), stem).unwrap();
    }
}

fn ramp(rows: usize, cols: usize) -> Mat<f64> {
    Mat::from_fn(rows, cols, |i, j| (i + j) as f64 / (rows + cols - 2) as f64)
}

#[test]
fn heatmap_png_svg_and_title_text() {
    let mut spec = HeatmapSpec::new("limit graphon W(u, v)", 0.0, 1.0);
    spec.claim_id = Some("CONV-1".to_string());
    let fig = heatmap(ramp(40, 60).as_ref(), &spec).unwrap();
    assert_well_formed(&fig, "CONV-1 · limit graphon W(u, v)");
    assert_eq!(fig.size, (900, 760));
    keep(&fig, "heatmap");
    for label in ["input position v", "hidden position u", "value"] {
        assert!(fig.svg.contains(label), "SVG holds {label:?}");
    }
}

#[test]
fn heatmap_vmax_cell_has_top_colour_and_row_zero_is_on_top() {
    // Row 0 at vmax, row 1 at vmin; probe the plot's horizontal middle in its upper and lower
    // halves. The probes sit a quarter of the figure height away from the plot's edges.
    let m = Mat::from_fn(2, 1, |i, _| if i == 0 { 5.0 } else { -2.0 });
    let spec = HeatmapSpec::new("orientation", -2.0, 5.0);
    let fig = heatmap(m.as_ref(), &spec).unwrap();
    let (w, h) = fig.size;
    let x = (w - 150) / 2 + 40; // middle of the area left of the colour bar, past the y labels
    assert_eq!(fig.pixel(x, h * 3 / 10), Some(VIRIDIS[10]), "top row");
    assert_eq!(fig.pixel(x, h * 7 / 10), Some(VIRIDIS[0]), "bottom row");
    // Values beyond the range clamp to the end colours.
    let over = Mat::from_fn(1, 1, |_, _| 1e9);
    let fig = heatmap(over.as_ref(), &spec).unwrap();
    assert_eq!(fig.pixel(x, h / 2), Some(VIRIDIS[10]));
}

#[test]
fn colour_bar_shows_the_whole_scale() {
    let m = Mat::from_fn(1, 1, |_, _| 0.5);
    let fig = heatmap(m.as_ref(), &HeatmapSpec::new("bar", 0.0, 1.0)).unwrap();
    let (w, h) = fig.size;
    // Both end colours appear in the colour-bar strip (the cell itself is mid-scale).
    let strip: Vec<_> = (w - 150..w)
        .flat_map(|x| (TITLE_BAND..h).map(move |y| (x, y)))
        .map(|(x, y)| fig.pixel(x, y).unwrap())
        .collect();
    assert!(strip.contains(&VIRIDIS[0]) && strip.contains(&VIRIDIS[10]));
}

#[test]
fn grid_shares_one_scale() {
    let panels: Vec<(String, Mat<f64>)> = [100, 400]
        .iter()
        .flat_map(|&n| {
            let mask = block_average(ramp(n, n).as_ref(), 50, 50).unwrap();
            [
                (format!("n = {n}: mask"), mask),
                (format!("n = {n}: graphon"), ramp(50, 50)),
            ]
        })
        .collect();
    let mut spec = HeatmapSpec::new("mask vs graphon", 0.0, 1.0);
    spec.claim_id = Some("CONV-1".to_string());
    spec.width = 1000;
    spec.height = 900;
    spec.colorbar_label = "keep probability".to_string();
    let fig = heatmap_grid(&panels, 2, &spec).unwrap();
    keep(&fig, "grid");
    assert_well_formed(&fig, "CONV-1 · mask vs graphon");
    for (name, _) in &panels {
        assert!(fig.svg.contains(name.as_str()), "panel caption {name:?}");
    }
    assert!(fig.svg.contains("keep probability"));
}

#[test]
fn loglog_and_lines_render_with_legend() {
    let ns = vec![100.0, 200.0, 400.0, 800.0, 1600.0];
    let err: Vec<f64> = ns.iter().map(|n: &f64| 2.0 / n.sqrt()).collect();
    let lo: Vec<f64> = err.iter().map(|e| 0.8 * e).collect();
    let hi: Vec<f64> = err.iter().map(|e| 1.25 * e).collect();
    let theory: Vec<f64> = ns.iter().map(|n: &f64| 2.5 / n.sqrt()).collect();
    let series = vec![
        Series::new("measured", ns.clone(), err, SeriesStyle::LineMarkers).with_error_bars(lo, hi),
        Series::new("bound n^-1/2", ns, theory, SeriesStyle::Dashed),
    ];
    let mut spec = LineSpec::new("cut distance rate", "width n", "cut distance");
    spec.claim_id = Some("CONV-2".to_string());
    let fig = loglog(&series, &spec).unwrap();
    keep(&fig, "loglog");
    assert_well_formed(&fig, "CONV-2 · cut distance rate");
    assert!(fig.svg.contains("measured") && fig.svg.contains("bound n^-1/2"));
    let fig = lines(&series, &spec).unwrap();
    keep(&fig, "lines");
    assert_well_formed(&fig, "CONV-2 · cut distance rate");
}

#[test]
fn written_files_match_the_figure() {
    let fig = heatmap(ramp(3, 3).as_ref(), &HeatmapSpec::new("w", 0.0, 1.0)).unwrap();
    let dir = std::env::temp_dir().join(format!("pai-plot-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    fig.write(&dir, "fig").unwrap();
    assert_eq!(std::fs::read(dir.join("fig.png")).unwrap(), fig.png);
    assert_eq!(
        std::fs::read_to_string(dir.join("fig.svg")).unwrap(),
        fig.svg
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bad_heatmap_input_is_a_typed_error() {
    let ok = ramp(2, 2);
    let spec = HeatmapSpec::new("t", 0.0, 1.0);
    let empty = Mat::<f64>::zeros(0, 3);
    assert!(matches!(
        heatmap(empty.as_ref(), &spec),
        Err(PlotError::Empty(_))
    ));
    let mut nan = ok.clone();
    nan[(1, 0)] = f64::NAN;
    assert!(matches!(
        heatmap(nan.as_ref(), &spec),
        Err(PlotError::NonFinite { .. })
    ));
    for (vmin, vmax) in [
        (1.0, 1.0),
        (2.0, 1.0),
        (f64::NAN, 1.0),
        (0.0, f64::INFINITY),
    ] {
        let bad = HeatmapSpec::new("t", vmin, vmax);
        assert!(matches!(
            heatmap(ok.as_ref(), &bad),
            Err(PlotError::ColourRange { .. })
        ));
    }
    let mut tiny = spec.clone();
    tiny.width = 10;
    assert!(matches!(
        heatmap(ok.as_ref(), &tiny),
        Err(PlotError::Size { .. })
    ));
    let big = Mat::<f64>::zeros(300, 300);
    assert!(matches!(
        heatmap(big.as_ref(), &spec),
        Err(PlotError::TooManyCells { .. })
    ));
    let panels = vec![("a".to_string(), ok.clone())];
    assert!(matches!(
        heatmap_grid(&panels, 0, &spec),
        Err(PlotError::Columns(0))
    ));
    assert!(matches!(
        heatmap_grid(&[], 2, &spec),
        Err(PlotError::Empty(_))
    ));
    let with_nan = vec![("a".to_string(), ok), ("b".to_string(), nan)];
    assert!(matches!(
        heatmap_grid(&with_nan, 2, &spec),
        Err(PlotError::NonFinite { .. })
    ));
}

#[test]
fn bad_series_input_is_a_typed_error() {
    let spec = LineSpec::new("t", "x", "y");
    let s = |xs: Vec<f64>, ys: Vec<f64>| Series::new("s", xs, ys, SeriesStyle::Line);
    assert!(matches!(loglog(&[], &spec), Err(PlotError::Empty(_))));
    assert!(matches!(
        lines(&[s(vec![], vec![])], &spec),
        Err(PlotError::Empty(_))
    ));
    let mismatched = s(vec![1.0, 2.0], vec![1.0]);
    assert!(matches!(
        lines(&[mismatched], &spec),
        Err(PlotError::LengthMismatch { .. })
    ));
    let nan = s(vec![1.0, 2.0], vec![1.0, f64::NAN]);
    assert!(matches!(
        lines(&[nan], &spec),
        Err(PlotError::NonFinite { .. })
    ));
    let zero_x = s(vec![0.0, 2.0], vec![1.0, 1.0]);
    assert!(lines(std::slice::from_ref(&zero_x), &spec).is_ok());
    assert!(matches!(
        loglog(&[zero_x], &spec),
        Err(PlotError::NonPositiveOnLog { .. })
    ));
    let negative_y = s(vec![1.0, 2.0], vec![1.0, -1.0]);
    assert!(matches!(
        loglog(&[negative_y], &spec),
        Err(PlotError::NonPositiveOnLog { .. })
    ));
    let bars = s(vec![1.0, 2.0], vec![1.0, 1.0]).with_error_bars(vec![0.5], vec![2.0, 2.0]);
    assert!(matches!(
        loglog(&[bars], &spec),
        Err(PlotError::LengthMismatch { .. })
    ));
    let mut one_sided = s(vec![1.0], vec![1.0]);
    one_sided.ys_lo = Some(vec![0.5]);
    assert!(matches!(
        lines(&[one_sided], &spec),
        Err(PlotError::OneSidedErrorBars { .. })
    ));
    let mut wide = LineSpec::new("t", "x", "y");
    wide.width = 5000;
    assert!(matches!(
        lines(&[s(vec![1.0], vec![1.0])], &wide),
        Err(PlotError::Size { .. })
    ));
}

#[test]
fn constant_series_still_render() {
    // A single point (zero-width ranges) gets a padded range instead of a degenerate axis.
    let spec = LineSpec::new("single point", "x", "y");
    let one = Series::new("p", vec![3.0], vec![3.0], SeriesStyle::Markers);
    assert_well_formed(
        &loglog(std::slice::from_ref(&one), &spec).unwrap(),
        "single point",
    );
    assert_well_formed(&lines(&[one], &spec).unwrap(), "single point");
}

/// The PNG bytes are pinned (value stability): report.html embeds them, so a change of encoder,
/// settings or dependency version shows up here first. The digest is the one the previous
/// encoder (plotters' file backend through `image` 0.24.9, commit 13e718e) wrote for this figure;
/// the `png` crate with the same settings writes the same bytes.
#[test]
fn png_bytes_are_those_of_the_previous_encoder() {
    use sha2::{Digest, Sha256};
    let m = Mat::from_fn(6, 9, |i, j| (i + j) as f64 / 13.0);
    let fig = heatmap(m.as_ref(), &HeatmapSpec::new("PNG bytes pinned", 0.0, 1.0)).unwrap();
    let digest: String = Sha256::digest(&fig.png)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(fig.png.len(), 35167);
    assert_eq!(
        digest,
        "d5477e127936530b1ea48614503bceac1f45a42ab25b4b493bc39cb9d973d281"
    );
}
