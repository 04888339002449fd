//! Malformed and hostile HTTP over raw sockets: huge announced bodies, truncated and
//! badly chunked bodies, stalled heads and bodies, idle and half-open connections, a
//! client that never reads its answer. Each is refused or dropped in bounded time, and
//! another universe keeps answering meanwhile.

mod common;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{NotesTwin, FIXTURE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use twin_core::serve::ConnLimits;
use twin_core::{Config, Core, CreateUniverse, Fixture, FixtureLibrary};

struct Raw {
    core: Arc<Core>,
    /// `host:port` of the notes twin.
    addr: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

async fn start(limits: ConnLimits, max_body_bytes: usize) -> Raw {
    let mut fixtures = FixtureLibrary::default();
    fixtures.insert("tiny", Fixture::from_yaml("tiny", FIXTURE).expect("fixture"));
    let config = Config { max_body_bytes, ..Config::default() };
    let core = Arc::new(Core::new(config, vec![Arc::new(NotesTwin)], fixtures, "tiny"));
    for id in ["default", "other"] {
        core.create_universe(CreateUniverse { id: Some(id.into()), ..Default::default() }).expect("universe");
    }
    let bound = twin_core::serve::bind_all(&core, IpAddr::from([127, 0, 0, 1]), 0).await.expect("bind");
    let addr = core.endpoint("notes").expect("notes").trim_start_matches("http://").to_string();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(twin_core::serve::run_with(bound, limits, async move {
        let _ = rx.await;
    }));
    Raw { core, addr, _stop: tx }
}

impl Raw {
    fn token(&self, universe: &str) -> String {
        self.core.universe(universe).expect("universe").credential_of("notes", "writer").expect("token")
    }

    /// Sends `request` and reads until the server closes or answers in full (bounded).
    async fn exchange(&self, request: &[u8], close_write: bool) -> String {
        let mut s = TcpStream::connect(&self.addr).await.expect("connect");
        s.write_all(request).await.expect("write");
        if close_write {
            s.shutdown().await.expect("shutdown");
        }
        read_answer(&mut s, Duration::from_secs(5)).await
    }

