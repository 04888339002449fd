//! Each chaos action, trigger and limit, over HTTP: the core decides when, the
//! (test) twin renders what.

mod common;

use std::time::{Duration, Instant};

use common::{token, Server};
use serde_json::{json, Value};

async fn rule(s: &Server, universe: &str, rule: Value) -> Value {
    let (status, body) = s.post(&format!("universes/{universe}/chaos/rules"), rule).await;
    assert_eq!(status, 201, "{body}");
    body
}

/// The statuses of `n` list calls.
async fn statuses(s: &Server, t: &str, n: usize) -> Vec<u16> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(s.notes_list(t).await.0);
    }
    out
}

#[tokio::test]
async fn rate_limit_then_success() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "rl"})).await;
    let t = token(&u);
    rule(
        &s,
        "rl",
        json!({"match": {"service": "notes", "operation": "notes.list"}, "trigger": {"first_n": 1},
        "action": {"kind": "rate_limit", "retry_after_s": 2}}),
    )
    .await;
    let r = s.http.get(format!("{}/notes", s.notes)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "2");
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"error": "slow_down"}));
    assert_eq!(s.notes_list(&t).await.0, 200);
    let (_, rules) = s.get("universes/rl/chaos/rules").await;
    assert_eq!((rules["rules"][0]["hits"].as_u64(), rules["rules"][0]["matched"].as_u64()), (Some(1), Some(2)));
    let journal = s.http.get(s.url("universes/rl/journal")).send().await.unwrap().text().await.unwrap();
    let first: Value = serde_json::from_str(journal.lines().next().unwrap()).unwrap();
    assert_eq!((first["status"].as_u64(), first["fault"].as_str()), (Some(429), Some("r1:rate_limit")));
    assert_eq!(first["retry_after_s"], 2, "the journal keeps the Retry-After the client saw");
}

#[tokio::test]
async fn error_in_the_vendors_dialect() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "err"})).await;
    rule(
        &s,
        "err",
        json!({"action": {"kind": "error", "status": 503, "error": "maintenance"}, "limits": {"times": 1}}),
    )
    .await;
    let r = s.http.get(format!("{}/notes", s.notes)).bearer_auth(token(&u)).send().await.unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.json::<Value>().await.unwrap(), json!({"error": "maintenance"}));
    assert_eq!(s.notes_list(&token(&u)).await.0, 200);
}

#[tokio::test]
async fn latency_distributions_delay_the_answer() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "slow"})).await;
    let t = token(&u);
    rule(&s, "slow", json!({"action": {"kind": "latency", "fixed_ms": 150}, "limits": {"times": 1}})).await;
    let started = Instant::now();
    assert_eq!(s.notes_list(&t).await.0, 200);
    assert!(started.elapsed() >= Duration::from_millis(150));
    for action in [
        json!({"kind": "latency", "uniform": {"min_ms": 60, "max_ms": 80}}),
        json!({"kind": "latency", "normal": {"mean_ms": 70, "stddev_ms": 0}}),
        json!({"kind": "latency", "lognormal": {"median_ms": 70, "sigma": 0}}),
    ] {
        s.delete("universes/slow/chaos/rules").await;
        rule(&s, "slow", json!({"action": action})).await;
        let started = Instant::now();
        assert_eq!(s.notes_list(&t).await.0, 200);
        assert!(started.elapsed() >= Duration::from_millis(60), "{action}");
    }
    // latency composes with a fault: both apply
    s.delete("universes/slow/chaos/rules").await;
    rule(&s, "slow", json!({"action": {"kind": "latency", "fixed_ms": 100}})).await;
    rule(&s, "slow", json!({"action": {"kind": "error", "status": 500}})).await;
    let started = Instant::now();
    assert_eq!(s.notes_list(&t).await.0, 500);
    assert!(started.elapsed() >= Duration::from_millis(100));
}

