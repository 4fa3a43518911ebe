//! `audit --out DIR` also writes `report.html`: one self-contained page (inline CSS, figures as
//! PNG data URIs; no scripts, fonts or other files, nothing fetched) with the claim table coloured
//! by outcome and the figures of the paper's claims, drawn at report sizes.

use crate::CommandFailure as Failure;
use crate::Progress;
use pai_graphon::approximation::curves::CurveSpec;
use pai_graphon::claims::{Row, Status};
use pai_graphon::convergence::figure1::{figure1, Figure1Config};
use pai_graphon::ntk::figure2::{figure2, Figure2Config};
use pai_graphon::plot::Rendered;
use pai_graphon::report::html::{base64, claim_table, escape};
use pai_graphon::report::sig;
use pai_graphon::seed::MasterSeed;

/// Figure 1 in the report: three widths, 20 seeds (the `figure1` command draws the paper's five
/// widths and 100 seeds).
const REPORT_FIGURE1_WIDTHS: [usize; 3] = [200, 400, 800];
const REPORT_FIGURE1_SEEDS: usize = 20;
/// The taxonomy heat maps: MNIST-5k masks at this width.
const REPORT_TAXONOMY_WIDTH: usize = 1024;
const REPORT_DENSITY: pai_graphon::params::Density = pai_graphon::params::Density::constant(0.2);

/// One figure of the report: a heading naming its claims, the drawing, a caption.
struct Figure {
    heading: String,
    caption: String,
    drawing: Rendered,
}

/// The figures of the report, drawn from the master seed (the same streams as the commands).
fn figures(seed: MasterSeed) -> Result<Vec<Figure>, Failure> {
    let progress = Progress::on_terminal();
    let mut out = Vec::new();
    let mut push = |heading: &str, caption: String, drawing: Rendered| {
        out.push(Figure {
            heading: heading.to_string(),
            caption,
            drawing,
        })
    };
    progress.say("report: Figure 1");
    let config = Figure1Config {
        widths: REPORT_FIGURE1_WIDTHS.to_vec(),
        seeds: REPORT_FIGURE1_SEEDS,
        ..Default::default()
    };
    let fig1 = figure1(&config, seed, &mut |_, _| {})?;
    let caption = format!(
        "Seed-averaged masks of the Figure-1 model at widths {REPORT_FIGURE1_WIDTHS:?} ({REPORT_FIGURE1_SEEDS} seeds; `pai-graphon figure1` draws the paper's 200–4000 with 100 seeds)."
    );
    push(
        "Figure 1 · CONV-3",
        caption.clone(),
        crate::figure1::panels(&fig1)?,
    );
    push(
        "Figure 1 · CONV-3: distance to the limit",
        caption,
        crate::figure1::errors(&fig1)?,
    );
    progress.say("report: Figure 2");
    let task = crate::figure2::task("mnist", &[3, 8], None, seed)?;
    let fig2 = figure2(&Figure2Config::default(), &task, seed, &mut |_, _| {})?;
    push(
        "Figure 2 · NTK-10, NTK-11",
        "Graphon-NTK complexity against the fraction of randomised labels, MNIST 3 vs 8, default densities and 10 label seeds.".into(),
        crate::figure2::plot(&fig2)?,
    );
    for method in ["magnitude", "snip"] {
        progress.say(&format!("report: {method} masks"));
        let drawn = crate::prune::mask_figures(
            method,
            "mnist",
            REPORT_TAXONOMY_WIDTH,
            REPORT_DENSITY,
            seed,
        )?;
        for (stem, drawing) in drawn {
            let (heading, caption) = match stem {
                "mask" => ("TAX-1, TAX-2", format!("The {method} mask on MNIST-5k, n = {REPORT_TAXONOMY_WIDTH}, ρ = 0.2, rows and columns sorted by degree: constant for Magnitude, heterogeneous for SNIP.")),
                _ => ("TAX-8", format!("Kept fraction of each pixel's weights under {method}: SNIP cuts off the blank border.")),
            };
            push(
                &format!("Taxonomy · {heading} · {method}"),
                caption,
                drawing,
            );
        }
    }
    progress.say("report: UAT curves");
    let uat = crate::uat::compute(&CurveSpec::report(), seed)?;
    push(
        "Universal approximation · UAT-2, UAT-4",
        "Held-out error over variance against width for a smooth target of two active coordinates and a target on an inactive one (its exact floor dashed), d = 32 and 256.".into(),
        crate::uat::plot(&uat)?,
    );
    progress.done();
    Ok(out)
}

const STYLE: &str = "body{font-family:sans-serif;margin:2em;color:#222}\
table{border-collapse:collapse;font-size:13px}th,td{border:1px solid #bbb;padding:3px 6px;text-align:left}\
th{background:#eee}tr.pass td.status{background:#c8ecc8}tr.fail td.status{background:#f4b6b6}\
tr.fail{background:#fde8e8}tr.vacuous td.status{background:#f6dd8c}td.num{text-align:right;font-family:monospace}\
figure{margin:2em 0}figcaption{font-size:13px;color:#444;max-width:60em}img{max-width:100%;height:auto}";

/// The whole page for these rows, with the figures drawn from `seed`.
pub(crate) fn report(rows: &[Row], seed: MasterSeed, scale: f64) -> Result<String, Failure> {
    let figures = figures(seed)?;
    let passed = rows.iter().filter(|r| r.status == Status::Pass).count();
    let vacuous = match rows.iter().filter(|r| r.status == Status::Vacuous).count() {
        0 => String::new(),
        k => format!(" ({k} vacuous: a threshold beyond the range of its statistic)"),
    };
    let mut page = format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>pai-graphon audit</title><style>{STYLE}</style></head><body>\n\
<h1>pai-graphon audit</h1>\n<p>{passed} of {} claims passed{vacuous} · master seed {} · scale {} · pai-graphon {}</p>\n",
        rows.len(),
        escape(&seed.to_string()),
        sig(scale, 3),
        env!("CARGO_PKG_VERSION"),
    );
    page += "<h2>Claims</h2>\n";
    page += &claim_table(rows);
    page += "<h2>Figures</h2>\n";
    for f in &figures {
        page += &format!(
            "<figure><h3>{}</h3><img alt=\"{}\" width=\"{}\" height=\"{}\" src=\"data:image/png;base64,{}\"><figcaption>{}</figcaption></figure>\n",
            escape(&f.heading),
            escape(&f.heading),
            f.drawing.size.0,
            f.drawing.size.1,
            base64(&f.drawing.png),
            escape(&f.caption)
        );
    }
    Ok(page + "</body></html>\n")
}
