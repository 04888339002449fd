//! `cargo bench --bench stack`: DTU's performance figures, each against a baseline
//! measured in the same run, because these machines are noisy: ratios travel,
//! absolute numbers do not.
//!
//! 1. Throughput and p99 of Slack `auth.test` (the stack's own cost: a small answer,
//!    no state change), `chat.postMessage` (a write) and
//!    `conversations.history` (a read) through the whole stack (universe lookup by
//!    credential, chaos check, journal, metrics, the twin), against a bare axum
//!    handler that parses the same JSON and answers a Slack-sized body.
//!    Also Okta: a `search` over the users of the 10,000-person fixture (one page of
//!    200), token issuance (`client_credentials` on the `default` authorization
//!    server, a signed JWT each time), and on the default fixture a user read and a
//!    user created (staged, a new login each time).
//!    And Google (Drive, Sheets, Docs): `files.list` with a `q` on the default fixture
//!    and on the large one (100,000 files), a 64 KiB multipart upload and `alt=media`
//!    download on both, `values.get` of A1:Z1000 and `values.update` of 100 cells that
//!    formulas read on a 1,000-row spreadsheet, and a `documents.batchUpdate` of 10
//!    inserts on a 50-page document (the spreadsheet and document are written by the
//!    bench through the API first).
//! 2. Universe fork time for the default and the 10,000-person fixture (their ratio
//!    shows fork is O(1)), and the memory a fork costs.
//! 3. Cold start of `dtu serve` to the first successful `auth.test`, against
//!    starting the same binary just to print its version.
//!
//! Knobs: DTU_BENCH_SECONDS (per load run, default 3), DTU_BENCH_ROUNDS (default 5),
//! DTU_BENCH_CONNECTIONS (default 32), DTU_BENCH_ONLY (run only the targets whose name
//! contains it, beside the baseline).
//!
//! Each round runs the baseline and then every target; a target's ratio for a round is
//! its rate over that round's baseline, and the summary gives the median over rounds
//! with the lowest and highest (a noisy neighbour moves single rounds, not the median).

mod common;

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use bytes::Bytes;
use common::{
    bare_router, doc_inserts_body, sheet_rows, sheet_update_body, upload_body, BARE_UPLOADS, DEFAULT_FIXTURE,
};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::{json, Value};
use twin_core::{Config, Core, CreateUniverse, Fixture, FixtureLibrary};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[derive(Debug, Clone, serde::Serialize)]
struct Load {
    name: String,
    requests: u64,
    errors: u64,
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

/// A closed loop of `connections` keep-alive HTTP/1.1 connections for `duration`.
async fn load(
    name: &str,
    addr: SocketAddr,
    make: Arc<dyn Fn() -> Request<Full<Bytes>> + Send + Sync>,
    connections: usize,
    duration: Duration,
) -> Load {
    let deadline = Instant::now() + duration;
    let errors = Arc::new(AtomicU64::new(0));
    let mut tasks = Vec::new();
    for _ in 0..connections {
        let make = make.clone();
        let errors = errors.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies: Vec<u32> = Vec::with_capacity(100_000);
            let Ok(stream) = tokio::net::TcpStream::connect(addr).await else { return latencies };
            let _ = stream.set_nodelay(true);
            let Ok((mut sender, conn)) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await else {
                return latencies;
            };
            tokio::spawn(conn);
            while Instant::now() < deadline {
                let started = Instant::now();
                match sender.send_request(make()).await {
                    Ok(response) => {
                        let ok = response.status().is_success();
                        let body = response.into_body().collect().await;
                        if !ok || body.is_err() {
                            errors.fetch_add(1, Ordering::Relaxed);
                        }
                        latencies.push(started.elapsed().as_micros().min(u32::MAX as u128) as u32);
                    }
                    Err(_) => {
                        errors.fetch_add(1, Ordering::Relaxed);
                        break;
                    }
                }
            }
            latencies
        }));
    }
    let started = Instant::now();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort_unstable();
    let pct =
        |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied().unwrap_or(0);
    Load {
        name: name.to_string(),
        requests: all.len() as u64,
        errors: errors.load(Ordering::Relaxed),
        per_second: all.len() as f64 / elapsed,
        p50_ms: pct(0.50) as f64 / 1000.0,
        p99_ms: pct(0.99) as f64 / 1000.0,
    }
}

fn core_with(fixtures: FixtureLibrary) -> Arc<Core> {
    Arc::new(Core::new(Config::default(), dtu::twins::all(), fixtures, "default"))
}

