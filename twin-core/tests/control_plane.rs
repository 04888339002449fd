//! Every control-plane endpoint, driven over HTTP against a real server.

mod common;

use common::{note_count, token, Server};
use serde_json::{json, Value};

#[tokio::test]
async fn health_info_metrics_and_openapi() {
    let s = Server::start().await;
    let (status, health) = s.get("health").await;
    assert_eq!((status, health["status"].as_str()), (200, Some("ok")));
    assert_eq!(health["universes"], 1);

    let (status, info) = s.get("info").await;
    assert_eq!(status, 200);
    assert_eq!(info["twins"][0]["service"], "notes");
    assert!(info["twins"][0]["coverage"].is_object());

    // a twin request and a fault, so the metrics have something to count
    let u = s.universe(json!({})).await;
    s.notes_list(&token(&u)).await;
    let id = u["id"].as_str().unwrap();
    s.post(&format!("universes/{id}/chaos/rules"), json!({"action": {"kind": "error", "status": 503}})).await;
    assert_eq!(s.notes_list(&token(&u)).await.0, 503);
    let text = s.http.get(s.url("metrics")).send().await.unwrap().text().await.unwrap();
    for name in ["dtu_requests_total", "dtu_request_duration_seconds", "dtu_universes", "dtu_faults_fired"] {
        assert!(text.contains(name), "{name} missing from metrics:\n{text}");
    }
    assert!(text.contains("operation=\"notes.list\""), "{text}");
    assert!(text.contains("dtu_faults_fired_total{service=\"notes\",kind=\"error\"} 1"), "{text}");
    assert!(text.contains("dtu_universes 2"), "{text}");

    let yaml = s.http.get(s.url("openapi.yaml")).send().await.unwrap().text().await.unwrap();
    assert!(yaml.starts_with("openapi: 3.0"), "{}", &yaml[..40.min(yaml.len())]);

    // the control plane answers on the twin's port too
    let r = s.http.get(format!("{}/_dtu/health", s.notes)).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn create_get_list_delete_universes() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "mine"})).await;
    assert_eq!(u["id"], "mine");
    assert_eq!(u["fixture"], "tiny");
    assert!(u["notes"]["base_url"].as_str().unwrap().starts_with("http://127.0.0.1:"));
    assert!(token(&u).contains("mine"), "a token names its universe");

    let (status, got) = s.get("universes/mine").await;
    assert_eq!((status, &got), (200, &u));
    let (_, list) = s.get("universes").await;
    let ids: Vec<&str> = list["universes"].as_array().unwrap().iter().map(|u| u["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["default", "mine"]);

    let (status, err) = s.post("universes", json!({"id": "mine"})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (409, Some("conflict")));

    assert_eq!(s.delete("universes/mine").await, 204);
    let (status, err) = s.get("universes/mine").await;
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("unknown_universe")));
    assert_eq!(s.delete("universes/mine").await, 404);
    // the deleted universe's token is now just an invalid credential
    let (status, body) = s.notes_list(&token(&u)).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("invalid_auth")));
}

#[tokio::test]
async fn fixtures_by_name_or_inline_never_by_path() {
    let s = Server::start().await;
    let big = s.universe(json!({"fixture": "big"})).await;
    let (_, list) = s.notes_list(&token(&big)).await;
    assert_eq!(note_count(&list), 2_000);

    let inline = json!({"name": "inline", "company": {"name": "I", "domain": "i.test"},
        "people": [{"key": "zed", "first_name": "Z", "last_name": "Z", "email": "z@i.test"}]});
    let u = s.universe(json!({"fixture": inline})).await;
    assert_eq!(u["fixture"], "inline");
    assert_eq!(note_count(&s.notes_list(&token(&u)).await.1), 1);

    for bad in
        [json!({"fixture": "/etc/passwd"}), json!({"fixture": "../fixtures/default.yaml"}), json!({"fixture": "nope"})]
    {
        let (status, err) = s.post("universes", bad).await;
        assert_eq!((status, err["error"]["code"].as_str()), (400, Some("invalid_fixture")), "{err}");
    }
    let broken = json!({"fixture": {"name": "b", "company": {"name": "B", "domain": "b.test"},
        "people": [{"key": "a", "first_name": "A", "last_name": "A", "email": "not-an-email"}]}});
    let (status, err) = s.post("universes", broken).await;
    assert_eq!(status, 400);
    assert!(err["error"]["message"].as_str().unwrap().contains("invalid email"), "{err}");
}

