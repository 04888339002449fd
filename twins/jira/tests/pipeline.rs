//! The twin behind twin-core's real request pipeline (universe routing, chaos,
//! journal), driven in-process: garbage never yields a 5xx, faults render in Jira's
//! dialect, the large generated fixture seeds quickly and searches stay paged.

use std::sync::Arc;
use std::time::Instant;

use axum::body::Body;
use axum::http::{Request, Response};
use base64::Engine;
use serde_json::Value;
use tower::ServiceExt;
use twin_core::{Config, Core, CreateUniverse, Fixture, FixtureLibrary, Twin};
use twin_jira::JiraTwin;

struct Site {
    router: axum::Router,
    auth: String,
    universe: Arc<twin_core::Universe>,
}

fn site_with(fixture: Fixture) -> Site {
    site_configured(fixture, Config::default())
}

fn site_configured(fixture: Fixture, config: Config) -> Site {
    let mut fixtures = FixtureLibrary::default();
    fixtures.insert("default", fixture);
    let twin: Arc<dyn Twin> = Arc::new(JiraTwin::new());
    let core = Arc::new(Core::new(config, vec![twin.clone()], fixtures, "default"));
    let universe =
        core.create_universe(CreateUniverse { id: Some("default".into()), ..Default::default() }).expect("universe");
    let manifest = twin.manifest(&universe, "http://jira.test");
    let email = manifest["email"].as_str().expect("email").to_string();
    let token = manifest["api_token"].as_str().expect("token").to_string();
    let auth = format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{email}:{token}")));
    Site { router: twin_core::serve::twin_router(core, twin), auth, universe }
}

fn default_fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/default.yaml");
    Fixture::from_file(std::path::Path::new(path)).expect("default fixture")
}

fn site() -> Site {
    site_with(default_fixture())
}

impl Site {
    async fn call(&self, method: &str, uri: &str, body: Option<&str>) -> (u16, Value, Response<Body>) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "jira.test")
            .header("authorization", &self.auth)
            .header("x-atlassian-token", "no-check");
        if body.is_some() {
            req = req.header("content-type", "application/json");
        }
        let req = req.body(Body::from(body.unwrap_or("").to_string())).expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("infallible");
        let (parts, body) = resp.into_parts();
        let bytes = axum::body::to_bytes(body, 1 << 24).await.expect("body");
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (parts.status.as_u16(), value, Response::from_parts(parts, Body::empty()))
    }
}

