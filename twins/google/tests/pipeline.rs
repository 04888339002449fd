//! The twin behind twin-core's real request pipeline, in-process: bad input of
//! every kind answers Google's envelope with a 4xx (never a 5xx), resumable
//! sessions used out of order are refused without writing, uploaded bytes fork
//! and export with the universe, faults render in Google's dialect, and the
//! 10,000-person fixture seeds.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::Request;
use serde_json::{json, Value};
use tower::ServiceExt;
use twin_core::{Config, Core, CreateUniverse, Fixture, FixtureLibrary, Twin};
use twin_google::GoogleTwin;

struct Domain {
    router: axum::Router,
    token: String,
    core: Arc<Core>,
}

fn domain() -> Domain {
    domain_configured(Config::default())
}

fn domain_configured(config: Config) -> Domain {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/default.yaml");
    let mut fixtures = FixtureLibrary::default();
    fixtures.insert("default", Fixture::from_file(std::path::Path::new(path)).expect("default fixture"));
    fixtures.insert("large", Fixture::generated(10_000));
    let twin: Arc<dyn Twin> = Arc::new(GoogleTwin::new());
    let core = Arc::new(Core::new(config, vec![twin.clone()], fixtures, "default"));
    let universe =
        core.create_universe(CreateUniverse { id: Some("default".into()), ..Default::default() }).expect("universe");
    let token = universe.credential_of("google", "access_token").expect("a token");
    Domain { router: twin_core::serve::twin_router(core.clone(), twin), token, core }
}

struct Reply {
    status: u16,
    headers: axum::http::HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl Domain {
    async fn call(&self, method: &str, uri: &str, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Reply {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "google.test")
            .header("authorization", format!("Bearer {}", self.token));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let req = req.body(Body::from(body.into())).expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 26).await.expect("body").to_vec();
        Reply { status: parts.status.as_u16(), headers: parts.headers, body: bytes }
    }

    async fn upload(&self, name: &str, data: &[u8]) -> String {
        let mut body = format!("--b\r\ncontent-type: application/json\r\n\r\n{{\"name\":\"{name}\"}}\r\n--b\r\ncontent-type: text/plain\r\n\r\n").into_bytes();
        body.extend_from_slice(data);
        body.extend_from_slice(b"\r\n--b--");
        let r = self
            .call(
                "POST",
                "/upload/drive/v3/files?uploadType=multipart",
                &[("content-type", "multipart/related; boundary=b")],
                body,
            )
            .await;
        assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
        r.json()["id"].as_str().expect("id").to_string()
    }
}

fn is_google_error(r: &Reply) -> bool {
    let e = &r.json()["error"];
    e["code"].as_u64() == Some(r.status as u64)
        && e["errors"][0]["reason"].is_string()
        && e["message"] == e["errors"][0]["message"]
}