fn library() -> FixtureLibrary {
    let mut fixtures = FixtureLibrary::default();
    let mut default = Fixture::from_yaml("default", DEFAULT_FIXTURE).expect("default fixture");
    let mut large = Fixture::large();
    // The upload figures store 64 KiB a call, thousands a second: far past Drive's
    // default 64 MiB per universe. Their universes are reset before each run, so
    // memory stays bounded by one run's uploads.
    for f in [&mut default, &mut large] {
        if let Some(Value::Object(google)) = f.google.as_mut() {
            google.insert("storage_cap_bytes".into(), json!(UPLOAD_CAP));
        } else {
            f.google = Some(json!({"storage_cap_bytes": UPLOAD_CAP}));
        }
    }
    fixtures.insert("default", default);
    fixtures.insert("large", large);
    fixtures
}

/// The storage cap of the bench's universes (what a run of uploads may store).
const UPLOAD_CAP: u64 = 16 << 30;

async fn slack_call(addr: SocketAddr, token: &str, method: &str, body: Value) -> Value {
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let r = client.post(format!("http://{addr}/api/{method}")).bearer_auth(token).json(&body).send().await;
    r.expect("send").json().await.expect("json")
}

type MakeRequest = Arc<dyn Fn() -> Request<Full<Bytes>> + Send + Sync>;

/// A request builder for `method path` with these headers and body.
fn request(method: &'static str, path: String, headers: Vec<(&'static str, String)>, body: Bytes) -> MakeRequest {
    Arc::new(move || {
        let mut builder = Request::builder().method(method).uri(path.as_str()).header("host", "127.0.0.1");
        for (name, value) in &headers {
            builder = builder.header(*name, value.as_str());
        }
        builder.body(Full::new(body.clone())).expect("request")
    })
}

/// `POST /api/v1/users` (staged, no password), a new login each time.
fn okta_create_user(org: &Value) -> MakeRequest {
    let path = format!("{}/api/v1/users?activate=false", path_of(org["org_url"].as_str().unwrap_or_default()));
    let auth = format!("SSWS {}", org["api_token"].as_str().unwrap_or_default());
    let next = AtomicU64::new(0);
    Arc::new(move || {
        let n = next.fetch_add(1, Ordering::Relaxed);
        let login = format!("bench.{n}@acme.test");
        let body =
            json!({"profile": {"firstName": "Bench", "lastName": format!("User {n}"), "email": login, "login": login}});
        Request::builder()
            .method("POST")
            .uri(path.as_str())
            .header("host", "127.0.0.1")
            .header("authorization", auth.as_str())
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(Full::new(Bytes::from(body.to_string())))
            .expect("request")
    })
}

/// The path part of an absolute URL (`http://h:p/u/x` → `/u/x`).
fn path_of(url: &str) -> String {
    url.splitn(4, '/').nth(3).map(|p| format!("/{}", p.trim_end_matches('/'))).unwrap_or_default()
}