    /// A list call in `universe` over a fresh connection; its status line.
    async fn list(&self, universe: &str) -> String {
        let req = format!(
            "GET /notes HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
            self.addr,
            self.token(universe)
        );
        let answer = self.exchange(req.as_bytes(), false).await;
        answer.lines().next().unwrap_or_default().to_string()
    }
}

/// Reads until EOF or `limit`; returns what arrived.
async fn read_answer(s: &mut TcpStream, limit: Duration) -> String {
    let mut out = Vec::new();
    let _ = tokio::time::timeout(limit, s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

fn status_of(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

#[tokio::test]
async fn a_huge_announced_body_is_refused_at_once() {
    let s = start(ConnLimits::default(), 1024 * 1024).await;
    let started = Instant::now();
    let req = format!(
        "POST /notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n",
        s.token("default")
    );
    let mut conn = TcpStream::connect(&s.addr).await.expect("connect");
    conn.write_all(req.as_bytes()).await.expect("write");
    // The body never comes: the answer must not wait for it.
    let mut buf = vec![0u8; 512];
    let n = tokio::time::timeout(Duration::from_secs(2), conn.read(&mut buf))
        .await
        .expect("answered at once")
        .expect("read");
    let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
    assert!(status_of(&answer).contains(" 413 "), "{answer}");
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[tokio::test]
async fn a_body_over_the_cap_without_a_length_is_413_and_under_it_passes() {
    let s = start(ConnLimits::default(), 64 * 1024).await;
    let t = s.token("default");
    let big = "x".repeat(70 * 1024);
    let chunked = format!(
        "POST /notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{:x}\r\n{{\"text\":\"{big}\"}}\r\n0\r\n\r\n",
        big.len() + 11
    );
    assert!(status_of(&s.exchange(chunked.as_bytes(), false).await).contains(" 413 "));
    // Bigger than axum's 2 MiB default is fine when the core's cap allows it.
    let s = start(ConnLimits::default(), 8 * 1024 * 1024).await;
    let t = s.token("default");
    let body = format!("{{\"text\":\"{}\"}}", "y".repeat(3 * 1024 * 1024));
    let req = format!(
        "POST /notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let answer = s.exchange(req.as_bytes(), false).await;
    assert!(status_of(&answer).starts_with("HTTP/1.1 2"), "{}", status_of(&answer));
}

#[tokio::test]
async fn truncated_and_badly_chunked_bodies_are_400() {
    let s = start(ConnLimits::default(), 1024 * 1024).await;
    let t = s.token("default");
    let truncated = format!(
        "POST /notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"text\": \"cut"
    );
    let answer = s.exchange(truncated.as_bytes(), true).await;
    assert!(status_of(&answer).contains(" 400 "), "{answer}");
    let bad_chunks = format!(
        "POST /notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{{}}\r\n0\r\n\r\n"
    );
    let answer = s.exchange(bad_chunks.as_bytes(), true).await;
    assert!(status_of(&answer).contains(" 400 "), "{answer}");
}

#[tokio::test]
async fn idle_half_open_and_slow_connections_are_closed_and_others_answer() {
    let limits =
        ConnLimits { header_timeout: Duration::from_millis(700), write_stall_timeout: Duration::from_millis(700) };
    let s = start(limits, 1024 * 1024).await;
    // A connection that never speaks, one that sends half a head byte by byte, and an
    // idle keep-alive connection after one answered request.
    let mut silent = TcpStream::connect(&s.addr).await.expect("connect");
    let mut slowloris = TcpStream::connect(&s.addr).await.expect("connect");
    slowloris.write_all(b"GET /notes HTTP/1.1\r\nHost: x\r\n").await.expect("write");
    let mut idle = TcpStream::connect(&s.addr).await.expect("connect");
    let req = format!("GET /notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n", s.token("default"));
    idle.write_all(req.as_bytes()).await.expect("write");
    let mut first = vec![0u8; 4096];
    let n = idle.read(&mut first).await.expect("read");
    assert!(String::from_utf8_lossy(&first[..n]).starts_with("HTTP/1.1 200"));
    // Meanwhile another universe answers promptly.
    let started = Instant::now();
    assert!(s.list("other").await.contains(" 200 "));
    assert!(started.elapsed() < Duration::from_millis(500));
    for _ in 0..5 {
        let _ = slowloris.write_all(b"X-Slow: 1\r\n").await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for (name, conn) in [("silent", &mut silent), ("slowloris", &mut slowloris), ("idle", &mut idle)] {
        let mut rest = Vec::new();
        let closed = tokio::time::timeout(Duration::from_secs(3), conn.read_to_end(&mut rest)).await;
        assert!(closed.is_ok(), "the {name} connection is closed by the server");
    }
}

#[tokio::test]
async fn a_stalled_body_is_refused_in_bounded_time() {
    let s = start(ConnLimits::default(), 1024 * 1024).await;
    let req = format!(
        "POST /notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: 50\r\n\r\n{{\"te",
        s.token("default")
    );
    let mut conn = TcpStream::connect(&s.addr).await.expect("connect");
    conn.write_all(req.as_bytes()).await.expect("write");
    // Other universes are not held up by the stalled body.
    let started = Instant::now();
    assert!(s.list("other").await.contains(" 200 "));
    assert!(started.elapsed() < Duration::from_millis(500));
    drop(conn);
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped() {
    let limits =
        ConnLimits { header_timeout: Duration::from_secs(30), write_stall_timeout: Duration::from_millis(500) };
    let s = start(limits, 64 * 1024 * 1024).await;
    let t = s.token("default");
    // Fill the universe with enough notes that a list answer outgrows the socket buffers.
    let note = "z".repeat(60_000);
    for _ in 0..200 {
        let body = format!("{{\"text\":\"{note}\"}}");
        let req = format!(
            "POST /notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        assert!(status_of(&s.exchange(req.as_bytes(), false).await).starts_with("HTTP/1.1 2"));
    }
    // A small receive window, so the answer cannot fit in the socket buffers.
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let mut lazy = socket.connect(s.addr.parse().expect("addr")).await.expect("connect");
    let req = format!("GET /notes HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {t}\r\n\r\n");
    lazy.write_all(req.as_bytes()).await.expect("write");
    tokio::time::sleep(Duration::from_secs(2)).await;
    // The server gave up on the writer: draining now ends (reset or EOF) well before
    // the 12 MB answer could have been delivered in full.
    let mut got = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), lazy.read_to_end(&mut got)).await;
    assert!(got.len() < 12_000_000, "the answer was abandoned ({} bytes arrived)", got.len());
    let started = Instant::now();
    assert!(s.list("other").await.contains(" 200 "));
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn the_control_plane_refuses_a_huge_announced_body_at_once() {
    let s = start(ConnLimits::default(), 1024 * 1024).await;
    let control = s.core.endpoint("control").expect("control").trim_start_matches("http://").to_string();
    for addr in [control, s.addr.clone()] {
        let mut conn = TcpStream::connect(&addr).await.expect("connect");
        let head = "PUT /_dtu/universes/default/import HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n";
        conn.write_all(head.as_bytes()).await.expect("write");
        let mut buf = vec![0u8; 1024];
        let n = tokio::time::timeout(Duration::from_secs(2), conn.read(&mut buf))
            .await
            .expect("answered at once")
            .expect("read");
        let answer = String::from_utf8_lossy(&buf[..n]).into_owned();
        assert!(status_of(&answer).contains(" 413 "), "{addr}: {answer}");
        assert!(answer.contains("payload_too_large"), "the control plane's JSON error: {answer}");
    }
}

#[tokio::test]
async fn a_truncated_or_badly_chunked_control_body_is_the_control_planes_400() {
    let s = start(ConnLimits::default(), 1024 * 1024).await;
    let control = s.core.endpoint("control").expect("control").trim_start_matches("http://").to_string();
    let truncated = "POST /_dtu/universes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\": \"cut";
    let bad_chunks = "POST /_dtu/universes HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n";
    for request in [truncated, bad_chunks] {
        let mut conn = TcpStream::connect(&control).await.expect("connect");
        conn.write_all(request.as_bytes()).await.expect("write");
        conn.shutdown().await.expect("shutdown");
        let answer = read_answer(&mut conn, Duration::from_secs(5)).await;
        assert!(status_of(&answer).contains(" 400 "), "{answer}");
        assert!(answer.contains("application/json") && answer.contains("\"bad_request\""), "{answer}");
    }
    assert!(s.core.universe_ids().len() == 2, "nothing was created");
}
