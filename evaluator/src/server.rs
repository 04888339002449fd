//! The twins, served in this process for the length of an evaluation.
//!
//! Why in-process rather than a `dtu serve` child: one process to start and stop (no
//! manifest file to poll, no orphan server when the evaluator is killed), startup in
//! milliseconds, and the evaluator crate stays usable from tests with any twin set.
//! Agents still reach the twins only over HTTP on 127.0.0.1 ports, exactly as they
//! would reach `dtu serve`, and `--server URL` points the evaluator at one instead.

use std::net::{IpAddr, Ipv4Addr};
use std::path::Path;
use std::sync::Arc;

use tokio::sync::oneshot;
use twin_core::{Config, ControlAccess, Core, Fixture, FixtureLibrary, Twin};

use crate::error::{EvalError, Result};

/// The repository's default fixture, built in like `dtu serve` does.
const DEFAULT_FIXTURE: &str = include_str!("../../fixtures/default.yaml");

/// Twins serving in this process; dropping it stops them.
pub struct InProcess {
    pub control_url: String,
    /// The control plane answers only this (agents are never given it).
    pub admin_token: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
}

/// The fixtures offered by name: `default`, `large`, and every `*.yaml` of `dir`.
pub fn fixture_library(dir: Option<&Path>) -> Result<FixtureLibrary> {
    let mut library = FixtureLibrary::default();
    let default = Fixture::from_yaml("fixtures/default.yaml", DEFAULT_FIXTURE)
        .map_err(|e| EvalError::Server(format!("the built-in default fixture: {e}")))?;
    library.insert("default", default);
    library.insert("large", Fixture::large());
    if let Some(dir) = dir {
        library.load_dir(dir).map_err(|e| EvalError::Server(format!("fixtures in {}: {e}", dir.display())))?;
    }
    Ok(library)
}

impl InProcess {
    /// Binds free ports on 127.0.0.1 and serves `twins` until stopped.
    pub async fn start(twins: Vec<Arc<dyn Twin>>, fixtures: FixtureLibrary, max_universes: usize) -> Result<Self> {
        let access = ControlAccess::mint();
        let admin_token = access.token().unwrap_or_default().to_string();
        let config = Config { max_universes: max_universes.max(16), control_access: access, ..Config::default() };
        let core = Arc::new(Core::new(config, twins, fixtures, "default"));
        let bound = twin_core::serve::bind_all(&core, IpAddr::V4(Ipv4Addr::LOCALHOST), 0)
            .await
            .map_err(|e| EvalError::Server(format!("cannot listen: {e}")))?;
        let control = core.endpoint("control").ok_or_else(|| EvalError::Server("no control port".into()))?;
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            twin_core::serve::run(bound, async move {
                let _ = stopped.await;
            })
            .await;
        });
        tracing::info!(control = %control, "twins serving in-process");
        Ok(Self { control_url: format!("{control}/_dtu/"), admin_token, stop: Some(stop), task: Some(task) })
    }

    /// Stops serving and waits for open connections to drain.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}