#[tokio::test]
async fn bad_control_input_is_a_4xx_and_changes_nothing() {
    let s = Server::start().await;
    let post_raw = |path: &str, body: &'static str, ct: &'static str| {
        s.http.post(s.url(path)).header("content-type", ct).body(body).send()
    };
    let r = post_raw("universes", "{not json", "application/json").await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "invalid_json");
    let r = post_raw("universes", "{\"colour\": 1}", "application/json").await.unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["error"]["code"], "bad_request");
    let r = post_raw("universes", "id=x", "application/x-www-form-urlencoded").await.unwrap();
    assert_eq!(r.status(), 415);
    let (status, _) = s.post("universes", json!({"id": "Bad Id!"})).await;
    assert_eq!(status, 400);
    let (status, _) = s.post("universes", json!({"from": "ghost"})).await;
    assert_eq!(status, 404);
    let (status, _) = s.post("universes", json!({"snapshot": "x"})).await;
    assert_eq!(status, 400);
    let (status, err) = s.get("nowhere").await;
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("not_found")));
    let r = s.http.patch(s.url("universes")).send().await.unwrap();
    assert_eq!(r.status(), 405);
    let (status, _) = s.get("universes/default/journal?since=yesterday").await;
    assert_eq!(status, 400);
    let (status, _) = s.get("universes/default/state?service=jira").await;
    assert_eq!(status, 400);
    let (status, _) = s.post("universes/default/clock/advance", json!({"seconds": "soon"})).await;
    assert_eq!(status, 400);
    let (_, list) = s.get("universes").await;
    assert_eq!(list["universes"].as_array().unwrap().len(), 1, "nothing was created");
}

#[tokio::test]
async fn a_token_never_sees_another_universe() {
    let s = Server::start().await;
    let a = s.universe(json!({"id": "a"})).await;
    let b = s.universe(json!({"id": "b"})).await;
    assert_ne!(token(&a), token(&b));
    s.note_create(&token(&a), "only in a").await.unwrap();
    assert_eq!(note_count(&s.notes_list(&token(&a)).await.1), 3);
    assert_eq!(note_count(&s.notes_list(&token(&b)).await.1), 2);

    // naming universe b by prefix or header with a's token: a's token is not valid there
    let r = s.http.get(format!("{}/u/b/notes", s.notes)).bearer_auth(token(&a)).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = s.http.get(format!("{}/notes", s.notes)).header("x-dtu-universe", "b").bearer_auth(token(&a)).send();
    assert_eq!(r.await.unwrap().status(), 401);
    // …while b's own token works through both
    let r = s.http.get(format!("{}/u/b/notes", s.notes)).bearer_auth(token(&b)).send().await.unwrap();
    assert_eq!(note_count(&r.json().await.unwrap()), 2);
    let r = s.http.get(format!("{}/notes", s.notes)).header("x-dtu-universe", "b").bearer_auth(token(&b)).send();
    assert_eq!(note_count(&r.await.unwrap().json().await.unwrap()), 2);
    // an unknown universe in the prefix
    let r = s.http.get(format!("{}/u/ghost/notes", s.notes)).bearer_auth(token(&b)).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test]
