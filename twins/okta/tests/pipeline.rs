//! The twin behind twin-core's real request pipeline (universe routing, chaos,
//! journal), driven in-process: what the SDK suites cannot easily reach —
//! malformed input never yields a 5xx, cursors walk to the end, faults render
//! in the vendor's dialect.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, Response};
use serde_json::{json, Value};
use tower::ServiceExt;
use twin_core::{Config, Core, CreateUniverse, Fixture, FixtureLibrary, Twin};
use twin_okta::OktaTwin;

struct Org {
    router: axum::Router,
    token: String,
    core: Arc<Core>,
}

fn org() -> Org {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures/default.yaml");
    let mut fixtures = FixtureLibrary::default();
    fixtures.insert("default", Fixture::from_file(std::path::Path::new(path)).expect("default fixture"));
    let twin: Arc<dyn Twin> = Arc::new(OktaTwin::new());
    let core = Arc::new(Core::new(Config::default(), vec![twin.clone()], fixtures, "default"));
    let universe =
        core.create_universe(CreateUniverse { id: Some("default".into()), ..Default::default() }).expect("universe");
    let token = universe.credential_of("okta", "api_token").expect("api token");
    Org { router: twin_core::serve::twin_router(core.clone(), twin), token, core }
}

impl Org {
    async fn call(&self, method: &str, uri: &str, body: Option<&str>) -> (u16, Value, Response<Body>) {
        let mut req = Request::builder()
            .method(method)
            .uri(uri)
            .header("host", "okta.test")
            .header("authorization", format!("SSWS{}", self.token));
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

fn next_link(resp: &Response<Body>) -> Option<String> {
    resp.headers()
        .get_all("link")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|l| l.ends_with("rel=\"next\""))
        .map(|l| l[1..l.find('>').unwrap_or(1)].trim_start_matches("http://okta.test").to_string())
}

#[tokio::test]
async fn cursors_walk_every_listing_to_the_end() {
    let org = org();
    for (first, expected) in [
        ("/api/v1/users?limit=1", 14),
        ("/api/v1/users?limit=4&search=status%20pr", 15),
        ("/api/v1/groups?limit=2", 7),
        ("/api/v1/apps?limit=3", 4),
    ] {
        let (mut seen, mut url) = (0, Some(first.to_string()));
        let mut pages = 0;
        while let Some(u) = url {
            let (status, body, resp) = org.call("GET", &u, None).await;
            assert_eq!(status, 200, "{u}: {body}");
            seen += body.as_array().map_or(0, Vec::len);
            url = next_link(&resp);
            pages += 1;
            assert!(pages < 100, "{first} does not end");
        }
        assert_eq!(seen, expected, "{first}");
    }
}

#[tokio::test]
async fn garbage_input_is_a_4xx_in_the_vendor_dialect_never_a_5xx() {
    let org = org();
    let (_, users, _) = org.call("GET", "/api/v1/users?limit=1", None).await;
    let uid = users[0]["id"].as_str().unwrap_or_default().to_string();
    let bodies = ["", "{", "[]", "null", "\"x\"", "{\"profile\": 3}", "{\"profile\": {\"login\": []}}", "\u{0}\u{1}"];
    let paths = [
        "/api/v1/users".to_string(),
        format!("/api/v1/users/{uid}"),
        format!("/api/v1/users/{uid}/lifecycle/suspend"),
        format!("/api/v1/users/{uid}/lifecycle/nope"),
        format!("/api/v1/users/{uid}/factors"),
        format!("/api/v1/users/{uid}/credentials/change_password"),
        "/api/v1/groups".to_string(),
        "/api/v1/apps".to_string(),
        "/api/v1/authn".to_string(),
        "/oauth2/v1/token".to_string(),
        "/oauth2/default/v1/token".to_string(),
        "/oauth2/default/v1/introspect".to_string(),
        "/oauth2/default/v1/revoke".to_string(),
    ];
    for path in &paths {
        for body in bodies {
            for method in ["POST", "PUT"] {
                let (status, value, resp) = org.call(method, path, Some(body)).await;
                assert!(status < 500, "{method} {path} {body:?} -> {status} {value}");
                if status >= 400 {
                    let ct = resp.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("");
                    assert_eq!(ct, "application/json", "{method} {path}");
                    assert!(
                        value.get("errorCode").is_some() || value.get("error").is_some(),
                        "{method} {path}: {value}"
                    );
                }
            }
        }
    }
    for query in [
        "search=((((((((((((((((((((((((((((((((((((a%20eq%20%22b%22))))))))))))))))))))))))))))))))))))",
        "search=profile.x%20eq%20%22%5C",
        "filter=%FF%FE",
        "limit=-5&after=%00",
        "limit=99999999999999999999",
        "sortBy=profile.login&search=id%20pr&sortOrder=sideways",
        "q=%F0%9F%92%A9",
    ] {
        let (status, value, _) = org.call("GET", &format!("/api/v1/users?{query}"), None).await;
        assert!(status < 500, "{query} -> {status} {value}");
    }
    let (status, value, _) = org.call("POST", "/api/v1/users", Some("{")).await;
    assert_eq!((status, value["errorCode"].as_str()), (400, Some("E0000003")));
}

#[tokio::test]
async fn injected_faults_render_as_okta_errors_and_are_journaled() {
    let org = org();
    let universe = org.core.universe("default").expect("universe");
    let rule: twin_core::chaos::RuleSpec = serde_json::from_value(json!({
        "match": {"service": "okta", "operation": "okta.users.list"},
        "trigger": {"first_n": 1},
        "action": {"kind": "rate_limit", "retry_after_s": 7}
    }))
    .expect("rule");
    universe.chaos.add(rule, &["okta"]).expect("add rule");
    let (status, body, resp) = org.call("GET", "/api/v1/users", None).await;
    assert_eq!(status, 429);
    assert_eq!(body["errorCode"], "E0000047");
    let resets: Vec<_> = resp.headers().get_all("x-rate-limit-reset").iter().collect();
    assert_eq!(resets.len(), 1);
    assert!(resp.headers().contains_key("date"));
    assert_eq!(resp.headers().get("x-rate-limit-remaining").and_then(|v| v.to_str().ok()), Some("0"));
    let (status, _, _) = org.call("GET", "/api/v1/users", None).await;
    assert_eq!(status, 200);
    let ops: Vec<(String, u16)> = universe
        .journal
        .query(&twin_core::journal::Filter::default())
        .iter()
        .map(|e| (e.operation.clone(), e.status))
        .collect();
    assert_eq!(ops, vec![("okta.users.list".to_string(), 429), ("okta.users.list".to_string(), 200)]);
}

#[tokio::test]
async fn app_assignments_refuse_unknown_credentials_and_unnamed_profile_attributes() {
    let org = org();
    let (_, users, _) = org.call("GET", "/api/v1/users?limit=2", None).await;
    let uid = users[1]["id"].as_str().unwrap_or_default().to_string();
    let (_, groups, _) = org.call("GET", "/api/v1/groups?limit=1", None).await;
    let gid = groups[0]["id"].as_str().unwrap_or_default().to_string();
    let (_, apps, _) = org.call("GET", "/api/v1/apps?limit=1", None).await;
    let app = apps[0]["id"].as_str().unwrap_or_default().to_string();
    let refused = |value: &Value, field: &str| {
        assert_eq!(value["errorCode"], "E0000001", "{value}");
        assert_eq!(value["errorSummary"], format!("Api validation failed: {field}"), "{value}");
        let causes = value["errorCauses"].as_array().cloned().unwrap_or_default();
        assert_eq!(causes.len(), 1, "{value}");
    };

    let users_path = format!("/api/v1/apps/{app}/users");
    for (body, field) in [
        (json!({"id": uid, "credentials": {"userName": "x@acme.test", "secretSauce": "stored?"}}), "credentials"),
        (json!({"id": uid, "credentials": {"password": {"value": "pw", "hash": "h"}}}), "password"),
        (json!({"id": uid, "credentials": {"userName": ""}}), "userName"),
        (json!({"id": uid, "credentials": {"userName": 7}}), "userName"),
        (json!({"id": uid, "profile": {"": null}}), "profile"),
    ] {
        let (status, value, _) = org.call("POST", &users_path, Some(&body.to_string())).await;
        assert_eq!(status, 400, "{body} -> {value}");
        refused(&value, field);
    }
    let (status, value, _) = org.call("GET", &format!("{users_path}/{uid}"), None).await;
    assert_eq!(status, 404, "nothing was assigned by a refused call: {value}");

    let body = json!({"id": uid, "credentials": {"userName": "x@acme.test", "password": {"value": "pw"}}, "profile": {"role": "admin"}});
    let (status, value, _) = org.call("POST", &users_path, Some(&body.to_string())).await;
    assert_eq!(status, 200, "{value}");
    assert_eq!(value["credentials"], json!({"userName": "x@acme.test", "password": {}}));
    let update = json!({"credentials": {"extra": 1}});
    let (status, value, _) = org.call("POST", &format!("{users_path}/{uid}"), Some(&update.to_string())).await;
    assert_eq!(status, 400, "{value}");
    refused(&value, "credentials");

    let group_path = format!("/api/v1/apps/{app}/groups/{gid}");
    for profile in [json!({"": null}), json!({"1st": "x"}), json!({"has space": 1})] {
        let (status, value, _) = org.call("PUT", &group_path, Some(&json!({"profile": profile}).to_string())).await;
        assert_eq!(status, 400, "{profile} -> {value}");
        refused(&value, "profile");
    }
    let (status, _, _) = org.call("GET", &group_path, None).await;
    assert_eq!(status, 404, "the refused group assignment was not made");
    let (status, value, _) = org.call("PUT", &group_path, Some(&json!({"profile": {"role": null}}).to_string())).await;
    assert_eq!(status, 200, "{value}");
}
