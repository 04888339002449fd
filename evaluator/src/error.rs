//! The evaluator's errors.

use std::path::PathBuf;

use crate::scenario::Problems;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{0}")]
    Scenarios(#[from] Problems),
    #[error("control plane {what}: HTTP {status}: {message}")]
    Control { what: String, status: u16, message: String },
    #[error("control plane {what}: {source}")]
    Http {
        what: String,
        #[source]
        source: reqwest::Error,
    },
    #[error("control plane {what}: {message}")]
    BadResponse { what: String, message: String },
    #[error("cannot start the twins in-process: {0}")]
    Server(String),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{0}")]
    Usage(String),
    #[error("{path}: {message}")]
    BadFile { path: PathBuf, message: String },
    #[error("{0}")]
    Shard(#[from] crate::shard::ShardError),
    #[error("cannot start the async runtime: {0}")]
    Runtime(std::io::Error),
}

impl EvalError {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        EvalError::Io { path: path.into(), source }
    }
}

pub type Result<T, E = EvalError> = std::result::Result<T, E>;