async fn forks_are_copy_on_write() {
    let s = Server::start().await;
    let parent = s.universe(json!({"id": "parent"})).await;
    s.note_create(&token(&parent), "before the fork").await.unwrap();
    let child = s.universe(json!({"id": "child", "from": "parent"})).await;
    assert_ne!(token(&child), token(&parent), "a fork mints its own credentials");
    assert_eq!(note_count(&s.notes_list(&token(&child)).await.1), 3, "the fork starts from the parent's state");

    s.note_create(&token(&child), "only in the child").await.unwrap();
    s.note_create(&token(&parent), "only in the parent").await.unwrap();
    let child_notes = s.notes_list(&token(&child)).await.1;
    let parent_notes = s.notes_list(&token(&parent)).await.1;
    let texts = |v: &Value| -> Vec<String> {
        v["notes"].as_array().unwrap().iter().map(|n| n["text"].as_str().unwrap().to_string()).collect()
    };
    assert!(texts(&child_notes).contains(&"only in the child".to_string()));
    assert!(!texts(&child_notes).contains(&"only in the parent".to_string()));
    assert!(!texts(&parent_notes).contains(&"only in the child".to_string()));

    // the fork's diff starts at the fork point, and reset goes back to it
    let (_, diff) = s.get("universes/child/diff").await;
    assert_eq!(diff["services"]["notes"]["notes"]["created"].as_array().unwrap().len(), 1, "{diff}");
    s.post("universes/child/reset", json!({})).await;
    assert_eq!(note_count(&s.notes_list(&token(&child)).await.1), 3);
    // deleting the parent leaves the child whole
    assert_eq!(s.delete("universes/parent").await, 204);
    assert_eq!(note_count(&s.notes_list(&token(&child)).await.1), 3);
}

#[tokio::test]
async fn snapshots_restore_and_diff() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "snap"})).await;
    let t = token(&u);
    let (status, snap) = s.post("universes/snap/snapshots", json!({"name": "before"})).await;
    assert_eq!((status, snap["name"].as_str()), (201, Some("before")));
    let (status, _) = s.post("universes/snap/snapshots", json!({"name": "initial"})).await;
    assert_eq!(status, 409);
    let (status, _) = s.post("universes/snap/snapshots", json!({"name": ""})).await;
    assert_eq!(status, 400);

    let created: Value = s.note_create(&t, "new").await.unwrap().json().await.unwrap();
    let list = s.notes_list(&t).await.1;
    let first =
        list["notes"].as_array().unwrap().iter().map(|n| n["id"].as_str().unwrap()).find(|id| *id != created["id"]);
    let first = first.unwrap().to_string();
    s.http.delete(format!("{}/notes/{first}", s.notes)).bearer_auth(&t).send().await.unwrap();

    let (_, diff) = s.get("universes/snap/diff?since=before").await;
    let notes = &diff["services"]["notes"]["notes"];
    assert_eq!(notes["created"][0]["id"], created["id"], "{diff}");
    assert_eq!(notes["created"][0]["record"]["text"], "new");
    assert_eq!(notes["deleted"][0]["id"], first.as_str());
    assert_eq!(notes["updated"].as_array().unwrap().len(), 0);
    let (status, err) = s.get("universes/snap/diff?since=nope").await;
    assert_eq!((status, err["error"]["code"].as_str()), (404, Some("unknown_snapshot")));

    let (_, list) = s.get("universes/snap/snapshots").await;
    assert_eq!(list["snapshots"][0]["name"], "before");
    let (status, _) = s.post("universes/snap/snapshots/before/restore", json!({})).await;
    assert_eq!(status, 200);
    assert_eq!(note_count(&s.notes_list(&t).await.1), 2);
    let (_, diff) = s.get("universes/snap/diff?since=before").await;
    assert_eq!(diff["services"], json!({}), "restored state equals the snapshot");
    let (status, _) = s.post("universes/snap/snapshots/nope/restore", json!({})).await;
    assert_eq!(status, 404);

    // forking from a snapshot
    let fork = s.universe(json!({"from": "snap", "snapshot": "before"})).await;
    assert_eq!(note_count(&s.notes_list(&token(&fork)).await.1), 2);
}