#[tokio::test]
async fn bad_input_is_a_4xx_in_googles_envelope() {
    let d = domain();
    let id = d.upload("x.txt", b"abc").await;
    let json_ct = [("content-type", "application/json")];
    type Case<'a> = (&'a str, String, Vec<(&'a str, &'a str)>, Vec<u8>);
    let cases: Vec<Case> = vec![
        ("POST", "/drive/v3/files".into(), json_ct.to_vec(), b"{\"name\":".to_vec()),
        ("POST", "/drive/v3/files".into(), json_ct.to_vec(), b"[1,2]".to_vec()),
        ("POST", "/drive/v3/files".into(), json_ct.to_vec(), b"{\"name\": 5}".to_vec()),
        ("POST", "/drive/v3/files".into(), json_ct.to_vec(), b"{\"parents\": [\"nope\"]}".to_vec()),
        ("POST", "/drive/v3/files".into(), json_ct.to_vec(), b"{\"parents\": [\"a\", \"b\"]}".to_vec()),
        ("POST", "/drive/v3/files".to_string(), json_ct.to_vec(), format!("{{\"parents\": [\"{id}\"]}}").into_bytes()),
        (
            "POST",
            "/upload/drive/v3/files?uploadType=multipart".into(),
            vec![("content-type", "multipart/related")],
            b"x".to_vec(),
        ),
        (
            "POST",
            "/upload/drive/v3/files?uploadType=multipart".into(),
            vec![("content-type", "multipart/related; boundary=q")],
            b"--q\n\n{}\n--q--".to_vec(),
        ),
        ("POST", "/upload/drive/v3/files?uploadType=bogus".into(), vec![], b"x".to_vec()),
        ("GET", "/drive/v3/files?q=name%20%3D".into(), vec![], vec![]),
        ("GET", format!("/drive/v3/files?q={}", "(".repeat(100)), vec![], vec![]),
        ("GET", "/drive/v3/files?fields=files(".into(), vec![], vec![]),
        ("GET", "/drive/v3/files?pageSize=-4".into(), vec![], vec![]),
        ("GET", "/drive/v3/files?pageSize=abc".into(), vec![], vec![]),
        ("GET", "/drive/v3/files?pageToken=%00%01".into(), vec![], vec![]),
        ("GET", "/drive/v3/files?corpora=everything".into(), vec![], vec![]),
        ("GET", "/drive/v3/files?supportsAllDrives=maybe".into(), vec![], vec![]),
        ("GET", "/drive/v3/files/generateIds?count=100000".into(), vec![], vec![]),
        ("GET", "/drive/v3/files/%E2%9C%93".into(), vec![], vec![]),
        ("GET", format!("/drive/v3/files/{id}/export"), vec![], vec![]),
        ("PATCH", format!("/drive/v3/files/{id}?addParents=nope"), json_ct.to_vec(), b"{}".to_vec()),
        ("PATCH", format!("/drive/v3/files/{id}?removeParents=nope"), json_ct.to_vec(), b"{}".to_vec()),
        (
            "POST",
            format!("/drive/v3/files/{id}/permissions"),
            json_ct.to_vec(),
            b"{\"type\":\"user\",\"role\":\"reader\"}".to_vec(),
        ),
        (
            "POST",
            format!("/drive/v3/files/{id}/permissions"),
            json_ct.to_vec(),
            b"{\"type\":\"robot\",\"role\":\"reader\"}".to_vec(),
        ),
        ("GET", "/drive/v3/changes?pageToken=zz".into(), vec![], vec![]),
        ("GET", "/drive/v3/changes".into(), vec![], vec![]),
        ("POST", "/drive/v3/drives".into(), json_ct.to_vec(), b"{\"name\":\"x\"}".to_vec()),
        ("GET", "/drive/v3/nothing/here".into(), vec![], vec![]),
        ("PUT", "/drive/v3/files".into(), vec![], vec![]),
        ("POST", "/batch/drive/v3".into(), vec![("content-type", "multipart/mixed; boundary=z")], b"garbage".to_vec()),
        ("PUT", "/upload/drive/v3/files?upload_id=unknown".into(), vec![], b"x".to_vec()),
    ];
    for (method, uri, headers, body) in cases {
        let r = d.call(method, &uri, &headers, body).await;
        assert!((400..500).contains(&r.status), "{method} {uri} -> {} {}", r.status, String::from_utf8_lossy(&r.body));
        assert!(is_google_error(&r), "{method} {uri}: {}", String::from_utf8_lossy(&r.body));
    }
    // Unauthenticated: 401 with the front-end's status.
    let req = Request::builder().uri("/drive/v3/files").header("host", "google.test").body(Body::empty()).expect("req");
    let resp = d.router.clone().oneshot(req).await.expect("infallible");
    assert_eq!(resp.status().as_u16(), 401);
}

