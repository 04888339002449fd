//! Listening: one port for the control plane and one per twin. Our own accept loop on
//! hyper-util, rather than `axum::serve`, so that a chaos `reset` or `hang` can drop
//! a connection without answering, and so shutdown can drain connections gracefully.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::Request;
use axum::response::IntoResponse;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::{Layer, ServiceExt};

use crate::dispatch::{dispatch, AbortConnection, TwinService};
use crate::twin::Twin;
use crate::{control, ControlError, Core};

/// The router of a twin's port: the control plane under `/_dtu`, everything else
/// through the core pipeline into the twin.
pub fn twin_router(core: Arc<Core>, twin: Arc<dyn Twin>) -> Router {
    let service = Arc::new(TwinService { core: core.clone(), twin: twin.clone() });
    let pipeline = axum::middleware::from_fn_with_state(service, dispatch).layer(twin.router());
    Router::new().nest("/_dtu", control::router(core)).fallback_service(pipeline)
}

/// The router of the control port.
pub fn control_router(core: Arc<Core>) -> Router {
    Router::new()
        .nest("/_dtu", control::router(core))
        .fallback(|| async { ControlError::NotFound("the control plane lives under /_dtu/ (try /_dtu/info)".into()) })
}

/// A listening port and what it serves.
pub struct Bound {
    pub name: String,
    pub addr: SocketAddr,
    listener: TcpListener,
    router: Router,
}

impl Bound {
    pub fn base_url(&self) -> String {
        let ip = if self.addr.ip().is_unspecified() { IpAddr::from([127, 0, 0, 1]) } else { self.addr.ip() };
        format!("http://{}", SocketAddr::new(ip, self.addr.port()))
    }
}

/// Binds the control port (`port_base`) and each twin's (`port_base + offset`);
/// `port_base` 0 takes free ports. Records every base URL in the core.
pub async fn bind_all(core: &Arc<Core>, ip: IpAddr, port_base: u16) -> std::io::Result<Vec<Bound>> {
    let port = |offset: u16| if port_base == 0 { 0 } else { port_base.saturating_add(offset) };
    let mut bound = Vec::new();
    let listener = TcpListener::bind((ip, port(0))).await?;
    bound.push(Bound {
        name: "control".into(),
        addr: listener.local_addr()?,
        listener,
        router: control_router(core.clone()),
    });
    for twin in &core.twins {
        let listener = TcpListener::bind((ip, port(twin.port_offset()))).await?;
        bound.push(Bound {
            name: twin.service().into(),
            addr: listener.local_addr()?,
            listener,
            router: twin_router(core.clone(), twin.clone()),
        });
    }
    for b in &bound {
        core.set_endpoint(&b.name, b.base_url());
    }
    Ok(bound)
}

/// Serves every bound port until `shutdown` completes, then drains open connections
/// (for at most five seconds).
pub async fn run(bound: Vec<Bound>, shutdown: impl Future<Output = ()>) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let tasks: Vec<_> =
        bound.into_iter().map(|b| tokio::spawn(accept_loop(b.listener, b.router, stop_rx.clone()))).collect();
    shutdown.await;
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
}

async fn accept_loop(listener: TcpListener, router: Router, mut stop: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    let builder = Builder::new(TokioExecutor::new());
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let stream = match accepted {
                    Ok((stream, _)) => stream,
                    Err(e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    let router = router.clone();
                    async move {
                        let response = match router.oneshot(req).await {
                            Ok(r) => r,
                            Err(never) => match never {},
                        };
                        if response.extensions().get::<AbortConnection>().is_some() {
                            Err(ConnectionDropped)
                        } else {
                            Ok::<_, ConnectionDropped>(response.into_response())
                        }
                    }
                });
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                });
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
    }
}

/// Returned to hyper to make it close a connection without a response.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by a chaos rule")
    }
}

impl std::error::Error for ConnectionDropped {}

/// Used where a future must never end (a server with no shutdown signal).
pub async fn forever() {
    std::future::pending::<Infallible>().await;
}