#[tokio::test]
async fn export_import_round_trip() {
    let s = Server::start().await;
    let a = s.universe(json!({"id": "src"})).await;
    s.note_create(&token(&a), "exported").await.unwrap();
    s.put("universes/src/clock", json!({"now": "2031-05-01T12:00:00Z", "frozen": true})).await;
    let export = s.http.get(s.url("universes/src/export")).send().await.unwrap().json::<Value>().await.unwrap();
    assert_eq!(export["schema_version"], 1);
    assert_eq!(export["services"]["notes"]["notes"].as_object().unwrap().len(), 3);

    let b = s.universe(json!({"id": "dst"})).await;
    let (status, _) = s.put("universes/dst/import", export.clone()).await;
    assert_eq!(status, 200);
    let (_, sa) = s.get("universes/src/state").await;
    let (_, sb) = s.get("universes/dst/state").await;
    assert_eq!(sa, sb);
    let (_, clock) = s.get("universes/dst/clock").await;
    assert_eq!(clock, json!({"now": "2031-05-01T12:00:00Z", "frozen": true}));
    // the id generator travels too: both mint the same next id
    let na: Value = s.note_create(&token(&a), "x").await.unwrap().json().await.unwrap();
    let nb: Value = s.note_create(&token(&b), "x").await.unwrap().json().await.unwrap();
    assert_eq!(na["id"], nb["id"]);

    let mut wrong = export.clone();
    wrong["schema_version"] = json!(99);
    assert_eq!(s.put("universes/dst/import", wrong).await.0, 400);
    let mut missing = export.clone();
    missing["services"] = json!({});
    let (status, err) = s.put("universes/dst/import", missing).await;
    assert_eq!(status, 400);
    assert!(err["error"]["message"].as_str().unwrap().contains("notes"));
    let mut garbage = export;
    garbage["services"]["notes"] = json!({"notes": 5});
    assert_eq!(s.put("universes/dst/import", garbage).await.0, 400);
    assert_eq!(s.put("universes/ghost/import", json!({})).await.0, 404);
}

#[tokio::test]
async fn state_filters_by_service() {
    let s = Server::start().await;
    let (status, state) = s.get("universes/default/state?service=notes").await;
    assert_eq!(status, 200);
    assert_eq!(state["notes"]["notes"].as_object().unwrap().len(), 2);
    let (_, all) = s.get("universes/default/state").await;
    assert_eq!(all, state);
}

#[tokio::test]
async fn clock_set_freeze_and_advance() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "time"})).await;
    let (status, clock) = s.put("universes/time/clock", json!({"now": "2030-01-01T00:00:00Z", "frozen": true})).await;
    assert_eq!((status, clock["frozen"].as_bool()), (200, Some(true)));
    let (_, clock) = s.post("universes/time/clock/advance", json!({"seconds": 3600})).await;
    assert_eq!(clock["now"], "2030-01-01T01:00:00Z");
    let created: Value = s.note_create(&token(&u), "timed").await.unwrap().json().await.unwrap();
    assert_eq!(created["created"], "2030-01-01T01:00:00+00:00", "twins read the universe clock");
    // unfreeze: time runs on from where it stood
    let (_, clock) = s.put("universes/time/clock", json!({"frozen": false})).await;
    assert_eq!(clock["frozen"], false);
    assert!(clock["now"].as_str().unwrap().starts_with("2030-01-01T01:00:0"));
    // another universe's clock is untouched
    let (_, other) = s.get("universes/default/clock").await;
    assert!(!other["now"].as_str().unwrap().starts_with("2030"));
    let (status, _) = s.put("universes/time/clock", json!({"now": "not a time"})).await;
    assert_eq!(status, 400);
}