#[tokio::test]
async fn resumable_sessions_in_order_and_out_of_order() {
    let d = domain();
    let start = d
        .call(
            "POST",
            "/upload/drive/v3/files?uploadType=resumable&fields=id,size",
            &[
                ("content-type", "application/json"),
                ("x-upload-content-type", "text/plain"),
                ("x-upload-content-length", "10"),
            ],
            b"{\"name\":\"r.txt\"}".to_vec(),
        )
        .await;
    assert_eq!(start.status, 200);
    let location = start.headers.get("location").and_then(|v| v.to_str().ok()).expect("Location").to_string();
    assert!(location.starts_with("http://google.test/upload/drive/v3/files?"), "{location}");
    let path = location.trim_start_matches("http://google.test");
    let r = d.call("PUT", path, &[("content-range", "bytes 4-5/10")], b"ef".to_vec()).await;
    assert_eq!(r.status, 400, "a chunk past what was received is refused");
    let r = d.call("PUT", path, &[("content-range", "bytes 0-3/10")], b"abcd".to_vec()).await;
    assert_eq!(r.status, 308);
    assert_eq!(r.headers.get("range").and_then(|v| v.to_str().ok()), Some("bytes=0-3"));
    let r = d.call("PUT", path, &[("content-range", "bytes */10")], Vec::new()).await;
    assert_eq!((r.status, r.headers.get("range").and_then(|v| v.to_str().ok())), (308, Some("bytes=0-3")));
    let r = d.call("PUT", path, &[("content-range", "bytes 2-3/10")], b"cd".to_vec()).await;
    assert_eq!(r.status, 308, "a resent chunk is absorbed");
    let r = d.call("PUT", path, &[("content-range", "bytes 4-9/10")], b"efghij".to_vec()).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["size"], "10");
    let id = r.json()["id"].as_str().expect("id").to_string();
    let got = d.call("GET", &format!("/drive/v3/files/{id}?alt=media"), &[], Vec::new()).await;
    assert_eq!(got.body, b"abcdefghij");
    let r = d.call("PUT", path, &[("content-range", "bytes 0-0/10")], b"a".to_vec()).await;
    assert_eq!(r.status, 404, "the session is over");
}

#[tokio::test]
async fn uploaded_bytes_fork_and_export_with_the_universe() {
    let d = domain();
    let id = d.upload("kept.txt", b"original").await;
    let fork = d
        .core
        .create_universe(CreateUniverse { id: Some("fork".into()), from: Some("default".into()), ..Default::default() })
        .expect("fork");
    let _ = fork;
    let media = "multipart/related; boundary=b";
    let body =
        b"--b\r\ncontent-type: application/json\r\n\r\n{}\r\n--b\r\ncontent-type: text/plain\r\n\r\nchanged\r\n--b--"
            .to_vec();
    let r = d
        .call("PATCH", &format!("/upload/drive/v3/files/{id}?uploadType=multipart"), &[("content-type", media)], body)
        .await;
    assert_eq!(r.status, 200);
    let now = d.call("GET", &format!("/drive/v3/files/{id}?alt=media"), &[], Vec::new()).await;
    assert_eq!(now.body, b"changed");
    let then = d.call("GET", &format!("/u/fork/drive/v3/files/{id}?alt=media"), &[], Vec::new()).await;
    assert_eq!(then.status, 401, "the default universe's token is not the fork's");
    let fork = d.core.universe("fork").expect("fork");
    let fork_token = fork.credential_of("google", "access_token").expect("token");
    let req = Request::builder()
        .uri(format!("/drive/v3/files/{id}?alt=media"))
        .header("host", "google.test")
        .header("authorization", format!("Bearer {fork_token}"))
        .body(Body::empty())
        .expect("req");
    let resp = d.router.clone().oneshot(req).await.expect("infallible");
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20).await.expect("body");
    assert_eq!(&bytes[..], b"original", "the fork keeps the bytes it was forked with");
    let export = d.core.export(&d.core.universe("default").expect("default")).expect("export");
    let text = serde_json::to_string(&export).expect("serializes");
    assert!(text.contains(&base64_of(b"changed")), "the export carries the bytes");
}

#[tokio::test]
async fn the_export_shows_what_documents_and_spreadsheets_show() {
    let d = domain();
    let u = d.core.universe("default").expect("default");
    let state = u.world().stores().find(|s| s.service() == "google").expect("google").export().expect("export");
    let views = state["editor_views"].as_object().expect("editor_views");
    let named = |name: &str| views.values().find(|v| v["name"] == name).cloned().expect(name);
    // Seeded as CSV: formulas are computed, empty rows kept as [] so row numbers hold.
    let headcount = named("Headcount 2027");
    let values = &headcount["sheets"][0]["values"];
    assert_eq!(values[0][6], "FTE");
    assert_eq!(values[16], json!([]));
    assert_eq!(values[18], json!(["Total FTE", "", "", "", "", "", "14"]));
    assert_eq!(headcount["sheets"][0]["formulas"]["G19"], "=SUM(G2:G16)");
    let postmortem = named("Postmortem INC-101");
    assert!(postmortem["text"].as_str().unwrap().starts_with("Postmortem: INC-101"));
    assert_eq!(postmortem["paragraphs"][1]["style"], "NORMAL_TEXT");
    assert!(views.values().all(|v| v["mime_type"].as_str().unwrap().starts_with("application/vnd.google-apps.")));
    // Derived: an import of the export ignores it, and the state round-trips.
    let back = twin_google::GoogleTwin::new().import(state.clone()).expect("import");
    assert_eq!(back.export().expect("export"), state);
}

