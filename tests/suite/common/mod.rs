//! Shared by the per-area claim modules: run a claim at the default seed, assert it, then
//! snapshot a short readable table of what it measured.

use pai_graphon::claims::{self, Row, Status};
use pai_graphon::report::{margin_text_sig, sig, threshold_text_sig};
use pai_graphon::seed::MasterSeed;

/// Significant figures in snapshots: coarser than any check's slack, fine enough to see drift.
const SNAPSHOT_DIGITS: usize = 3;

/// Run the claim `id` at the default master seed and scale 1, fail with everything needed to
/// reproduce it, and snapshot its numbers.
pub fn check_claim(id: &str) -> Row {
    let claim = claims::find(id).expect("claim is registered");
    let row = claims::run(&claim, MasterSeed::default(), 1.0)
        .unwrap_or_else(|e| panic!("{id}: the check returned an error: {e}"));
    // Not failed, and not vacuous either: at the default scale every claim's check can fail.
    assert_eq!(
        row.status,
        Status::Pass,
        "{id} is {}: observed {} vs threshold {} ({:?}); control {:?}; seed {} label {}",
        row.status,
        row.observed,
        row.threshold,
        row.relation,
        row.control,
        row.seed,
        row.seed_label
    );
    insta::with_settings!({ snapshot_path => "../../../snapshots", prepend_module_to_snapshot => false }, {
        insta::assert_snapshot!(id.to_lowercase(), snapshot_text(&row));
    });
    row
}

fn snapshot_text(row: &Row) -> String {
    let mut s = format!(
        "claim     {}\nobserved  {}\nthreshold {}\nmargin    {}\nfailure probability {}\nseed label {}\n",
        row.id,
        sig(row.observed, SNAPSHOT_DIGITS),
        threshold_text_sig(row.relation, row.threshold, SNAPSHOT_DIGITS),
        margin_text_sig(row.threshold, row.margin, SNAPSHOT_DIGITS),
        sig(row.failure_probability, SNAPSHOT_DIGITS),
        row.seed_label
    );
    if let Some(c) = &row.control {
        s += &format!(
            "control   {}: observed {} vs {}, rejected {}\n",
            c.note,
            sig(c.observed, SNAPSHOT_DIGITS),
            sig(c.threshold, SNAPSHOT_DIGITS),
            c.rejected
        );
    }
    for (name, value) in &row.details {
        s += &format!("  {name} = {}\n", sig(*value, SNAPSHOT_DIGITS));
    }
    s
}

/// Run `f` on a fresh rayon pool of `threads` threads (the thread-count determinism tests).
pub fn on_threads<T: Send>(threads: usize, f: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(f)
}