fn throughput(seconds: u64, rounds: usize, connections: usize) -> Vec<Vec<Load>> {
    let server = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("rt");
    let client = tokio::runtime::Builder::new_multi_thread().worker_threads(1).enable_all().build().expect("rt");
    let localhost = IpAddr::from([127, 0, 0, 1]);

    let bare_addr = server.block_on(async {
        let listener = tokio::net::TcpListener::bind((localhost, 0)).await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, bare_router()).await });
        addr
    });
    let core = core_with(library());
    let default = core.create_universe(CreateUniverse { id: Some("default".into()), ..Default::default() });
    let default = default.expect("default universe");
    let large = core.create_universe(CreateUniverse {
        id: Some("large".into()),
        fixture: Some(twin_core::FixtureRef::Name("large".into())),
        ..Default::default()
    });
    let large = large.expect("large universe");
    let bound = server.block_on(twin_core::serve::bind_all(&core, localhost, 0)).expect("bind");
    let addr_of = |name: &str| bound.iter().find(|b| b.name == name).map(|b| b.addr).expect("port");
    let (slack_addr, okta_addr, jira_addr) = (addr_of("slack"), addr_of("okta"), addr_of("jira"));
    let google_addr = addr_of("google");
    server.spawn(twin_core::serve::run(bound, twin_core::serve::forever()));
    let token = default.credential_of("slack", "bot").expect("bot token");
    let default_okta = core.universe_object(&default)["okta"].clone();
    let large_okta = core.universe_object(&large)["okta"].clone();
    let text = |v: &Value, key: &str| v[key].as_str().expect(key).to_string();

    let general = client.block_on(async {
        let channels = slack_call(slack_addr, &token, "conversations.list", json!({"limit": 100})).await;
        channels["channels"]
            .as_array()
            .and_then(|cs| cs.iter().find(|c| c["name"] == "general"))
            .and_then(|c| c["id"].as_str())
            .expect("#general")
            .to_string()
    });
    let post_body = Bytes::from(json!({"channel": general, "text": "Here's a message for you"}).to_string());
    let json_type = ("content-type", "application/json; charset=utf-8".to_string());
    let bearer = ("authorization", format!("Bearer {token}"));
    let basic = format!("{}:{}", text(&default_okta, "client_id"), text(&default_okta, "client_secret"));
    let default_jira = core.universe_object(&default)["jira"].clone();
    let large_jira = core.universe_object(&large)["jira"].clone();
    let jira_auth = |site: &Value| {
        let pair = format!("{}:{}", text(site, "email"), text(site, "api_token"));
        ("authorization", format!("Basic {}", BASE64.encode(pair)))
    };
    let json_only = ("content-type", "application/json".to_string());
    // Issues the transition figure cycles through, each To Do ↔ In Progress in turn: with
    // 512 of them and 32 connections, an issue's next move is sent after 480 other moves
    // have finished, so its last one has ended (with 64, a stalled request now and then
    // was overtaken and its issue refused the repeated move).
    let (transition_issues, to_progress, to_do) = client.block_on(jira_transition_setup(jira_addr, &default_jira));
    let transition_count = Arc::new(AtomicU64::new(0));
    let transition_path = format!("{}/rest/api/3/issue", path_of(&text(&default_jira, "base_url")));
    let transition_auth = jira_auth(&default_jira);
    let transition: MakeRequest = Arc::new(move || {
        let n = transition_count.fetch_add(1, Ordering::Relaxed) as usize;
        let issue = &transition_issues[n % transition_issues.len()];
        let to = if (n / transition_issues.len()).is_multiple_of(2) { &to_progress } else { &to_do };
        Request::builder()
            .method("POST")
            .uri(format!("{transition_path}/{issue}/transitions"))
            .header("host", "127.0.0.1")
            .header(transition_auth.0, transition_auth.1.as_str())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(json!({"transition": {"id": to}}).to_string())))
            .expect("request")
    });
    let fork = |from: &str, id: &str| {
        core.create_universe(CreateUniverse { id: Some(id.into()), from: Some(from.into()), ..Default::default() })
            .expect("fork")
    };
    // Writes that would pile up (uploads, a growing document) run in forks that are
    // reset before each of their runs, so every round starts from the same state.
    let uploads = fork("default", "uploads");
    let uploads_large = fork("large", "uploads-large");
    let docs_base = fork("default", "docs-base");
    let g = |u: &twin_core::Universe| Google::of(&core.universe_object(u)["google"]);
    let (g_default, g_large, g_uploads, g_uploads_large) = (g(&default), g(&large), g(&uploads), g(&uploads_large));
    let setup = client.block_on(google_setup(google_addr, &g_default, &g_large, &g(&docs_base)));
    // The document's fork is taken after the document is written, so a reset keeps it.
    let docs = fork("docs-base", "docs");
    let g_docs = g(&docs);
    let resets: Vec<(&str, Arc<twin_core::Universe>)> = vec![
        ("google drive upload 64 KiB multipart", uploads.clone()),
        ("google drive upload 64 KiB multipart, 100k files", uploads_large.clone()),
        ("google docs batchUpdate 10 inserts, 50 pages", docs.clone()),
    ];
    let list_fields = "files(id,name,mimeType,modifiedTime)";
    let list = |g: &Google, q: &str| {
        let query: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("q", q)
            .append_pair("pageSize", "100")
            .append_pair("fields", list_fields)
            .finish();
        request("GET", format!("{}/drive/v3/files?{query}", g.prefix), vec![g.bearer()], Bytes::new())
    };
    let upload_path = |prefix: &str| format!("{prefix}/upload/drive/v3/files?uploadType=multipart");
    let upload_body = Bytes::from(upload_body());
    let upload = |prefix: &str, auth: Vec<(&'static str, String)>| {
        let mut headers = auth;
        headers.push(("content-type", "multipart/related; boundary=bench".into()));
        request("POST", upload_path(prefix), headers, upload_body.clone())
    };
    let media = |g: &Google, id: &str| {
        request("GET", format!("{}/drive/v3/files/{id}?alt=media", g.prefix), vec![g.bearer()], Bytes::new())
    };
    // values.update: 100 numbers in B1:B100, fresh each call, which E1:E100 sum.
    let sheet_update = counted_json(
        "PUT",
        format!(
            "{}/v4/spreadsheets/{}/values/Sheet1!B1:B100?valueInputOption=USER_ENTERED",
            g_default.prefix, setup.sheet
        ),
        g_default.bearer(),
        sheet_update_body,
    );
    // batchUpdate: 10 words inserted at places that move on with each call.
    let doc_inserts = counted_json(
        "POST",
        format!("{}/v1/documents/{}:batchUpdate", g_docs.prefix, setup.doc),
        g_docs.bearer(),
        doc_inserts_body,
    );
    let google_targets: Vec<(&str, SocketAddr, MakeRequest)> = vec![
        (
            "google drive files.list q in parents, 100k files",
            google_addr,
            list(&g_large, &format!("'{}' in parents and trashed = false", setup.large_folder)),
        ),
        (
            "google drive files.list q in parents",
            google_addr,
            list(&g_default, "'root' in parents and trashed = false"),
        ),
        (
            "google drive files.list name contains, 100k files",
            google_addr,
            list(&g_large, "name contains 'p00000' and trashed = false"),
        ),
        ("google drive upload 64 KiB multipart", google_addr, upload(&g_uploads.prefix, vec![g_uploads.bearer()])),
        (
            "google drive upload 64 KiB multipart, 100k files",
            google_addr,
            upload(&g_uploads_large.prefix, vec![g_uploads_large.bearer()]),
        ),
        ("google drive files.get alt=media 64 KiB", google_addr, media(&g_default, &setup.default_blob)),
        ("google drive files.get alt=media 64 KiB, 100k files", google_addr, media(&g_large, &setup.large_blob)),
        (
            "google sheets values.get A1:Z1000",
            google_addr,
            request(
                "GET",
                format!("{}/v4/spreadsheets/{}/values/Sheet1!A1:Z1000", g_default.prefix, setup.sheet),
                vec![g_default.bearer()],
                Bytes::new(),
            ),
        ),
        ("google sheets values.update 100 cells, formulas", google_addr, sheet_update),
        ("google docs batchUpdate 10 inserts, 50 pages", google_addr, doc_inserts),
    ];
    let mut targets: Vec<(&str, SocketAddr, MakeRequest)> = vec![
        (
            "bare axum",
            bare_addr,
            request("POST", "/api/chat.postMessage".into(), vec![json_type.clone()], post_body.clone()),
        ),
        // The upload figures' own baseline: the same body, read and split (see bare_router).
        (BARE_UPLOAD, bare_addr, upload("", Vec::new())),
        // The pipeline's own cost: a read with a small answer and no state change.
        ("slack auth.test", slack_addr, request("POST", "/api/auth.test".into(), vec![bearer.clone()], Bytes::new())),
        (
            "slack chat.postMessage",
            slack_addr,
            request("POST", "/api/chat.postMessage".into(), vec![bearer.clone(), json_type], post_body),
        ),
        (
            "slack conversations.history",
            slack_addr,
            request(
                "GET",
                format!("/api/conversations.history?channel={general}&limit=20"),
                vec![bearer],
                Bytes::new(),
            ),
        ),
        (
            "okta users search, 10k people",
            okta_addr,
            request(
                "GET",
                format!(
                    "{}/api/v1/users?search=profile.department%20eq%20%22Engineering%22&limit=200",
                    path_of(&text(&large_okta, "org_url"))
                ),
                vec![
                    ("authorization", format!("SSWS {}", text(&large_okta, "api_token"))),
                    ("accept", "application/json".into()),
                ],
                Bytes::new(),
            ),
        ),
        (
            "okta token client_credentials",
            okta_addr,
            request(
                "POST",
                format!("{}/oauth2/default/v1/token", path_of(&text(&default_okta, "org_url"))),
                vec![
                    ("authorization", format!("Basic {}", BASE64.encode(basic))),
                    ("content-type", "application/x-www-form-urlencoded".into()),
                ],
                Bytes::from_static(b"grant_type=client_credentials&scope=orders%3Aread"),
            ),
        ),
        (
            "okta get user",
            okta_addr,
            request(
                "GET",
                format!(
                    "{}/api/v1/users/{}",
                    path_of(&text(&default_okta, "org_url")),
                    text(&default_okta, "admin_user_id")
                ),
                vec![
                    ("authorization", format!("SSWS {}", text(&default_okta, "api_token"))),
                    ("accept", "application/json".into()),
                ],
                Bytes::new(),
            ),
        ),
        ("okta create user", okta_addr, okta_create_user(&default_okta)),
        (
            "jira search/jql, 10k issues",
            jira_addr,
            request(
                "POST",
                format!("{}/rest/api/3/search/jql", path_of(&text(&large_jira, "base_url"))),
                vec![jira_auth(&large_jira), json_only.clone()],
                Bytes::from(
                    json!({"jql": "project = ENG AND status != Done ORDER BY updated DESC", "maxResults": 50,
                           "fields": ["summary", "status", "assignee"]})
                    .to_string(),
                ),
            ),
        ),
        (
            "jira create issue",
            jira_addr,
            request(
                "POST",
                format!("{}/rest/api/3/issue", path_of(&text(&default_jira, "base_url"))),
                vec![jira_auth(&default_jira), json_only],
                Bytes::from(
                    json!({"fields": {"project": {"key": "ENG"}, "issuetype": {"name": "Task"},
                                      "summary": "A task filed by the benchmark"}})
                    .to_string(),
                ),
            ),
        ),
        ("jira transition issue", jira_addr, transition),
    ];
    targets.extend(google_targets);
    assert_eq!(targets.len(), LOADS_PER_ROUND);
    // DTU_BENCH_ONLY=<text> keeps the baseline and the targets whose name contains it
    // (for profiling one figure).
    let only = std::env::var("DTU_BENCH_ONLY").ok();
    let targets: Vec<_> = targets
        .into_iter()
        .filter(|(name, ..)| name.starts_with("bare axum") || only.as_deref().is_none_or(|o| name.contains(o)))
        .collect();
    let duration = Duration::from_secs(seconds);
    // Interleaved (the baseline, then each stack figure, per round) so drift hits all alike.
    client.block_on(async {
        let mut out = Vec::new();
        for _ in 0..rounds {
            let mut round = Vec::new();
            for (name, addr, make) in &targets {
                if let Some((_, universe)) = resets.iter().find(|(n, _)| n == name) {
                    universe.reset();
                }
                if *name == BARE_UPLOAD {
                    BARE_UPLOADS.clear();
                }
                round.push(load(name, *addr, make.clone(), connections, duration).await);
            }
            out.push(round);
        }
        out
    })
}