#[tokio::test]
async fn reset_and_hang_drop_the_connection() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "net"})).await;
    let t = token(&u);
    rule(&s, "net", json!({"action": {"kind": "reset"}, "limits": {"times": 1}})).await;
    let err = s.http.get(format!("{}/notes", s.notes)).bearer_auth(&t).send().await.unwrap_err();
    assert!(err.is_request() || err.is_connect(), "{err:?}");
    assert_eq!(s.notes_list(&t).await.0, 200, "the next call is answered");

    rule(&s, "net", json!({"action": {"kind": "hang", "ms": 300}, "limits": {"times": 1}})).await;
    let started = Instant::now();
    let err = s.http.get(format!("{}/notes", s.notes)).bearer_auth(&t).send().await.unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300), "{err:?}");
    // a client with a shorter timeout gives up first
    rule(&s, "net", json!({"action": {"kind": "hang", "ms": 2000}, "limits": {"times": 1}})).await;
    let err = s.http.get(format!("{}/notes", s.notes)).bearer_auth(&t).timeout(Duration::from_millis(200)).send();
    assert!(err.await.unwrap_err().is_timeout());
    let journal = s.http.get(s.url("universes/net/journal")).send().await.unwrap().text().await.unwrap();
    let first: Value = serde_json::from_str(journal.lines().next().unwrap()).unwrap();
    assert_eq!((first["status"].as_u64(), first["fault"].as_str()), (Some(0), Some("r1:reset")));
}

#[tokio::test]
async fn truncate_and_malformed_bodies() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "body"})).await;
    let t = token(&u);
    rule(&s, "body", json!({"action": {"kind": "truncate"}, "limits": {"times": 1}})).await;
    let r = s.http.get(format!("{}/notes", s.notes)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let declared: usize = r.headers()["content-length"].to_str().unwrap().parse().unwrap();
    assert!(declared > 20);
    assert!(r.bytes().await.is_err(), "the body ends before its Content-Length");

    rule(&s, "body", json!({"action": {"kind": "malformed"}, "limits": {"times": 1}})).await;
    let r = s.http.get(format!("{}/notes", s.notes)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
    let text = r.text().await.unwrap();
    assert!(serde_json::from_str::<Value>(&text).is_err(), "{text}");
    assert_eq!(s.notes_list(&t).await.0, 200);
}

#[tokio::test]
async fn commit_then_fail_commits() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "ctf"})).await;
    let t = token(&u);
    rule(
        &s,
        "ctf",
        json!({"match": {"operation": "notes.create"}, "action": {"kind": "commit_then_fail", "status": 502},
        "limits": {"times": 1}}),
    )
    .await;
    let r = s.note_create(&t, "did it happen?").await.unwrap();
    assert_eq!(r.status(), 502);
    let (_, list) = s.notes_list(&t).await;
    assert!(list["notes"].as_array().unwrap().iter().any(|n| n["text"] == "did it happen?"), "the write happened");
}

#[tokio::test]
async fn counting_triggers() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "trig"})).await;
    let t = token(&u);
    let cases = [
        (json!({"nth": [2, 4]}), vec![200, 500, 200, 500, 200, 200]),
        (json!({"every_n": 3}), vec![200, 200, 500, 200, 200, 500]),
        (json!({"after_n": 4}), vec![200, 200, 200, 200, 500, 500]),
        (json!({"first_n": 2}), vec![500, 500, 200, 200, 200, 200]),
        (json!({}), vec![500, 500, 500, 500, 500, 500]),
        (json!({"first_n": 4, "every_n": 2}), vec![200, 500, 200, 500, 200, 200]),
    ];
    for (trigger, expected) in cases {
        s.delete("universes/trig/chaos/rules").await;
        rule(&s, "trig", json!({"trigger": trigger, "action": {"kind": "error", "status": 500}})).await;
        assert_eq!(statuses(&s, &t, 6).await, expected, "trigger {trigger}");
    }
}

#[tokio::test]
async fn probability_is_seeded_and_deterministic() {
    let s = Server::start().await;
    let mut patterns = Vec::new();
    for id in ["p1", "p2"] {
        let u = s.universe(json!({"id": id, "seed": 42})).await;
        rule(&s, id, json!({"trigger": {"probability": 0.5}, "action": {"kind": "error", "status": 500}})).await;
        patterns.push(statuses(&s, &token(&u), 100).await);
    }
    assert_eq!(patterns[0], patterns[1], "same seed, same faults");
    let fired = patterns[0].iter().filter(|s| **s == 500).count();
    assert!((30..=70).contains(&fired), "{fired} of 100 at p=0.5");
    let other = s.universe(json!({"id": "p3", "seed": 7})).await;
    rule(&s, "p3", json!({"trigger": {"probability": 0.5}, "action": {"kind": "error", "status": 500}})).await;
    assert_ne!(statuses(&s, &token(&other), 100).await, patterns[0], "another seed, other faults");
    for (p, expected) in [(0.0, 200), (1.0, 500)] {
        s.delete("universes/p3/chaos/rules").await;
        rule(&s, "p3", json!({"trigger": {"probability": p}, "action": {"kind": "error", "status": 500}})).await;
        assert_eq!(statuses(&s, &token(&other), 20).await, vec![expected; 20]);
    }
}

