//! Listening: one port for the control plane and one per twin. Our own accept loop on
//! hyper-util, rather than `axum::serve`, so that a chaos `reset` or `hang` can drop
//! a connection without answering, and so shutdown can drain connections gracefully.
//!
//! Every connection is bounded in time: a request's head must arrive within
//! [`HEADER_TIMEOUT`] of the connection waiting for it (so a connection that never
//! speaks, an idle keep-alive connection and a slowloris head all close after it), and
//! an answer the client stops reading is abandoned after [`WRITE_STALL_TIMEOUT`].
//! Request bodies are bounded in `dispatch` (size, stalls, total time).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::Request;
use axum::response::IntoResponse;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::Sleep;
use tower::{Layer, ServiceExt};

use crate::dispatch::{dispatch, AbortConnection, TwinService};
use crate::twin::Twin;
use crate::{control, ControlError, Core};

/// How long a connection may take to send a request head, counted from when the
/// server starts waiting for it: also how long an idle keep-alive connection stays open.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(30);

/// How long a write may wait on a client that does not read its answer.
pub const WRITE_STALL_TIMEOUT: Duration = Duration::from_secs(30);

/// The router of a twin's port: the control plane under `/_dtu`, everything else
/// through the core pipeline into the twin.
pub fn twin_router(core: Arc<Core>, twin: Arc<dyn Twin>) -> Router {
    let service = Arc::new(TwinService { core: core.clone(), twin: twin.clone() });
    // The pipeline bounds bodies itself (`dispatch::read_body`, or a twin's streamed
    // upload), so axum's 2 MiB default on extractors must not refuse them a second time.
    let inner = twin.router().layer(axum::extract::DefaultBodyLimit::disable());
    let pipeline = axum::middleware::from_fn_with_state(service, dispatch).layer(inner);
    Router::new().nest("/_dtu", guarded_control(core)).fallback_service(pipeline)
}

/// The router of the control port.
pub fn control_router(core: Arc<Core>) -> Router {
    control_router_with(core, Router::new())
}

/// The router of the control port with more routes beside `/_dtu` (the dashboard of
/// `dtu serve`), behind the same access rule as the control plane.
pub fn control_router_with(core: Arc<Core>, extra: Router) -> Router {
    Router::new()
        .nest("/_dtu", guarded_control(core.clone()))
        .merge(control::guarded(core, extra))
        .fallback(|| async { ControlError::NotFound("the control plane lives under /_dtu/ (try /_dtu/info)".into()) })
}

/// The most a control request may announce; the control plane's own extractors cap
/// what they read at the same size (`control.rs`).
pub const CONTROL_BODY_CAP: u64 = control::MAX_CONTROL_BODY as u64;

/// The control plane's routes, refusing a body announced over [`CONTROL_BODY_CAP`]
/// with its 413 at once rather than waiting for bytes that may never come, and ending
/// a body that stalls (as twin bodies do). Bodies stay unread until a handler that
/// passed the access check reads them.
fn guarded_control(core: Arc<Core>) -> Router {
    control::router(core).layer(axum::middleware::from_fn(guard_control_body))
}

async fn guard_control_body(req: Request, next: axum::middleware::Next) -> axum::response::Response {
    if crate::dispatch::declared_length(req.headers()).is_some_and(|n| n > CONTROL_BODY_CAP) {
        return ControlError::PayloadTooLarge(format!(
            "a control request body may be at most {CONTROL_BODY_CAP} bytes"
        ))
        .into_response();
    }
    let (parts, body) = req.into_parts();
    let body = axum::body::Body::from_stream(crate::dispatch::guarded_stream(body));
    next.run(Request::from_parts(parts, body)).await
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
    bind_all_with(core, ip, port_base, control_router(core.clone())).await
}