/// A JSON request made afresh for each call, its body from the call's number.
fn counted_json(
    method: &'static str,
    path: String,
    auth: (&'static str, String),
    body_of: fn(u64) -> Value,
) -> MakeRequest {
    let calls = Arc::new(AtomicU64::new(0));
    Arc::new(move || {
        let n = calls.fetch_add(1, Ordering::Relaxed);
        Request::builder()
            .method(method)
            .uri(path.as_str())
            .header("host", "127.0.0.1")
            .header(auth.0, auth.1.as_str())
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from(body_of(n).to_string())))
            .expect("request")
    })
}

/// Loads per round: the bare baseline first, then each stack figure.
const LOADS_PER_ROUND: usize = 22;

/// The baseline of the upload figures (see `bare_router`).
const BARE_UPLOAD: &str = "bare axum, 64 KiB multipart upload";

/// A Google universe as the bench calls it: its path prefix and access token.
struct Google {
    prefix: String,
    token: String,
}

impl Google {
    fn of(manifest: &Value) -> Self {
        Google {
            prefix: path_of(manifest["endpoint"].as_str().expect("google endpoint")),
            token: manifest["access_token"].as_str().expect("google access_token").to_string(),
        }
    }

    fn bearer(&self) -> (&'static str, String) {
        ("authorization", format!("Bearer {}", self.token))
    }
}