#[tokio::test]
async fn window_follows_the_universe_clock() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "win"})).await;
    let t = token(&u);
    s.put("universes/win/clock", json!({"now": "2030-01-01T00:00:00Z", "frozen": true})).await;
    rule(
        &s,
        "win",
        json!({"trigger": {"window": {"from": "2030-01-01T01:00:00Z", "to": "2030-01-01T02:00:00Z"}},
        "action": {"kind": "error", "status": 503}}),
    )
    .await;
    assert_eq!(s.notes_list(&t).await.0, 200);
    s.post("universes/win/clock/advance", json!({"seconds": 3600})).await;
    assert_eq!(s.notes_list(&t).await.0, 503);
    s.post("universes/win/clock/advance", json!({"seconds": 3600})).await;
    assert_eq!(s.notes_list(&t).await.0, 200);
}

#[tokio::test]
async fn limits_times_and_ttl() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "lim"})).await;
    let t = token(&u);
    rule(&s, "lim", json!({"action": {"kind": "error", "status": 500}, "limits": {"times": 2}})).await;
    assert_eq!(statuses(&s, &t, 4).await, vec![500, 500, 200, 200]);
    let (_, rules) = s.get("universes/lim/chaos/rules").await;
    assert_eq!((rules["rules"][0]["hits"].as_u64(), rules["rules"][0]["spent"].as_bool()), (Some(2), Some(true)));

    s.delete("universes/lim/chaos/rules").await;
    rule(&s, "lim", json!({"action": {"kind": "error", "status": 500}, "limits": {"ttl_s": 0.3}})).await;
    assert_eq!(s.notes_list(&t).await.0, 500);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(s.notes_list(&t).await.0, 200);
}

#[tokio::test]
async fn matching_by_method_path_principal_and_operation() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "m"})).await;
    let t = token(&u);
    rule(&s, "m", json!({"match": {"method": "POST"}, "action": {"kind": "error", "status": 500}})).await;
    assert_eq!(s.notes_list(&t).await.0, 200);
    assert_eq!(s.note_create(&t, "x").await.unwrap().status(), 500);
    s.delete("universes/m/chaos/rules").await;
    rule(&s, "m", json!({"match": {"path": "/no*"}, "action": {"kind": "error", "status": 500}})).await;
    assert_eq!(s.notes_list(&t).await.0, 500);
    s.delete("universes/m/chaos/rules").await;
    rule(&s, "m", json!({"match": {"principal": "someone-else"}, "action": {"kind": "error", "status": 500}})).await;
    assert_eq!(s.notes_list(&t).await.0, 200);
    s.delete("universes/m/chaos/rules").await;
    rule(
        &s,
        "m",
        json!({"match": {"principal": "W1", "operation": "notes.list"}, "action": {"kind": "error", "status": 500}}),
    )
    .await;
    assert_eq!(s.notes_list(&t).await.0, 500);
}

#[tokio::test]
async fn global_rules_reach_every_universe_scoped_ones_only_theirs() {
    let s = Server::start().await;
    let a = s.universe(json!({"id": "ga"})).await;
    let b = s.universe(json!({"id": "gb"})).await;
    rule(&s, "ga", json!({"id": "mine", "action": {"kind": "error", "status": 500}})).await;
    assert_eq!(s.notes_list(&token(&a)).await.0, 500);
    assert_eq!(s.notes_list(&token(&b)).await.0, 200);
    let (status, g) = s.post("chaos/rules", json!({"action": {"kind": "error", "status": 502}})).await;
    assert_eq!(status, 201);
    assert_eq!(s.notes_list(&token(&b)).await.0, 502);
    assert_eq!(s.notes_list(&token(&a)).await.0, 500, "the universe's own rule comes first");
    let (_, list) = s.get("chaos/rules").await;
    assert_eq!(list["rules"][0]["hits"], 1);
    assert_eq!(s.delete(&format!("chaos/rules/{}", g["id"].as_str().unwrap())).await, 204);
    assert_eq!(s.delete("chaos/rules/nope").await, 404);
    assert_eq!(s.notes_list(&token(&b)).await.0, 200);
    assert_eq!(s.delete("universes/ga/chaos/rules/mine").await, 204);
    assert_eq!(s.notes_list(&token(&a)).await.0, 200);
    assert_eq!(s.delete("universes/ga/chaos/rules/mine").await, 404);
    assert_eq!(s.delete("chaos/rules").await, 204);
}