async fn journal_of(s: &Server, query: &str) -> Vec<Value> {
    let text = s.http.get(s.url(&format!("universes/r/journal{query}"))).send().await.unwrap().text().await.unwrap();
    text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[tokio::test]
async fn journal_keeps_response_bodies_bounded() {
    use twin_core::journal::{BODY_CAP, RESPONSE_BODY_CAP};
    let s = Server::start().await; // journal cap 50: response bodies within 50 × 4 KiB
    let u = s.universe(json!({"id": "r"})).await;
    let t = token(&u);

    // A small JSON answer: the journal has exactly what the client got.
    let answer = s.note_create(&t, "one").await.unwrap().text().await.unwrap();
    let e = journal_of(&s, "").await.pop().unwrap();
    assert_eq!(e["response"]["body"], answer.as_str());
    assert_eq!(e["response"]["size"], answer.len());
    assert_eq!(e["response"]["content_type"], "application/json");
    assert_eq!(e["response"]["truncated"], false);
    let id = serde_json::from_str::<Value>(&answer).unwrap()["id"].as_str().unwrap().to_string();

    // A long one: its start, cut at the cap, and its whole size.
    let big = "é".repeat(RESPONSE_BODY_CAP);
    s.note_create(&t, &big).await.unwrap();
    let listed = s.http.get(format!("{}/notes", s.notes)).bearer_auth(&t).send().await.unwrap().text().await.unwrap();
    let e = journal_of(&s, "?operation=notes.list").await.pop().unwrap();
    let kept = e["response"]["body"].as_str().unwrap();
    assert_eq!(e["response"]["truncated"], true);
    assert_eq!(e["response"]["size"], listed.len(), "the size is the whole answer's");
    assert!(kept.len() <= RESPONSE_BODY_CAP && kept.len() > RESPONSE_BODY_CAP - 4, "{}", kept.len());
    assert!(listed.starts_with(kept), "the kept text is the answer's start");

    // A download is kept by size and type, a stream by type: neither's bytes.
    let file = s.http.get(format!("{}/notes/{id}/download", s.notes)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(file.bytes().await.unwrap().as_ref(), b"one");
    let streamed = s.http.get(format!("{}/notes/{id}/stream", s.notes)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(streamed.text().await.unwrap(), "one", "a streamed answer reaches the client whole");
    let entries = journal_of(&s, "").await;
    let (download, stream) = (&entries[entries.len() - 2]["response"], &entries[entries.len() - 1]["response"]);
    assert_eq!(
        *download,
        json!({"content_type": "application/octet-stream", "size": 3, "truncated": false, "omitted": "binary"})
    );
    assert_eq!(*stream, json!({"content_type": "text/plain", "truncated": false, "omitted": "streamed"}));

    // No body, no response; and a reader may leave them all out.
    let gone = s.http.delete(format!("{}/notes/{id}", s.notes)).bearer_auth(&t).send().await.unwrap();
    assert_eq!(gone.status(), 204);
    assert!(journal_of(&s, "").await.pop().unwrap().get("response").is_none());
    assert!(journal_of(&s, "?response_bodies=false").await.iter().all(|e| e.get("response").is_none()));

    // Long answers past the budget: the oldest bodies go, their sizes stay.
    for _ in 0..5 {
        s.notes_list(&t).await;
    }
    let entries = journal_of(&s, "").await;
    let held: usize = entries.iter().filter_map(|e| e["response"]["body"].as_str()).map(str::len).sum();
    assert!(held <= 50 * BODY_CAP, "{held} bytes of response bodies over the budget");
    let evicted: Vec<_> = entries.iter().filter(|e| e["response"]["omitted"] == "evicted").collect();
    assert!(!evicted.is_empty(), "nothing was evicted");
    assert!(evicted.iter().all(|e| e["response"]["size"].as_u64().is_some()));
    assert!(entries.last().unwrap()["response"]["body"].is_string(), "the newest keeps its body");
}

#[tokio::test]
async fn journal_records_every_request_and_is_bounded() {
    let s = Server::start().await; // journal cap 50
    let u = s.universe(json!({"id": "j"})).await;
    let t = token(&u);
    s.note_create(&t, "one").await.unwrap();
    s.notes_list(&t).await;
    s.http.get(format!("{}/nowhere", s.notes)).bearer_auth(&t).send().await.unwrap();

    let text = s.http.get(s.url("universes/j/journal")).send().await.unwrap().text().await.unwrap();
    let entries: Vec<Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(entries.len(), 3);
    let e = &entries[0];
    for field in ["time", "service", "operation", "method", "path", "status", "latency_ms", "fault", "seq", "principal"]
    {
        assert!(e.get(field).is_some(), "journal entry lacks {field}: {e}");
    }
    assert_eq!((e["operation"].as_str(), e["status"].as_u64()), (Some("notes.create"), Some(200)));
    assert_eq!(e["request_body"], "{\"text\":\"one\"}");
    assert_eq!(e["principal"], "W1");
    assert_eq!(entries[2]["matched"], false, "an unknown endpoint is journalled as unmatched");

    let only =
        s.http.get(s.url("universes/j/journal?operation=notes.list")).send().await.unwrap().text().await.unwrap();
    assert_eq!(only.lines().count(), 1);
    for _ in 0..60 {
        s.notes_list(&t).await;
    }
    let text = s.http.get(s.url("universes/j/journal")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text.lines().count(), 50, "the ring keeps the newest 50");
    let limited = s.http.get(s.url("universes/j/journal?limit=5")).send().await.unwrap().text().await.unwrap();
    assert_eq!(limited.lines().count(), 5);
    // other universes' requests are not in this journal
    let other = s.http.get(s.url("universes/default/journal")).send().await.unwrap().text().await.unwrap();
    assert_eq!(other.lines().count(), 0);
    // reset empties it
    s.post("universes/j/reset", json!({})).await;
    let text = s.http.get(s.url("universes/j/journal")).send().await.unwrap().text().await.unwrap();
    assert_eq!(text.lines().count(), 0);
}

#[tokio::test]
async fn realistic_limits_answer_in_the_twins_dialect() {
    let s = Server::start_with(twin_core::Config { realistic_limits: true, ..Default::default() }).await;
    let u = s.universe(json!({})).await;
    let t = token(&u);
    assert_eq!(s.note_create(&t, "1").await.unwrap().status(), 200);
    assert_eq!(s.note_create(&t, "2").await.unwrap().status(), 200);
    let r = s.note_create(&t, "3").await.unwrap();
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "30");
    // reads are not limited; advancing the universe clock refills the bucket
    assert_eq!(s.notes_list(&t).await.0, 200);
    let id = u["id"].as_str().unwrap();
    s.post(&format!("universes/{id}/clock/advance"), json!({"seconds": 30})).await;
    assert_eq!(s.note_create(&t, "4").await.unwrap().status(), 200);
}

#[tokio::test]
async fn garbage_never_gets_a_5xx() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "g"})).await;
    let paths = [
        "universes",
        "universes/g",
        "universes/g/reset",
        "universes/g/snapshots",
        "universes/g/snapshots/x/restore",
        "universes/g/export",
        "universes/g/import",
        "universes/g/state",
        "universes/g/diff",
        "universes/g/journal",
        "universes/g/clock",
        "universes/g/clock/advance",
        "universes/g/chaos/rules",
        "universes/g/chaos/rules/r1",
        "chaos/rules",
        "chaos/rules/r1",
        "universes/%ZZ",
        "universes/g/diff?since=%FF%FE",
        "universes/g/journal?limit=-1",
        "universes/g/journal?limit=99999999999999999999999",
    ];
    let bodies: [&[u8]; 8] = [
        b"",
        b"null",
        b"[]",
        b"\"text\"",
        b"{\"a\":",
        b"\xff\xfe\x00garbage",
        b"{\"now\": 12, \"seconds\": null, \"name\": [], \"action\": 5, \"fixture\": 3}",
        b"{\"schema_version\": 1, \"services\": {\"notes\": {\"notes\": {\"x\": 1}}}}",
    ];
    let methods = [reqwest::Method::GET, reqwest::Method::POST, reqwest::Method::PUT, reqwest::Method::DELETE];
    for path in paths {
        for method in &methods {
            for body in bodies {
                let r = s
                    .http
                    .request(method.clone(), s.url(path))
                    .header("content-type", "application/json")
                    .body(body.to_vec())
                    .send()
                    .await
                    .unwrap();
                assert!(
                    r.status().as_u16() < 500,
                    "{method} {path} {:?} → {}",
                    String::from_utf8_lossy(body),
                    r.status()
                );
            }
        }
    }
    // …and the twin port with the same garbage
    for body in bodies {
        let r = s.http.post(format!("{}/notes", s.notes)).bearer_auth(token(&u)).body(body.to_vec()).send().await;
        assert!(r.unwrap().status().as_u16() < 500);
    }
    assert_eq!(s.get("health").await.0, 200);
}