/// What the Google figures work on.
struct GoogleSetup {
    /// The admin's `Generated` folder on the large fixture (10 of its 100,000 files).
    large_folder: String,
    /// A 64 KiB file of the admin's, on each fixture.
    default_blob: String,
    large_blob: String,
    /// A spreadsheet of 1,000 rows (A text, B–D numbers, E1:E100 `=SUM(B:D)` of their row).
    sheet: String,
    /// A document of 50 pages (each a page break and 40 lines of 75 characters).
    doc: String,
}

async fn google_setup(addr: SocketAddr, default: &Google, large: &Google, docs: &Google) -> GoogleSetup {
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let base = |g: &Google| format!("http://{addr}{}", g.prefix);
    let call = |g: &Google, method: reqwest::Method, path: String| {
        client.request(method, format!("{}{path}", base(g))).bearer_auth(&g.token)
    };
    let json = |r: Result<reqwest::Response, reqwest::Error>| async move {
        let r = r.expect("send");
        assert!(r.status().is_success(), "google setup: {}", r.status());
        r.json::<Value>().await.expect("json")
    };
    let listed = json(
        call(large, reqwest::Method::GET, "/drive/v3/files".into())
            .query(&[("q", "name = 'Generated' and 'root' in parents"), ("fields", "files(id)")])
            .send()
            .await,
    )
    .await;
    let large_folder = listed["files"][0]["id"].as_str().expect("the Generated folder").to_string();
    let blob = |g: &Google| {
        let mut body = b"--b\r\ncontent-type: application/json\r\n\r\n{\"name\": \"blob.bin\"}\r\n--b\r\n".to_vec();
        body.extend_from_slice(b"content-type: application/octet-stream\r\n\r\n");
        body.extend((0..64 * 1024).map(|i| (i % 13) as u8));
        body.extend_from_slice(b"\r\n--b--\r\n");
        call(g, reqwest::Method::POST, "/upload/drive/v3/files?uploadType=multipart".into())
            .header("content-type", "multipart/related; boundary=b")
            .body(body)
            .send()
    };
    let default_blob = json(blob(default).await).await["id"].as_str().expect("id").to_string();
    let large_blob = json(blob(large).await).await["id"].as_str().expect("id").to_string();

    let created = json(
        call(default, reqwest::Method::POST, "/v4/spreadsheets".into())
            .json(&json!({"properties": {"title": "Bench 1,000 rows"}}))
            .send()
            .await,
    )
    .await;
    let sheet = created["spreadsheetId"].as_str().expect("spreadsheetId").to_string();
    let rows = sheet_rows();
    json(
        call(default, reqwest::Method::PUT, format!("/v4/spreadsheets/{sheet}/values/Sheet1!A1:E1000"))
            .query(&[("valueInputOption", "USER_ENTERED")])
            .json(&json!({"values": rows}))
            .send()
            .await,
    )
    .await;

    let created = json(
        call(docs, reqwest::Method::POST, "/v1/documents".into())
            .json(&json!({"title": "Bench 50 pages"}))
            .send()
            .await,
    )
    .await;
    let doc = created["documentId"].as_str().expect("documentId").to_string();
    let line = "The quick brown fox jumps over the lazy dog while the twin keeps count. ab\n";
    let page: String = line.repeat(40);
    let mut requests = Vec::new();
    for _ in 0..50 {
        requests.push(json!({"insertText": {"endOfSegmentLocation": {}, "text": page}}));
        requests.push(json!({"insertPageBreak": {"endOfSegmentLocation": {}}}));
    }
    json(
        call(docs, reqwest::Method::POST, format!("/v1/documents/{doc}:batchUpdate"))
            .json(&json!({"requests": requests}))
            .send()
            .await,
    )
    .await;
    GoogleSetup { large_folder, default_blob, large_blob, sheet, doc }
}