#[tokio::test]
async fn invalid_rules_are_refused() {
    let s = Server::start().await;
    let bad = [
        json!({"action": {"kind": "explode"}}),
        json!({"action": {"kind": "error", "status": 200}}),
        json!({"action": {"kind": "latency", "fixed_ms": 5, "uniform": {"min_ms": 1, "max_ms": 2}}}),
        json!({"action": {"kind": "latency"}}),
        json!({"action": {"kind": "latency", "uniform": {"min_ms": 9, "max_ms": 2}}}),
        json!({"action": {"kind": "hang", "ms": 99999999}}),
        json!({"action": {"kind": "error", "status": 500}, "trigger": {"probability": 1.5}}),
        json!({"action": {"kind": "error", "status": 500}, "trigger": {"nth": [0]}}),
        json!({"action": {"kind": "error", "status": 500}, "trigger": {"every_n": 0}}),
        json!({"action": {"kind": "error", "status": 500}, "limits": {"times": 0}}),
        json!({"action": {"kind": "error", "status": 500}, "match": {"service": "jira"}}),
        json!({"action": {"kind": "error", "status": 500}, "match": {"path": "[unclosed"}}),
        json!({"action": {"kind": "error", "status": 500}, "colour": "red"}),
        json!({"action": {"kind": "rate_limit", "retry_after": 1}}),
        json!({"trigger": {"first_n": 1}}),
    ];
    for rule in bad {
        let (status, err) = s.post("universes/default/chaos/rules", rule.clone()).await;
        assert_eq!((status, err["error"]["code"].as_str()), (400, Some("invalid_rule")), "{rule} → {err}");
    }
    let (_, list) = s.get("universes/default/chaos/rules").await;
    assert_eq!(list["rules"], json!([]), "nothing was added");
    assert_eq!(s.post("universes/ghost/chaos/rules", json!({"action": {"kind": "reset"}})).await.0, 404);
    rule(&s, "default", json!({"id": "dup", "action": {"kind": "reset"}, "match": {"operation": "none"}})).await;
    let (status, _) = s.post("universes/default/chaos/rules", json!({"id": "dup", "action": {"kind": "reset"}})).await;
    assert_eq!(status, 409);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_universe_does_not_stall_another() {
    let s = Server::start().await;
    let slow = s.universe(json!({"id": "slow"})).await;
    let fast = s.universe(json!({"id": "fast"})).await;
    rule(&s, "slow", json!({"action": {"kind": "hang", "ms": 2000}})).await;
    let hanging: Vec<_> = (0..8)
        .map(|_| {
            let http = s.http.clone();
            let url = format!("{}/notes", s.notes);
            let t = token(&slow);
            tokio::spawn(async move { http.get(url).bearer_auth(t).send().await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(s.notes_list(&token(&fast)).await.0, 200);
    }
    assert!(started.elapsed() < Duration::from_millis(1500), "the other universe answered within the hang");
    for h in hanging {
        assert!(h.await.unwrap().is_err());
    }
}

#[tokio::test]
async fn a_fork_with_a_seed_draws_its_own_faults() {
    let s = Server::start().await;
    s.universe(json!({"id": "base", "seed": 1})).await;
    let mut patterns = Vec::new();
    for (id, seed) in [("f1", Some(10)), ("f2", Some(10)), ("f3", Some(11)), ("f4", None)] {
        let mut body = json!({"id": id, "from": "base"});
        if let Some(seed) = seed {
            body["seed"] = json!(seed);
        }
        let u = s.universe(body).await;
        rule(&s, id, json!({"trigger": {"probability": 0.5}, "action": {"kind": "error", "status": 500}})).await;
        patterns.push(statuses(&s, &token(&u), 60).await);
    }
    assert_eq!(patterns[0], patterns[1], "same seed, same faults");
    assert_ne!(patterns[0], patterns[2], "another seed, other faults");
    let b = s.get("universes/base").await.1;
    rule(&s, "base", json!({"trigger": {"probability": 0.5}, "action": {"kind": "error", "status": 500}})).await;
    assert_eq!(statuses(&s, &token(&b), 60).await, patterns[3], "without a seed a fork draws as its parent");
}
