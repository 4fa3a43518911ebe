//! TEMPORARY SHIM (not committed): the integrator's stand-in for helper h18-sim's simulator.
#![allow(missing_docs)]
use crate::convergence::limit::Fsm;
use crate::convergence::mask::{grid, sample_mask_in_memory, Mask, MaskSpec};
use crate::convergence::noise::{Noise, NoiseLaw};
use crate::seed::{uniform_open01, MasterSeed};
use crate::Error;
use rayon::prelude::*;
use std::sync::Arc;

pub struct Model {
    pub phi: Vec<f64>,
    pub psi: Vec<f64>,
    pub law: Arc<dyn NoiseLaw>,
    pub rho: f64,
    pub tau: f64,
    pub row_source: Vec<usize>,
}
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Draw {
    TopK,
    Frozen,
}
impl Model {
    pub fn new(phi: Vec<f64>, psi: Vec<f64>, law: Arc<dyn NoiseLaw>, rho: f64, tau: f64) -> Result<Model, Error> {
        let n = phi.len();
        Ok(Model { phi, psi, law, rho, tau, row_source: (0..n).collect() })
    }
    pub fn from_fsm(fsm: &Fsm, n: usize, d: usize, rho: f64) -> Result<Model, Error> {
        let tau = fsm.tau_star(rho)?.value;
        let law: Arc<dyn NoiseLaw> = match fsm.noise {
            Noise::Gaussian(l) => Arc::new(l),
            Noise::Uniform(l) => Arc::new(l),
        };
        Model::new(grid(&fsm.row, n), grid(&fsm.col, d), law, rho, tau)
    }
    pub fn keep_probability(&self, i: usize, j: usize) -> f64 {
        let s = self.phi[i] * self.psi[j];
        if s > 0.0 { self.law.tail(self.tau / s) } else { 0.0 }
    }
    pub fn draw(&self, how: Draw, seed: MasterSeed, label: &str) -> Result<Mask, Error> {
        let (n, d) = (self.phi.len(), self.psi.len());
        match how {
            Draw::TopK => {
                let spec = MaskSpec::from_grids(self.phi.clone(), self.psi.clone(), self.rho)?;
                Ok(sample_mask_in_memory(&spec, &*self.law, seed, label)?)
            }
            Draw::Frozen => {
                let mut rng = seed.stream(label);
                let e: Vec<u8> = (0..n * d)
                    .map(|k| u8::from(uniform_open01(&mut rng) < self.keep_probability(k / d, k % d)))
                    .collect();
                Ok(Mask::from_entries(n, d, &e)?)
            }
        }
    }
    pub fn draw_stack(&self, how: Draw, masks: usize, seed: MasterSeed, label: &str) -> Result<Vec<Mask>, Error> {
        (0..masks).into_par_iter().map(|s| self.draw(how, seed, &format!("{label}/{s}"))).collect()
    }
}