fn base64_of(data: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(data)
}

#[tokio::test]
async fn faults_render_in_googles_dialect() {
    let d = domain();
    let twin = GoogleTwin::new();
    for (fault, status, reason) in [
        (twin_core::Fault::RateLimited { retry_after_s: 1, class: String::new() }, 403, "userRateLimitExceeded"),
        (twin_core::Fault::Error { status: 429, error: None }, 429, "rateLimitExceeded"),
        (twin_core::Fault::Error { status: 503, error: None }, 503, "backendError"),
        (twin_core::Fault::Error { status: 403, error: Some("rateLimitExceeded".into()) }, 403, "rateLimitExceeded"),
    ] {
        let resp = twin.render_fault(&fault);
        assert_eq!(resp.status().as_u16(), status);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 16).await.expect("body");
        let v: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(v["error"]["errors"][0]["reason"], reason);
    }
    let _ = d;
}

#[tokio::test]
async fn the_large_fixture_seeds() {
    let d = domain();
    let started = Instant::now();
    let u = d
        .core
        .create_universe(CreateUniverse {
            id: Some("big".into()),
            fixture: serde_json::from_value(json!("large")).ok(),
            ..Default::default()
        })
        .expect("large");
    let took = started.elapsed();
    let users = u.read::<twin_google::model::GoogleState, _>(|s| s.users.len()).expect("state");
    assert_eq!(users, 10_001, "10,000 people and the service account");
    let tokens = u.credentials().iter().filter(|c| c.principal.service == "google").count();
    assert_eq!(tokens, 1, "a large domain seeds the admin's token only, so forks stay O(1)");
    eprintln!("seeded 10,000 people in {took:?}");
}

#[tokio::test]
async fn a_full_universe_refuses_new_files_as_a_full_quota() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/default.yaml");
    let mut fixtures = FixtureLibrary::default();
    fixtures.insert("default", Fixture::from_file(std::path::Path::new(path)).expect("default fixture"));
    let twin: Arc<dyn Twin> = Arc::new(GoogleTwin::new());
    let config = Config { state_budget_records: 10, ..Config::default() };
    let core = Arc::new(Core::new(config, vec![twin.clone()], fixtures, "default"));
    let universe =
        core.create_universe(CreateUniverse { id: Some("default".into()), ..Default::default() }).expect("universe");
    let token = universe.credential_of("google", "access_token").expect("a token");
    let d = Domain { router: twin_core::serve::twin_router(core.clone(), twin), token, core };
    let r =
        d.call("POST", "/drive/v3/files", &[("content-type", "application/json")], b"{\"name\":\"x\"}".to_vec()).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.json()["error"]["errors"][0]["reason"], "storageQuotaExceeded");
    let r = d.call("GET", "/drive/v3/files?pageSize=1", &[], Vec::new()).await;
    assert_eq!(r.status, 200, "reads pass");
    let r = d
        .call(
            "POST",
            "/token",
            &[("content-type", "application/x-www-form-urlencoded")],
            b"grant_type=refresh_token&refresh_token=nope&client_id=x&client_secret=y".to_vec(),
        )
        .await;
    assert_eq!(r.json()["error"], "invalid_client", "sign-in is not refused as a write");
}

#[tokio::test]
async fn generated_files_for_scale_list_fast_enough() {
    let mut fixture = Fixture::generated(1_000);
    fixture.google = Some(json!({"generated_files_per_person": 20}));
    let mut fixtures = FixtureLibrary::default();
    fixtures.insert("default", fixture);
    let twin: Arc<dyn Twin> = Arc::new(GoogleTwin::new());
    let core = Arc::new(Core::new(Config::default(), vec![twin.clone()], fixtures, "default"));
    let started = Instant::now();
    let universe =
        core.create_universe(CreateUniverse { id: Some("default".into()), ..Default::default() }).expect("universe");
    let seeded = started.elapsed();
    let files = universe.read::<twin_google::model::GoogleState, _>(|s| s.drive.files.len()).expect("state");
    assert_eq!(
        files,
        1_000 * 20 + 1_000 * 2 + 1,
        "files, each person's root and Generated folder, the service account's root"
    );
    let token = universe.credential_of("google", "access_token").expect("a token");
    let d = Domain { router: twin_core::serve::twin_router(core.clone(), twin), token, core };
    let started = Instant::now();
    let r = d
        .call("GET", "/drive/v3/files?corpora=domain&q=name%20contains%20%27Report%27&pageSize=100&fields=files(id,name,mimeType,modifiedTime),nextPageToken", &[], Vec::new())
        .await;
    let listed = started.elapsed();
    assert_eq!(r.status, 200);
    let page = r.json();
    assert_eq!(page["files"].as_array().map(Vec::len), Some(100));
    assert!(page["nextPageToken"].is_string());
    eprintln!("seeded {files} files in {seeded:?}; one page of a q over them in {listed:?}");
}

