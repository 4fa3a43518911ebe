//! `pai-graphon masks`: draw exact FSM masks, one per master seed, and write them as one
//! S × n × d uint8 `.npy` stack (what the Python package's `reference_masks` returns).

use crate::output::{commit, emit, Plan};
use crate::{limited, CommandFailure as Failure, FsmOpt};
use pai_graphon::convergence::sampler::{sample_mask_for, MaskSpec, MASKS_LABEL};
use pai_graphon::mask::KeptCount;
use pai_graphon::npy::encode_u8;
use pai_graphon::params::{self, Density};
use pai_graphon::seed::MasterSeed;
use std::path::PathBuf;

/// Most entries of the stack (bytes of the `.npy` file), all held in memory before writing.
const MAX_STACK: usize = 1 << 32;

/// `masks`' options (the command's doc is in main.rs).
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    pub fsm: FsmOpt,
    /// Rows n (hidden width, at most 2^20).
    #[arg(long, value_parser = limited(params::WIDTH))]
    pub width: usize,
    /// Columns d (inputs, at most 2^16).
    #[arg(long, value_parser = limited(params::DIMENSION))]
    pub inputs: usize,
    /// Kept fraction ρ in (0, 1).
    #[arg(long, allow_negative_numbers = true)]
    pub density: Density,
    /// Master seeds, comma-separated (hexadecimal or default): mask S reads the stream
    /// `masks` of master seed S.
    #[arg(long, value_delimiter = ',', required = true, value_parser = MasterSeed::parse)]
    pub seeds: Vec<MasterSeed>,
    /// Kept count: round (round(ρnd), ties to the smaller index) or synaptic-flow
    /// (N − int((1 − ρ)N), every tie at the threshold pruned).
    #[arg(long, default_value = "round", value_parser = KeptCount::parse)]
    pub kept_count: KeptCount,
    /// Write the stack (seeds × n × d, uint8 0/1) to this .npy file.
    #[arg(long)]
    pub save_masks: PathBuf,
}

pub fn run(args: &Args) -> Result<(), Failure> {
    Plan::default().file("--save-masks", &args.save_masks)?;
    params::SEEDS.check(args.seeds.len())?;
    let fsm = args.fsm.parse()?;
    let (n, d) = (args.width, args.inputs);
    let stack = args.seeds.len() * n * d; // ≤ 10^4 · 2^20 · 2^16: no overflow
    if stack > MAX_STACK {
        let s = args.seeds.len();
        let why = format!("{s} masks of {n} × {d} have {stack} entries, more than {MAX_STACK}");
        return Err(why.into());
    }
    let spec =
        MaskSpec::new(n, d, args.density, &fsm.row, &fsm.col)?.with_kept_count(args.kept_count)?;
    let mut entries = Vec::with_capacity(stack);
    let mut lines = String::from("seed                kept  threshold\n");
    for &seed in &args.seeds {
        let m = sample_mask_for(&spec, &fsm.noise, seed, MASKS_LABEL, None)?;
        entries.extend(m.entries());
        lines += &format!("{seed:<18} {:>5}  {:.6e}\n", m.kept(), m.threshold());
    }
    let bytes = encode_u8(&[args.seeds.len(), n, d], &entries)?;
    commit(&[(args.save_masks.clone(), bytes)])?;
    emit(&lines)
}