/// [`bind_all`] with the control port serving `control` (see [`control_router_with`]).
pub async fn bind_all_with(
    core: &Arc<Core>,
    ip: IpAddr,
    port_base: u16,
    control: Router,
) -> std::io::Result<Vec<Bound>> {
    let port = |offset: u16| if port_base == 0 { 0 } else { port_base.saturating_add(offset) };
    let mut bound = Vec::new();
    let listener = TcpListener::bind((ip, port(0))).await?;
    bound.push(Bound { name: "control".into(), addr: listener.local_addr()?, listener, router: control });
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

/// Time bounds of every connection (see the module docs).
#[derive(Debug, Clone, Copy)]
pub struct ConnLimits {
    pub header_timeout: Duration,
    pub write_stall_timeout: Duration,
}

impl Default for ConnLimits {
    fn default() -> Self {
        Self { header_timeout: HEADER_TIMEOUT, write_stall_timeout: WRITE_STALL_TIMEOUT }
    }
}

/// Serves every bound port until `shutdown` completes, then drains open connections
/// (for at most five seconds).
pub async fn run(bound: Vec<Bound>, shutdown: impl Future<Output = ()>) {
    run_with(bound, ConnLimits::default(), shutdown).await
}

/// [`run`] with other connection time bounds (tests use short ones).
pub async fn run_with(bound: Vec<Bound>, limits: ConnLimits, shutdown: impl Future<Output = ()>) {
    let (stop_tx, stop_rx) = watch::channel(false);
    let tasks: Vec<_> =
        bound.into_iter().map(|b| tokio::spawn(accept_loop(b.listener, b.router, limits, stop_rx.clone()))).collect();
    shutdown.await;
    let _ = stop_tx.send(true);
    for task in tasks {
        let _ = task.await;
    }
}

async fn accept_loop(listener: TcpListener, router: Router, limits: ConnLimits, mut stop: watch::Receiver<bool>) {
    let graceful = GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder.http1().timer(TokioTimer::new()).header_read_timeout(limits.header_timeout);
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
                // Set when the first request head has arrived. Until then hyper's own head
                // timer has not started (the HTTP version sniff before it waits without
                // one), so a watchdog drops a connection that has not sent a head in time.
                let spoke = Arc::new(AtomicBool::new(false));
                let heard = spoke.clone();
                let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                    heard.store(true, Ordering::Release);
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
                let stream = WriteDeadline::new(stream, limits.write_stall_timeout);
                let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).into_owned();
                let conn = graceful.watch(conn);
                let header_timeout = limits.header_timeout;
                tokio::spawn(async move {
                    let mut conn = std::pin::pin!(conn);
                    let ended = tokio::select! {
                        ended = &mut conn => Some(ended),
                        _ = tokio::time::sleep(header_timeout) => None,
                    };
                    let ended = match ended {
                        Some(ended) => ended,
                        None if !spoke.load(Ordering::Acquire) => {
                            tracing::debug!("connection dropped: no request head in time");
                            return;
                        }
                        None => conn.await,
                    };
                    if let Err(e) = ended {
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

/// A connection whose writes fail once they have waited `limit` on a client that does
/// not read (its receive window full), so such a client cannot hold a task forever.
struct WriteDeadline {
    stream: TcpStream,
    limit: Duration,
    /// Armed while a write waits; cleared by any progress.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl WriteDeadline {
    fn new(stream: TcpStream, limit: Duration) -> Self {
        Self { stream, limit, stalled: None }
    }

    /// Called when a write is pending: arms the deadline, or fails once it has passed.
    fn poll_stall(&mut self, cx: &mut Context<'_>) -> Poll<io::Error> {
        let limit = self.limit;
        let sleep = self.stalled.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(io::Error::new(io::ErrorKind::TimedOut, "the client stopped reading")),
            Poll::Pending => Poll::Pending,
        }
    }

    fn progress<T>(&mut self, cx: &mut Context<'_>, polled: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        match polled {
            Poll::Ready(r) => {
                self.stalled = None;
                Poll::Ready(r)
            }
            Poll::Pending => self.poll_stall(cx).map(Err),
        }
    }
}

impl AsyncRead for WriteDeadline {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for WriteDeadline {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.progress(cx, polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.progress(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_flush(cx);
        self.progress(cx, polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_shutdown(cx);
        self.progress(cx, polled)
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