/// Random text over the grammars' own alphabet: `q` and `fields` parse or refuse,
/// never panic, and the list handler answers 200 or a 4xx, never a 5xx.
#[tokio::test]
async fn random_queries_and_selectors_never_fail_the_server() {
    use twin_google::drive::fields::Selection;
    use twin_google::drive::query::Query;
    const ALPHABET: &[&str] = &[
        "name",
        " ",
        "contains",
        "'",
        "\\",
        "=",
        "!=",
        "<",
        ">=",
        "(",
        ")",
        "and",
        "or",
        "not",
        "in",
        "parents",
        "'x'",
        "trashed",
        "true",
        "false",
        "has",
        "{",
        "}",
        "key",
        "value",
        "modifiedTime",
        "'2026-01-01'",
        "fullText",
        ",",
        "files",
        "id",
        "*",
        "/",
        "\"",
        "é",
        "\u{0}",
    ];
    let d = domain();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for i in 0..4000 {
        let len = (next() % 12) as usize;
        let text: String = (0..len).map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize]).collect();
        let _ = Query::parse(&text);
        let _ = Selection::parse(&text);
        if i % 40 == 0 {
            let encoded: String = form_urlencoded::byte_serialize(text.as_bytes()).collect();
            for param in ["q", "fields", "orderBy", "pageToken"] {
                let r = d.call("GET", &format!("/drive/v3/files?{param}={encoded}"), &[], Vec::new()).await;
                assert!(r.status == 200 || (400..500).contains(&r.status), "{param}={text:?} -> {}", r.status);
            }
        }
    }
}

/// Under `--realistic-limits`, Sheets counts a user's reads and writes apart, 60 a
/// minute each: the 61st read is Google's 429 RESOURCE_EXHAUSTED naming the quota,
/// a write still passes, and a minute on the universe clock refills the reads.
#[tokio::test]
async fn sheets_per_minute_quotas_under_realistic_limits() {
    let d = domain_configured(Config { realistic_limits: true, ..Config::default() });
    let u = d.core.universe("default").expect("default");
    u.clock.set(chrono::Utc::now(), true);
    let created = d.call("POST", "/v4/spreadsheets", &[("content-type", "application/json")], "{}").await;
    assert_eq!(created.status, 200, "{}", String::from_utf8_lossy(&created.body));
    let id = created.json()["spreadsheetId"].as_str().expect("id").to_string();
    let read = format!("/v4/spreadsheets/{id}/values/A1:B2");
    for n in 0..60 {
        let r = d.call("GET", &read, &[], "").await;
        assert_eq!(r.status, 200, "read {n}: {}", String::from_utf8_lossy(&r.body));
    }
    let r = d.call("GET", &read, &[], "").await;
    assert_eq!(r.status, 429);
    let body = r.json();
    assert_eq!(body["error"]["status"], "RESOURCE_EXHAUSTED");
    assert!(body["error"]["message"].as_str().unwrap().contains("'Read requests per minute per user'"), "{body}");
    assert_eq!(body["error"]["details"][0]["reason"], "RATE_LIMIT_EXCEEDED");
    assert!(r.headers.contains_key("retry-after"));
    let write = d
        .call(
            "PUT",
            &format!("{read}?valueInputOption=RAW"),
            &[("content-type", "application/json")],
            r#"{"values": [["a", "b"]]}"#,
        )
        .await;
    assert_eq!(write.status, 200, "{}", String::from_utf8_lossy(&write.body));
    u.clock.advance(chrono::Duration::seconds(60));
    assert_eq!(d.call("GET", &read, &[], "").await.status, 200);
}