/// 512 fresh ENG issues, and the ids of the transitions to In Progress and to To Do.
async fn jira_transition_setup(addr: SocketAddr, site: &Value) -> (Vec<String>, String, String) {
    let client = reqwest::Client::builder().no_proxy().build().expect("client");
    let base = format!("http://{addr}{}/rest/api/3", path_of(site["base_url"].as_str().expect("base_url")));
    let (email, token) = (site["email"].as_str().expect("email"), site["api_token"].as_str().expect("api_token"));
    let mut issues = Vec::new();
    for i in 0..512 {
        let body = json!({"fields": {"project": {"key": "ENG"}, "issuetype": {"name": "Task"},
                                     "summary": format!("Moved back and forth by the benchmark ({i})")}});
        let r = client.post(format!("{base}/issue")).basic_auth(email, Some(token)).json(&body).send().await;
        let created: Value = r.expect("send").json().await.expect("json");
        issues.push(created["key"].as_str().expect("an issue key").to_string());
    }
    let r = client.get(format!("{base}/issue/{}/transitions", issues[0])).basic_auth(email, Some(token)).send().await;
    let listed: Value = r.expect("send").json().await.expect("json");
    let id_to = |status: &str| {
        listed["transitions"]
            .as_array()
            .and_then(|ts| ts.iter().find(|t| t["to"]["name"] == status))
            .and_then(|t| t["id"].as_str())
            .unwrap_or_else(|| panic!("a transition to {status}: {listed}"))
            .to_string()
    };
    // A fresh issue is To Do, so its own list offers In Progress; To Do is offered once
    // it has moved (global transitions skip the current status).
    let to_progress = id_to("In Progress");
    let moved = client
        .post(format!("{base}/issue/{}/transitions", issues[0]))
        .basic_auth(email, Some(token))
        .json(&json!({"transition": {"id": to_progress}}))
        .send()
        .await
        .expect("send");
    assert!(moved.status().is_success(), "transition: {}", moved.status());
    let r = client.get(format!("{base}/issue/{}/transitions", issues[0])).basic_auth(email, Some(token)).send().await;
    let listed: Value = r.expect("send").json().await.expect("json");
    let to_do = listed["transitions"]
        .as_array()
        .and_then(|ts| ts.iter().find(|t| t["to"]["name"] == "To Do"))
        .and_then(|t| t["id"].as_str())
        .unwrap_or_else(|| panic!("a transition to To Do: {listed}"))
        .to_string();
    // Back to To Do, so every issue starts where the cycle expects it.
    let back = client
        .post(format!("{base}/issue/{}/transitions", issues[0]))
        .basic_auth(email, Some(token))
        .json(&json!({"transition": {"id": to_do}}))
        .send()
        .await
        .expect("send");
    assert!(back.status().is_success(), "transition: {}", back.status());
    (issues, to_progress, to_do)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[derive(Debug, serde::Serialize)]
struct Fork {
    fixture: String,
    people: usize,
    create_ms: f64,
    fork_median_us: f64,
    fork_p99_us: f64,
    rss_per_fork_kib: f64,
}

fn fork_times() -> Vec<Fork> {
    let core = core_with(library());
    ["default", "large"]
        .iter()
        .map(|name| {
            let started = Instant::now();
            let parent = core
                .create_universe(CreateUniverse {
                    fixture: Some(twin_core::FixtureRef::Name(name.to_string())),
                    ..Default::default()
                })
                .expect("parent");
            let create_ms = started.elapsed().as_secs_f64() * 1000.0;
            let people = core.fixtures.get(name).map(|f| f.people.len()).unwrap_or(0);
            let mut times = Vec::new();
            let mut forks = Vec::new();
            let rss_before = rss_kib();
            for _ in 0..1000 {
                let started = Instant::now();
                let fork = core
                    .create_universe(CreateUniverse { from: Some(parent.id.clone()), ..Default::default() })
                    .expect("fork");
                times.push(started.elapsed().as_secs_f64() * 1e6);
                forks.push(fork.id.clone());
            }
            let rss_per_fork_kib = (rss_kib().saturating_sub(rss_before)) as f64 / forks.len() as f64;
            for id in forks {
                let _ = core.delete_universe(&id);
            }
            times.sort_by(f64::total_cmp);
            Fork {
                fixture: name.to_string(),
                people,
                create_ms,
                fork_median_us: times[times.len() / 2],
                fork_p99_us: times[times.len() * 99 / 100],
                rss_per_fork_kib,
            }
        })
        .collect()
}

/// A target over all rounds: medians, and its ratio to each round's baseline.
#[derive(Debug, serde::Serialize)]
struct Summary {
    target: String,
    median_per_second: f64,
    median_p50_ms: f64,
    median_p99_ms: f64,
    ratio_median: f64,
    ratio_lowest: f64,
    ratio_highest: f64,
    p99_ratio_median: f64,
}

#[derive(Debug, serde::Serialize)]
struct ColdStart {
    serve_to_first_auth_test_ms: f64,
    process_start_ms: f64,
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn cold_start() -> Option<ColdStart> {
    let exe = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/dtu");
    if !exe.exists() {
        eprintln!("cold start: {} missing (cargo build --release first); skipped", exe.display());
        return None;
    }
    let client = reqwest::blocking::Client::builder().no_proxy().build().ok()?;
    let dir = std::env::temp_dir().join(format!("dtu-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).ok()?;
    let mut serve = Vec::new();
    let mut version = Vec::new();
    for i in 0..10 {
        let started = Instant::now();
        let status = std::process::Command::new(&exe).arg("--version").output().ok()?;
        assert!(status.status.success());
        version.push(started.elapsed().as_secs_f64() * 1000.0);

        let manifest = dir.join(format!("m{i}.json"));
        let started = Instant::now();
        let mut child = std::process::Command::new(&exe)
            .args(["serve", "--port-base", "0", "--manifest"])
            .arg(&manifest)
            .stdout(std::process::Stdio::null())
            .spawn()
            .ok()?;
        let ok = loop {
            if started.elapsed() > Duration::from_secs(10) {
                break false;
            }
            let Ok(text) = std::fs::read_to_string(&manifest) else {
                std::thread::sleep(Duration::from_micros(200));
                continue;
            };
            let m: Value = serde_json::from_str(&text).ok()?;
            let url = format!("{}auth.test", m["slack"]["base_url"].as_str()?);
            let token = m["slack"]["bot_token"].as_str()?;
            let r: Value = client.post(url).bearer_auth(token).send().ok()?.json().ok()?;
            break r["ok"] == true;
        };
        serve.push(started.elapsed().as_secs_f64() * 1000.0);
        let _ = child.kill();
        let _ = child.wait();
        if !ok {
            return None;
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    Some(ColdStart { serve_to_first_auth_test_ms: median(serve), process_start_ms: median(version) })
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` runs this as a smoke test.
    let smoke = !std::env::args().any(|a| a == "--bench");
    let seconds = if smoke { 1 } else { env_or("DTU_BENCH_SECONDS", 3) };
    let rounds = if smoke { 1 } else { env_or("DTU_BENCH_ROUNDS", 5).max(1) as usize };
    let connections = env_or("DTU_BENCH_CONNECTIONS", 32) as usize;

    let rounds_run = throughput(seconds, rounds, connections);
    let forks = fork_times();
    let cold = if smoke { None } else { cold_start() };

    println!(
        "\n## Throughput ({connections} connections, {seconds} s per run, {rounds} rounds, loopback, same process)\n"
    );
    println!(
        "| target | median req/s | median p50 ms | median p99 ms | req/s ÷ bare: median | lowest | highest | p99: bare ÷ target, median |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    let targets = rounds_run.first().map(Vec::len).unwrap_or(0);
    let mut summary = Vec::new();
    for t in 0..targets {
        let runs: Vec<&Load> = rounds_run.iter().map(|r| &r[t]).collect();
        let ratios: Vec<f64> = rounds_run.iter().map(|r| r[t].per_second / r[0].per_second.max(1.0)).collect();
        let (lowest, highest) = ratios.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
        // Latency as the same kind of ratio (higher is better): the baseline's p99 over the target's.
        let p99_ratios: Vec<f64> = rounds_run.iter().map(|r| r[0].p99_ms / r[t].p99_ms.max(0.001)).collect();
        let row = Summary {
            target: runs[0].name.clone(),
            median_per_second: median(runs.iter().map(|l| l.per_second).collect()),
            median_p50_ms: median(runs.iter().map(|l| l.p50_ms).collect()),
            median_p99_ms: median(runs.iter().map(|l| l.p99_ms).collect()),
            ratio_median: median(ratios),
            ratio_lowest: lowest,
            ratio_highest: highest,
            p99_ratio_median: median(p99_ratios),
        };
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} |",
            row.target,
            row.median_per_second,
            row.median_p50_ms,
            row.median_p99_ms,
            row.ratio_median,
            row.ratio_lowest,
            row.ratio_highest,
            row.p99_ratio_median,
        );
        summary.push(row);
    }
    // Uploads again, over the baseline that takes the same 64 KiB body.
    if let Some(base) = rounds_run.first().and_then(|r| r.iter().position(|l| l.name == BARE_UPLOAD)) {
        println!("\nUploads ÷ the bare server taking the same body ({BARE_UPLOAD}):\n");
        println!("| target | req/s ÷ bare upload: median | lowest | highest | p99: bare upload ÷ target, median |");
        println!("|---|---|---|---|---|");
        for t in (0..targets).filter(|&t| rounds_run[0][t].name.contains("drive upload")) {
            let ratios: Vec<f64> = rounds_run.iter().map(|r| r[t].per_second / r[base].per_second.max(1.0)).collect();
            let p99s: Vec<f64> = rounds_run.iter().map(|r| r[base].p99_ms / r[t].p99_ms.max(0.001)).collect();
            let (lowest, highest) = ratios.iter().fold((f64::MAX, f64::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
            println!(
                "| {} | {:.2} | {:.2} | {:.2} | {:.2} |",
                rounds_run[0][t].name,
                median(ratios),
                lowest,
                highest,
                median(p99s)
            );
        }
    }
    println!("\nEach round (req/s, and ÷ that round's bare):\n");
    for (i, round) in rounds_run.iter().enumerate() {
        let bare = round[0].per_second.max(1.0);
        let cells: Vec<String> =
            round.iter().map(|l| format!("{} {:.0} ({:.2})", l.name, l.per_second, l.per_second / bare)).collect();
        println!("- round {}: {}", i + 1, cells.join("; "));
    }
    println!("\n## Universe fork (1,000 forks each)\n");
    println!("| fixture | people | create from fixture ms | fork median µs | fork p99 µs | RSS per fork KiB |");
    println!("|---|---|---|---|---|---|");
    for f in &forks {
        println!(
            "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} |",
            f.fixture, f.people, f.create_ms, f.fork_median_us, f.fork_p99_us, f.rss_per_fork_kib
        );
    }
    if let [small, large] = &forks[..] {
        println!("\nfork median, large ÷ default: {:.2}", large.fork_median_us / small.fork_median_us.max(0.001));
    }
    if let Some(c) = &cold {
        println!("\n## Cold start (median of 10)\n");
        println!("| dtu serve → first auth.test ms | dtu --version ms | ratio |");
        println!("|---|---|---|");
        println!(
            "| {:.1} | {:.1} | {:.1} |",
            c.serve_to_first_auth_test_ms,
            c.process_start_ms,
            c.serve_to_first_auth_test_ms / c.process_start_ms.max(0.001)
        );
    }
    let out = json!({"throughput": summary, "rounds": rounds_run, "forks": forks, "cold_start": cold});
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/bench");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(dir.join("stack.json"), serde_json::to_string_pretty(&out).unwrap_or_default());
    let errors: u64 = rounds_run.iter().flatten().map(|l| l.errors).sum();
    if errors > 0 {
        eprintln!("{errors} requests failed during the load runs");
        std::process::exit(1);
    }
}
