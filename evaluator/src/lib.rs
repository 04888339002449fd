//! dtu-evaluator: the DTU scenario runner and holdout evaluator (`dtu eval`), run
//! comparison (`dtu eval compare`) and the factory loop (`dtu factory`).
//!
//! The `dtu` binary forwards `dtu eval` and `dtu factory` to [`cli`].

pub mod agent;
pub mod checks;
pub mod cli;
pub mod compare;
pub mod control;
pub mod diagnose;
pub mod error;
pub mod eval;
pub mod factory;
pub mod judge;
pub mod query;
pub mod report;
pub mod results;
pub mod runner;
pub mod scenario;
pub mod server;
pub mod shard;
pub mod stats;

pub use error::{EvalError, Result};