#[tokio::test]
async fn twins_serve_their_own_control_endpoints() {
    let s = Server::start().await;
    let u = s.universe(json!({"id": "tc"})).await;
    let (status, body) = s.post("universes/tc/notes/simulate/note", json!({"text": "from a colleague"})).await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["twin_url"].as_str(), Some(s.notes.as_str()));
    let (_, list) = s.notes_list(&token(&u)).await;
    assert!(list["notes"].as_array().unwrap().iter().any(|n| n["text"] == "from a colleague"));
    // only in that universe
    let (_, other) = s.notes_list(&token(&s.get("universes/default").await.1)).await;
    assert!(!other["notes"].as_array().unwrap().iter().any(|n| n["text"] == "from a colleague"));
    let (status, err) = s.post("universes/tc/notes/simulate/note", json!({})).await;
    assert_eq!((status, err["error"]["code"].as_str()), (400, Some("bad_request")));
    assert_eq!(s.post("universes/tc/jira/simulate/note", json!({"text": "x"})).await.0, 404);
    assert_eq!(s.post("universes/ghost/notes/simulate/note", json!({"text": "x"})).await.0, 404);
}

/// Past its state budget a universe refuses what would add to it, in the twin's
/// dialect, journaled as a `state_budget` fault; reads and deletions still pass, and
/// other universes are not affected.
#[tokio::test]
async fn a_full_universe_refuses_writes_but_reads_and_deletes() {
    // The tiny fixture seeds 2 notes per universe.
    let s = Server::start_with(twin_core::Config { state_budget_records: 4, ..Default::default() }).await;
    let u = s.universe(json!({"id": "full"})).await;
    let t = token(&u);
    for i in 0..2 {
        assert_eq!(s.note_create(&t, &format!("n{i}")).await.unwrap().status().as_u16(), 200);
    }
    let refused = s.note_create(&t, "one too many").await.unwrap();
    assert_eq!(refused.status().as_u16(), 403);
    assert_eq!(refused.json::<Value>().await.unwrap()["error"], "quota_exceeded");
    let (status, list) = s.notes_list(&t).await;
    assert_eq!((status, note_count(&list)), (200, 4));
    let first = list["notes"][0]["id"].as_str().unwrap().to_string();
    let deleted = s.http.delete(format!("{}/notes/{first}", s.notes)).bearer_auth(&t).send().await.unwrap();
    assert!(deleted.status().is_success(), "{}", deleted.status());
    assert_eq!(s.note_create(&t, "room again").await.unwrap().status().as_u16(), 200);
    let journal = s.http.get(s.url("universes/full/journal")).send().await.unwrap().text().await.unwrap();
    assert!(journal.lines().any(|l| l.contains("\"fault\":\"state_budget\"")), "{journal}");
    let other = s.universe(json!({})).await;
    assert_eq!(s.note_create(&token(&other), "elsewhere").await.unwrap().status().as_u16(), 200);
}

/// The export streams from the records: a large universe comes out whole, as one JSON
/// document that imports back.
#[tokio::test]
async fn a_large_export_streams_whole_and_imports_back() {
    let s = Server::start().await;
    let big = s.universe(json!({"id": "big-export", "fixture": "big"})).await;
    let response = s.http.get(s.url("universes/big-export/export")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    let bytes = response.bytes().await.unwrap();
    assert!(bytes.len() > 64 * 1024, "several chunks: {} bytes", bytes.len());
    let export: Value = serde_json::from_slice(&bytes).expect("one JSON document");
    assert_eq!(export["id"], "big-export");
    assert_eq!(export["services"]["notes"]["notes"].as_object().unwrap().len(), 2_000);
    let copy = s.universe(json!({"id": "copy"})).await;
    let (status, _) = s.put("universes/copy/import", export).await;
    assert_eq!(status, 200);
    assert_eq!(note_count(&s.notes_list(&token(&copy)).await.1), 2_000);
    assert_eq!(big["id"], "big-export");
}