#[tokio::test]
async fn garbage_input_is_a_4xx_in_jiras_dialect_never_a_5xx() {
    let site = site();
    let bodies = [
        "",
        "{",
        "[]",
        "null",
        "\"x\"",
        "3",
        "{\"fields\": 3}",
        "{\"fields\": {\"summary\": []}}",
        "{\"fields\": {\"project\": {\"key\": \"ENG\"}, \"issuetype\": {\"name\": \"Task\"}, \"summary\": \"x\", \"labels\": [1]}}",
        "{\"update\": {\"labels\": [{\"add\": 1, \"remove\": 2}]}}",
        "{\"transition\": {\"id\": {}}}",
        "{\"issues\": [\"ENG-1\", 5, null]}",
        "{\"body\": {\"type\": \"doc\"}}",
        "{\"accountId\": 7}",
        "{\"jql\": 5}",
        "{\"name\": \"\", \"originBoardId\": \"x\"}",
        "{\"state\": \"sideways\"}",
        "\u{0}\u{1}",
    ];
    let paths = [
        "/rest/api/3/issue",
        "/rest/api/2/issue/ENG-1",
        "/rest/api/3/issue/ENG-1/transitions",
        "/rest/api/3/issue/ENG-1/comment",
        "/rest/api/2/issue/ENG-1/comment/10000",
        "/rest/api/3/issue/ENG-1/assignee",
        "/rest/api/3/issue/ENG-1/worklog",
        "/rest/api/3/issue/ENG-1/watchers",
        "/rest/api/3/issue/ENG-1/attachments",
        "/rest/api/3/issue/ENG-1/properties/p",
        "/rest/api/3/issue/bulk",
        "/rest/api/3/issueLink",
        "/rest/api/3/search/jql",
        "/rest/api/3/search/approximate-count",
        "/rest/api/3/jql/parse",
        "/rest/api/3/changelog/bulkfetch",
        "/rest/agile/1.0/sprint",
        "/rest/agile/1.0/sprint/1",
        "/rest/agile/1.0/sprint/2/issue",
        "/rest/agile/1.0/backlog/issue",
        "/rest/agile/1.0/board",
    ];
    for path in paths {
        for body in bodies {
            for method in ["POST", "PUT"] {
                let (status, value, resp) = site.call(method, path, Some(body)).await;
                assert!(status < 500, "{method} {path} {body:?} -> {status} {value}");
                if status >= 400 {
                    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
                    assert_eq!(ct, "application/json;charset=UTF-8", "{method} {path}");
                    assert!(
                        value["errorMessages"].is_array() && value["errors"].is_object(),
                        "{method} {path}: {value}"
                    );
                }
            }
        }
    }
    for query in [
        "jql=((((((((((((((((((((((((((((((((((((((((((((project%20%3D%20ENG))))))))))))))))))))))))))))))))))))))))))))",
        "jql=summary%20~%20%22%5C",
        "jql=%FF%FE",
        "jql=project%3DENG&maxResults=-5&nextPageToken=%00",
        "jql=project%3DENG&maxResults=99999999999999999999",
        "jql=project%3DENG&fields=-*all,%2A%2A",
        "jql=created%20%3E%20startOfDay(banana)",
        "jql=assignee%20in%20membersOf(%22nope%22)",
        "jql=cf%5B99999%5D%20%3D%201",
    ] {
        let (status, value, _) = site.call("GET", &format!("/rest/api/3/search/jql?{query}"), None).await;
        assert!(status < 500, "{query} -> {status} {value}");
    }
    let (status, value, _) = site.call("POST", "/rest/api/3/issue", Some("{")).await;
    assert_eq!(status, 400);
    assert!(value["errorMessages"][0].as_str().is_some_and(|m| m.contains("not valid JSON")));
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_in_jiras_dialect() {
    let site = site();
    let (status, value, _) = site.call("GET", "/rest/api/3/nothing/here", None).await;
    assert_eq!(status, 404);
    assert!(value["errorMessages"].is_array());
    let (status, value, _) = site.call("PATCH", "/rest/api/3/issue/ENG-1", None).await;
    assert_eq!(status, 405);
    assert!(value["errors"].is_object());
    let (status, _, _) = site.call("GET", "/rest/api/4/issue/ENG-1", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn faults_render_as_jira_answers() {
    use twin_core::Fault;
    let twin = JiraTwin::new();
    let resp = twin.render_fault(&Fault::RateLimited { retry_after_s: 2, class: String::new() });
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()["retry-after"], "2");
    assert_eq!(resp.headers()["x-ratelimit-remaining"], "0");
    assert!(resp.headers().contains_key("x-ratelimit-limit") && resp.headers().contains_key("x-ratelimit-reset"));
    let resp = twin.render_fault(&Fault::Error { status: 503, error: None });
    assert_eq!(resp.status().as_u16(), 503);
    assert_eq!(resp.headers()["retry-after"], "1");
    let bytes = axum::body::to_bytes(resp.into_body(), 1 << 16).await.expect("body");
    let body: Value = serde_json::from_slice(&bytes).expect("json");
    assert_eq!(body["errorMessages"][0], "Service Unavailable");
}

#[tokio::test]
async fn the_large_fixture_seeds_quickly_and_searches_page() {
    let started = Instant::now();
    let site = site_with(Fixture::generated(10_000));
    let seeded = started.elapsed();
    assert!(seeded.as_secs_f64() < 20.0, "seeding 10,000 people took {seeded:?}");
    let started = Instant::now();
    let (status, page, _) = site
        .call(
            "GET",
            "/rest/api/3/search/jql?jql=project%20%3D%20ENG%20AND%20status%20!%3D%20Done%20ORDER%20BY%20updated%20DESC&fields=summary,status,assignee&maxResults=50",
            None,
        )
        .await;
    assert_eq!(status, 200, "{page}");
    assert_eq!(page["issues"].as_array().map(Vec::len), Some(50));
    assert!(page["nextPageToken"].is_string());
    assert!(started.elapsed().as_secs_f64() < 10.0, "search took {:?}", started.elapsed());
    let (status, count, _) =
        site.call("POST", "/rest/api/3/search/approximate-count", Some("{\"jql\": \"project = ENG\"}")).await;
    assert_eq!(status, 200);
    assert_eq!(count["count"], 3334);
}

#[test]
fn the_state_exports_and_imports_unchanged() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/default.yaml");
    let mut fixtures = FixtureLibrary::default();
    fixtures.insert("default", Fixture::from_file(std::path::Path::new(path)).expect("default fixture"));
    let twin: Arc<dyn Twin> = Arc::new(JiraTwin::new());
    let core = Arc::new(Core::new(Config::default(), vec![twin], fixtures, "default"));
    let universe =
        core.create_universe(CreateUniverse { id: Some("default".into()), ..Default::default() }).expect("universe");
    let exported = core.export(&universe).expect("export");
    let jira = exported.services["jira"].clone();
    assert_eq!(jira["issues"].as_object().map(|m| m.len()), Some(15));
    core.import(&universe, exported.clone()).expect("import");
    let again = core.export(&universe).expect("export again");
    assert_eq!(again.services["jira"], jira);
}

#[tokio::test]
async fn the_classic_workflow_has_named_transitions() {
    let yaml = r#"
name: classic
company: {name: T, domain: t.test}
people:
  - {key: ann, first_name: Ann, last_name: Admin, email: ann@t.test}
groups:
  - {key: admins, name: Admins, members: [ann]}
jira:
  projects:
    - {key: OLD, name: Legacy, lead: ann, workflow: classic}
  issues:
    - {project: OLD, summary: Printer jams, reporter: ann}
"#;
    let site = site_with(Fixture::from_yaml("classic", yaml).expect("fixture"));
    let names = |v: &Value| -> Vec<String> {
        v["transitions"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|t| t["name"].as_str().map(str::to_string))
            .collect()
    };
    let (status, issue, _) = site.call("GET", "/rest/api/2/issue/OLD-1?fields=status", None).await;
    assert_eq!((status, issue["fields"]["status"]["name"].as_str()), (200, Some("Open")));
    let (_, t, _) = site.call("GET", "/rest/api/2/issue/OLD-1/transitions", None).await;
    assert_eq!(names(&t), ["Start Progress", "Resolve Issue", "Close Issue"]);
    let (status, _, _) =
        site.call("POST", "/rest/api/2/issue/OLD-1/transitions", Some(r#"{"transition": {"id": 5}}"#)).await;
    assert_eq!(status, 204);
    let (_, issue, _) = site.call("GET", "/rest/api/2/issue/OLD-1?fields=status,resolution", None).await;
    assert_eq!(issue["fields"]["status"]["name"], "Resolved");
    assert_eq!(issue["fields"]["resolution"]["name"], "Done");
    let (_, t, _) = site.call("GET", "/rest/api/2/issue/OLD-1/transitions", None).await;
    assert_eq!(names(&t), ["Close Issue", "Reopen Issue"]);
    let (status, _, _) =
        site.call("POST", "/rest/api/2/issue/OLD-1/transitions", Some(r#"{"transition": {"id": "3"}}"#)).await;
    assert_eq!(status, 204);
    let (_, issue, _) = site.call("GET", "/rest/api/2/issue/OLD-1?fields=status,resolution", None).await;
    assert_eq!(
        (issue["fields"]["status"]["name"].as_str(), issue["fields"]["resolution"].is_null()),
        (Some("Reopened"), true)
    );
    let (status, err, _) =
        site.call("POST", "/rest/api/2/issue/OLD-1/transitions", Some(r#"{"transition": {"id": "301"}}"#)).await;
    assert_eq!(status, 400);
    assert_eq!(err["errorMessages"][0], "Transition id '301' is not valid for this issue.");
    let bad = "name: b\ncompany: {name: T, domain: t.test}\npeople:\n  - {key: ann, first_name: A, last_name: A, email: ann@t.test}\njira:\n  projects:\n    - {key: X, name: X, lead: ann, workflow: kanban}\n";
    let fixture = Fixture::from_yaml("b", bad).expect("shared part parses");
    let twin: Arc<dyn Twin> = Arc::new(JiraTwin::new());
    let mut fixtures = FixtureLibrary::default();
    fixtures.insert("default", fixture);
    let core = Core::new(Config::default(), vec![twin], fixtures, "default");
    let err = core.create_universe(CreateUniverse::default()).err().map(|e| e.to_string()).unwrap_or_default();
    assert!(err.contains("unknown workflow 'kanban'"), "{err}");
}

/// Every key of a query's answer, page by page to the end (`maxResults` per page).
async fn keys_paged(site: &Site, jql: &str, per_page: usize) -> Vec<String> {
    let mut keys = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut body = serde_json::json!({"jql": jql, "maxResults": per_page, "fields": ["summary"]});
        if let Some(t) = &token {
            body["nextPageToken"] = Value::String(t.clone());
        }
        let (status, value, _) = site.call("POST", "/rest/api/3/search/jql", Some(&body.to_string())).await;
        assert_eq!(status, 200, "{jql}: {value}");
        let page = value["issues"].as_array().expect("issues");
        assert!(page.len() <= per_page);
        keys.extend(page.iter().map(|i| i["key"].as_str().expect("key").to_string()));
        match value["nextPageToken"].as_str() {
            Some(t) => {
                assert_eq!(value["isLast"], false);
                token = Some(t.to_string());
            }
            None => {
                assert_eq!(value["isLast"], true, "{jql}: the last page says so");
                return keys;
            }
        }
        assert!(keys.len() < 10_000, "{jql}: pages never end");
    }
}

/// A query pinned to projects and ordered by `updated` walks the issue index and
/// stops at the page; the same query written so that nothing pins it (an OR) scans
/// and sorts the site. Both must give the same issues in the same order, page after
/// page, after edits that move issues in that order and with ties on `updated`.
#[tokio::test]
async fn indexed_search_pages_agree_with_the_scan() {
    let site = site();
    // A frozen clock, moved on every sixth issue: `updated` ties (four ENG issues at
    // a time), as on a busy site, and ties must still come out in the scan's order.
    site.universe.clock.set(chrono::Utc::now(), true);
    for n in 0..18 {
        if n % 6 == 0 {
            site.universe.clock.advance(chrono::Duration::seconds(1));
        }
        let project = if n % 3 == 0 { "OPS" } else { "ENG" };
        let body = format!(
            r#"{{"fields": {{"project": {{"key": "{project}"}}, "issuetype": {{"name": "Task"}}, "summary": "Indexed {n}"}}}}"#
        );
        let (status, value, _) = site.call("POST", "/rest/api/3/issue", Some(&body)).await;
        assert_eq!(status, 201, "{value}");
    }
    // Edits move older issues to the front of `updated DESC`.
    site.universe.clock.advance(chrono::Duration::seconds(1));
    for key in ["ENG-1", "OPS-1", "ENG-3"] {
        let (status, value, _) =
            site.call("PUT", &format!("/rest/api/3/issue/{key}"), Some(r#"{"fields": {"summary": "Edited"}}"#)).await;
        assert_eq!(status, 204, "{key}: {value}");
    }
    for (indexed, scanned) in [
        ("project = ENG ORDER BY updated DESC", "(project = ENG OR project = ENG) ORDER BY updated DESC"),
        ("project = ENG ORDER BY updated ASC", "(project = ENG OR project = ENG) ORDER BY updated ASC"),
        ("project in (ENG, OPS) ORDER BY updated DESC", "(project = ENG OR project = OPS) ORDER BY updated DESC"),
        (
            "project = ENG AND status != Done ORDER BY updated DESC",
            "(project = ENG OR project = ENG) AND status != Done ORDER BY updated DESC",
        ),
    ] {
        let all = keys_paged(&site, scanned, 100).await;
        assert!(all.len() > 18, "{scanned}: {all:?}");
        for per_page in [1, 3, 7] {
            assert_eq!(keys_paged(&site, indexed, per_page).await, all, "{indexed}, {per_page} per page");
        }
    }
}

/// Under `--realistic-limits`, writes to one issue count against Jira's per-issue
/// write limit (20 in 2 seconds, whoever writes): the 21st is a 429 whose
/// `RateLimit-Reason` names that limiter, another issue is still writable, and the
/// universe clock moving on refills it.
#[tokio::test]
async fn per_issue_write_limit_under_realistic_limits() {
    let site = site_configured(default_fixture(), Config { realistic_limits: true, ..Config::default() });
    site.universe.clock.set(chrono::Utc::now(), true);
    let edit = r#"{"fields": {"summary": "Edited again"}}"#;
    for n in 0..20 {
        let (status, value, _) = site.call("PUT", "/rest/api/3/issue/ENG-1", Some(edit)).await;
        assert_eq!(status, 204, "write {n}: {value}");
    }
    let (status, value, resp) = site.call("PUT", "/rest/api/3/issue/ENG-1", Some(edit)).await;
    assert_eq!(status, 429, "{value}");
    assert_eq!(resp.headers()["ratelimit-reason"], "jira-per-issue-on-write");
    assert!(resp.headers()["retry-after"].to_str().expect("ascii").parse::<u64>().is_ok());
    assert_eq!(value["errorMessages"][0], "Rate limit exceeded.");
    // Reads of that issue, and writes to another, are not limited by it.
    let (status, _, _) = site.call("GET", "/rest/api/3/issue/ENG-1", None).await;
    assert_eq!(status, 200);
    let (status, value, _) = site.call("PUT", "/rest/api/3/issue/ENG-2", Some(edit)).await;
    assert_eq!(status, 204, "{value}");
    site.universe.clock.advance(chrono::Duration::seconds(3));
    let (status, value, _) = site.call("PUT", "/rest/api/3/issue/ENG-1", Some(edit)).await;
    assert_eq!(status, 204, "{value}");
}

/// A site past its state budget refuses new issues but still answers searches,
/// which Jira's clients send as POSTs.
#[tokio::test]
async fn a_full_site_refuses_writes_but_answers_searches() {
    let config = Config { state_budget_records: 10, ..Config::default() };
    let site = site_configured(default_fixture(), config);
    let issue = r#"{"fields": {"project": {"key": "ENG"}, "issuetype": {"name": "Task"}, "summary": "one more"}}"#;
    let (status, _, _) = site.call("POST", "/rest/api/3/issue", Some(issue)).await;
    assert_eq!(status, 403, "a write past the budget is refused");
    let search = r#"{"jql": "project = ENG ORDER BY updated DESC", "maxResults": 5, "fields": ["summary"]}"#;
    let (status, body, _) = site.call("POST", "/rest/api/3/search/jql", Some(search)).await;
    assert_eq!(status, 200, "{body}");
    assert!(!body["issues"].as_array().expect("issues").is_empty());
    let (status, body, _) = site.call("POST", "/rest/api/3/jql/parse", Some(r#"{"queries": ["project = ENG"]}"#)).await;
    assert_eq!(status, 200, "{body}");
}
