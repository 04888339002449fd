//! Deterministic checks of one run: state assertions, collateral accounting and
//! trajectory rules over the journal.

use std::collections::{BTreeMap, BTreeSet};

use globset::{Glob, GlobMatcher};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::control::{Journal, JournalEntry};
use crate::query::{json_eq, truthy};
use crate::scenario::{
    AllowRule, ChangeKind, Check, CheckKind, CollateralCheck, Expect, Source, StateCheck, TrajectoryCheck,
};

/// How much of a value a message quotes.
const QUOTE_CHARS: usize = 300;
/// How many violations a message lists.
const LIST_MAX: usize = 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Pass,
    Fail,
    /// Not evaluated (a rubric with no judge configured).
    Skipped,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CheckResult {
    pub id: String,
    pub kind: String,
    pub status: Status,
    pub message: String,
}

/// What a run left behind, as the checks read it.
pub struct Evidence<'a> {
    pub state: Option<&'a Value>,
    pub diff: &'a Value,
    pub journal: &'a Journal,
    /// Chaos rule id → Retry-After seconds of its `rate_limit` action.
    pub retry_after: &'a BTreeMap<String, f64>,
    pub bindings: &'a BTreeMap<String, Value>,
}

pub fn quote(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > QUOTE_CHARS {
        let cut: String = s.chars().take(QUOTE_CHARS).collect();
        format!("{cut}…")
    } else {
        s
    }
}

fn result(check: &Check, pass: bool, message: String) -> CheckResult {
    CheckResult {
        id: check.id.clone(),
        kind: check.kind.name().to_string(),
        status: if pass { Status::Pass } else { Status::Fail },
        message,
    }
}

/// Evaluates a deterministic check. Rubrics are the judge's: they come back skipped.
pub fn evaluate(check: &Check, ev: &Evidence<'_>) -> CheckResult {
    let (pass, message) = match &check.kind {
        CheckKind::State(s) => state(s, ev),
        CheckKind::Collateral(c) => collateral(c, ev),
        CheckKind::Trajectory(t) => trajectory(t, ev),
        CheckKind::Rubric(_) => {
            return CheckResult {
                id: check.id.clone(),
                kind: "rubric".into(),
                status: Status::Skipped,
                message: "no judge configured".into(),
            }
        }
    };
    result(check, pass, message)
}

fn state(s: &StateCheck, ev: &Evidence<'_>) -> (bool, String) {
    let data = match s.source {
        Source::State => match ev.state {
            Some(v) => v,
            None => return (false, "the state was not read".into()),
        },
        Source::Diff => ev.diff,
    };
    let got = match s.query.eval(data, ev.bindings) {
        Ok(v) => v,
        Err(e) => return (false, e),
    };
    match &s.expect {
        Expect::Equals(want) => {
            let ok = json_eq(&got, want);
            (ok, format!("{} → {} (expected {})", s.query, quote(&got), quote(want)))
        }
        Expect::Contains(want) => {
            let ok = match (&got, want) {
                (Value::Array(items), _) => items.iter().any(|i| json_eq(i, want)),
                (Value::String(hay), Value::String(needle)) => hay.contains(needle.as_str()),
                _ => false,
            };
            (ok, format!("{} → {} (expected it to contain {})", s.query, quote(&got), quote(want)))
        }
        Expect::Count(spec) => {
            let n = match &got {
                Value::Array(a) => Some(a.len() as u64),
                Value::Object(o) => Some(o.len() as u64),
                Value::String(t) => Some(t.chars().count() as u64),
                Value::Null => Some(0),
                _ => None,
            };
            match n {
                Some(n) => (spec.admits(n), format!("{} → {n} item(s) (expected {spec})", s.query)),
                None => (false, format!("{} → {} has no count (expected {spec})", s.query, quote(&got))),
            }
        }
        Expect::Truthy(want) => {
            let t = truthy(&got);
            let word = if *want { "truthy" } else { "falsy" };
            (t == *want, format!("{} → {} (expected {word})", s.query, quote(&got)))
        }
    }
}

/// One entry of a diff.
#[derive(Debug)]
struct Change<'a> {
    service: &'a str,
    collection: &'a str,
    kind: ChangeKind,
    entry: &'a Value,
}

impl Change<'_> {
    fn id(&self) -> &str {
        self.entry.get("id").and_then(Value::as_str).unwrap_or("?")
    }

    /// Top-level fields that differ between `before` and `after`.
    fn changed_fields(&self) -> BTreeSet<String> {
        let empty = serde_json::Map::new();
        let before = self.entry.get("before").and_then(Value::as_object).unwrap_or(&empty);
        let after = self.entry.get("after").and_then(Value::as_object).unwrap_or(&empty);
        before.keys().chain(after.keys()).filter(|k| before.get(*k) != after.get(*k)).cloned().collect()
    }

    fn describe(&self) -> String {
        let mut s = format!("{}.{} {} {}", self.service, self.collection, self.kind.as_str(), self.id());
        if self.kind == ChangeKind::Updated {
            let fields: Vec<String> = self.changed_fields().into_iter().collect();
            s.push_str(&format!(" (fields: {})", fields.join(", ")));
        }
        s
    }
}

/// Every change of a diff document, in service, collection, kind, order.
fn changes(diff: &Value) -> Vec<Change<'_>> {
    let mut out = Vec::new();
    let Some(services) = diff.get("services").and_then(Value::as_object) else { return out };
    for (service, collections) in services {
        let Some(collections) = collections.as_object() else { continue };
        for (collection, d) in collections {
            for (key, kind) in
                [("created", ChangeKind::Created), ("updated", ChangeKind::Updated), ("deleted", ChangeKind::Deleted)]
            {
                for entry in d.get(key).and_then(Value::as_array).into_iter().flatten() {
                    out.push(Change { service, collection, kind, entry });
                }
            }
        }
    }
    out
}

fn collection_matches(pattern: &str, name: &str) -> bool {
    pattern == "*" || pattern == name || Glob::new(pattern).map(|g| g.compile_matcher().is_match(name)).unwrap_or(false)
}

fn rule_admits(rule: &AllowRule, change: &Change<'_>, bindings: &BTreeMap<String, Value>) -> Result<bool, String> {
    if rule.service != change.service
        || !collection_matches(&rule.collection, change.collection)
        || !rule.change.admits(change.kind)
    {
        return Ok(false);
    }
    if let Some(fields) = &rule.fields {
        if change.changed_fields().iter().any(|f| !fields.contains(f)) {
            return Ok(false);
        }
    }
    if let Some(q) = &rule.where_ {
        return Ok(truthy(&q.eval(change.entry, bindings)?));
    }
    Ok(true)
}

fn collateral(c: &CollateralCheck, ev: &Evidence<'_>) -> (bool, String) {
    let all = changes(ev.diff);
    let mut used = vec![0u64; c.allow.len()];
    let mut violations = Vec::new();
    let mut errors = Vec::new();
    for change in &all {
        let mut admitted = false;
        for (i, rule) in c.allow.iter().enumerate() {
            if rule.max.is_some_and(|m| used[i] >= m) {
                continue;
            }
            match rule_admits(rule, change, ev.bindings) {
                Ok(true) => {
                    used[i] += 1;
                    admitted = true;
                    break;
                }
                Ok(false) => {}
                Err(e) => errors.push(e),
            }
        }
        if !admitted {
            violations.push(change.describe());
        }
    }
    if let Some(e) = errors.first() {
        return (false, format!("an allow rule's query failed: {e}"));
    }
    if violations.is_empty() {
        (true, format!("{} change(s), all allowed", all.len()))
    } else {
        let n = violations.len();
        violations.truncate(LIST_MAX);
        let more = if n > LIST_MAX { format!(" and {} more", n - LIST_MAX) } else { String::new() };
        (false, format!("{n} change(s) not allowed: {}{more}", violations.join("; ")))
    }
}

fn matcher(pattern: &str) -> Option<GlobMatcher> {
    Glob::new(pattern).ok().map(|g| g.compile_matcher())
}

fn op_of(e: &JournalEntry) -> &str {
    e.operation.as_str()
}

fn count_calls(entries: &[JournalEntry], op: Option<&GlobMatcher>, service: Option<&str>) -> u64 {
    entries
        .iter()
        .filter(|e| op.is_none_or(|m| m.is_match(op_of(e))))
        .filter(|e| service.is_none_or(|s| e.service == s))
        .count() as u64
}

/// Whether an entry was answered with a rate limit, and its Retry-After in seconds.
fn rate_limited(e: &JournalEntry, retry_after: &BTreeMap<String, f64>) -> Option<f64> {
    let fault = e.fault.as_deref().unwrap_or("");
    let limited = e.status == 429 || fault.ends_with(":rate_limit") || fault.starts_with("rate_limit:");
    if !limited {
        return None;
    }
    // What the answer said, else the rule's setting, else one second (the shortest
    // Retry-After any vendor sends).
    let rule = fault.split_once(':').map(|(rule, _)| rule).unwrap_or("");
    Some(e.retry_after_s.map(|s| s as f64).or_else(|| retry_after.get(rule).copied()).unwrap_or(1.0))
}

fn trajectory(t: &TrajectoryCheck, ev: &Evidence<'_>) -> (bool, String) {
    let entries = &ev.journal.entries;
    let partial = if ev.journal.complete { "" } else { " (journal incomplete: early entries were dropped)" };
    match t {
        TrajectoryCheck::Called { operation, min, max } => {
            let Some(m) = matcher(operation) else { return (false, format!("bad pattern {operation:?}")) };
            let n = count_calls(entries, Some(&m), None);
            let ok = n >= *min && max.is_none_or(|x| n <= x) && (ev.journal.complete || max.is_none());
            let range = match max {
                Some(x) if x == min => format!("{min}"),
                Some(x) => format!("{min}..={x}"),
                None => format!(">= {min}"),
            };
            (ok, format!("{operation} called {n} time(s) (expected {range}){partial}"))
        }
        TrajectoryCheck::NotCalled { operation } => {
            let Some(m) = matcher(operation) else { return (false, format!("bad pattern {operation:?}")) };
            let n = count_calls(entries, Some(&m), None);
            (n == 0 && ev.journal.complete, format!("{operation} called {n} time(s) (expected none){partial}"))
        }
        TrajectoryCheck::MaxCalls { max, operation, service } => {
            let m = operation.as_deref().and_then(matcher);
            let n = count_calls(entries, m.as_ref(), service.as_deref());
            let what = match (operation, service) {
                (Some(o), _) => o.clone(),
                (None, Some(s)) => format!("{s} calls"),
                (None, None) => "calls".into(),
            };
            (n <= *max && ev.journal.complete, format!("{n} {what} (at most {max}){partial}"))
        }
        TrajectoryCheck::RetryAfterHonoured { operation, service, tolerance_ms } => {
            let m = operation.as_deref().and_then(matcher);
            let selected = |e: &JournalEntry| {
                m.as_ref().is_none_or(|m| m.is_match(op_of(e))) && service.as_deref().is_none_or(|s| e.service == s)
            };
            let mut limited = 0;
            let mut violations = Vec::new();
            for (i, e) in entries.iter().enumerate() {
                if !selected(e) {
                    continue;
                }
                let Some(wait_s) = rate_limited(e, ev.retry_after) else { continue };
                limited += 1;
                let next = entries[i + 1..]
                    .iter()
                    .find(|n| n.service == e.service && op_of(n) == op_of(e) && n.principal == e.principal);
                if let Some(n) = next {
                    // The 429 was recorded when answered; the retry started latency_ms before
                    // it was recorded.
                    let gap_us = (n.time - e.time).num_microseconds().unwrap_or(i64::MAX);
                    let gap_ms = gap_us as f64 / 1000.0 - n.latency_ms;
                    let tolerance = *tolerance_ms as f64;
                    if gap_ms + tolerance < wait_s * 1000.0 {
                        violations.push(format!(
                            "{} retried {:.0} ms after a rate limit asking for {:.0} ms (seq {} → {})",
                            op_of(e),
                            gap_ms.max(0.0),
                            wait_s * 1000.0,
                            e.seq,
                            n.seq
                        ));
                    }
                }
            }
            if violations.is_empty() {
                (true, format!("{limited} rate-limited call(s); every retry waited for Retry-After{partial}"))
            } else {
                let n = violations.len();
                violations.truncate(LIST_MAX);
                (false, format!("{n} early retr{}: {}", if n == 1 { "y" } else { "ies" }, violations.join("; ")))
            }
        }
    }
}

/// Retry-After seconds of every `rate_limit` rule of a rule list (`GET …/chaos/rules`).
pub fn retry_after_of(rules: &[Value]) -> BTreeMap<String, f64> {
    rules
        .iter()
        .filter(|r| r["action"]["kind"] == "rate_limit")
        .filter_map(|r| Some((r["id"].as_str()?.to_string(), r["action"]["retry_after_s"].as_f64().unwrap_or(1.0))))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::parse;
    use chrono::{DateTime, Duration, Utc};
    use serde_json::json;
    use std::path::Path;

    fn checks(yaml_checks: &str) -> Vec<Check> {
        let text = format!(
            "id: t\ntitle: t\nintent: x\nbindings:\n  general: \"slack.channels.* | [?name=='general'] | [0].id\"\nchecks:\n{yaml_checks}"
        );
        parse(Path::new("t.yaml"), &text).unwrap_or_else(|p| panic!("{p:?}")).checks
    }

    fn entry(seq: u64, t: DateTime<Utc>, op: &str, status: u16, fault: Option<&str>, latency_ms: f64) -> JournalEntry {
        JournalEntry {
            seq,
            time: t,
            service: "slack".into(),
            operation: op.into(),
            matched: true,
            method: "POST".into(),
            path: format!("/api/{op}"),
            principal: Some("B1".into()),
            status,
            latency_ms,
            fault: fault.map(str::to_string),
            query: None,
            request_body: None,
            retry_after_s: None,
            response: None,
        }
    }

    fn run_checks(cs: &[Check], state: &Value, diff: &Value, journal: &Journal) -> Vec<CheckResult> {
        let bindings: BTreeMap<String, Value> = [("general".to_string(), json!("C1"))].into();
        let retry: BTreeMap<String, f64> = [("r1".to_string(), 2.0)].into();
        let ev = Evidence { state: Some(state), diff, journal, retry_after: &retry, bindings: &bindings };
        cs.iter().map(|c| evaluate(c, &ev)).collect()
    }

    #[test]
    fn state_expectations() {
        let cs = checks(
            r#"
  - state: {query: "slack.channels.C1.name", equals: general}
  - state: {query: "slack.channels.C1.members", contains: U2}
  - state: {query: "slack.channels.C1.topic", contains: "launch"}
  - state: {query: "slack.channels.* | [?name == 'nope']", count: 0}
  - state: {query: "slack.channels.*", count: {min: 1, max: 2}}
  - state: {query: "slack.channels.C1.archived", truthy: false}
  - state: {query: "slack.channels.C1.name", equals: random}
  - state: {query: "length(slack.channels.*)", equals: 2.0}
  - state: {query: "slack.missing.path", count: 0}
  - state: {query: "slack.channels.C1.members", contains: U9}
"#,
        );
        let state = json!({"slack": {"channels": {
            "C1": {"id": "C1", "name": "general", "members": ["U1", "U2"], "topic": "launch day", "archived": false},
            "C2": {"id": "C2", "name": "random", "members": []}}}});
        let r = run_checks(&cs, &state, &json!({}), &Journal::default());
        let statuses: Vec<Status> = r.iter().map(|c| c.status).collect();
        use Status::*;
        assert_eq!(statuses, [Pass, Pass, Pass, Pass, Pass, Pass, Fail, Pass, Pass, Fail], "{r:#?}");
        assert!(r[6].message.contains("expected \"random\""), "{}", r[6].message);
    }

    #[test]
    fn bindings_and_diff_source() {
        let cs = checks(
            r#"
  - state: {source: diff, query: "services.slack.messages.created[?record.channel == {{general}}] | length(@)", equals: 1}
"#,
        );
        let diff = json!({"since": "initial", "services": {"slack": {"messages": {"created": [
            {"id": "m1", "record": {"channel": "C1", "text": "hi"}},
            {"id": "m2", "record": {"channel": "C2", "text": "hi"}}]}}}});
        let r = run_checks(&cs, &json!({}), &diff, &Journal::default());
        assert_eq!(r[0].status, Status::Pass, "{r:?}");
    }

    #[test]
    fn collateral_allows_only_what_rules_admit() {
        let cs = checks(
            r#"
  - collateral:
      allow:
        - {service: slack, collection: messages, change: created, max: 1}
        - {service: slack, collection: users, change: updated, fields: [profile]}
        - {service: slack, collection: channels, change: updated, where: "after.name == 'general'"}
"#,
        );
        let ok = json!({"services": {"slack": {
            "messages": {"created": [{"id": "m1", "record": {}}]},
            "users": {"updated": [{"id": "U1", "before": {"profile": 1, "name": "a"}, "after": {"profile": 2, "name": "a"}}]},
            "channels": {"updated": [{"id": "C1", "before": {"name": "general", "topic": ""}, "after": {"name": "general", "topic": "x"}}]}}}});
        let r = run_checks(&cs, &json!({}), &ok, &Journal::default());
        assert_eq!(r[0].status, Status::Pass, "{}", r[0].message);

        let bad = json!({"services": {"slack": {
            "messages": {"created": [{"id": "m1", "record": {}}, {"id": "m2", "record": {}}]},
            "users": {"updated": [{"id": "U1", "before": {"profile": 1, "name": "a"}, "after": {"profile": 1, "name": "b"}}],
                      "deleted": [{"id": "U2", "record": {}}]},
            "channels": {"updated": [{"id": "C2", "before": {"name": "random"}, "after": {"name": "random2"}}]}}}});
        let r = run_checks(&cs, &json!({}), &bad, &Journal::default());
        assert_eq!(r[0].status, Status::Fail);
        let m = &r[0].message;
        assert!(m.starts_with("4 change(s) not allowed"), "{m}");
        assert!(m.contains("slack.messages created m2"), "{m}");
        assert!(m.contains("slack.users updated U1 (fields: name)"), "{m}");
        assert!(m.contains("slack.users deleted U2"), "{m}");
        assert!(m.contains("slack.channels updated C2"), "{m}");
    }

    #[test]
    fn trajectory_counts() {
        let cs = checks(
            r#"
  - trajectory: {called: chat.postMessage}
  - trajectory: {called: "chat.*", max: 1}
  - trajectory: {not_called: "admin.*"}
  - trajectory: {not_called: conversations.history}
  - trajectory: {max_calls: 3}
  - trajectory: {max_calls: 1, operation: chat.postMessage}
"#,
        );
        let t0 = Utc::now();
        let journal = Journal {
            entries: vec![
                entry(1, t0, "conversations.history", 200, None, 1.0),
                entry(2, t0, "chat.postMessage", 200, None, 1.0),
                entry(3, t0, "chat.update", 200, None, 1.0),
            ],
            complete: true,
        };
        let r = run_checks(&cs, &json!({}), &json!({}), &journal);
        let statuses: Vec<Status> = r.iter().map(|c| c.status).collect();
        use Status::*;
        assert_eq!(statuses, [Pass, Fail, Pass, Fail, Pass, Pass], "{r:#?}");
        // A journal that lost entries cannot prove an absence.
        let partial = Journal { complete: false, ..journal };
        let r = run_checks(&cs, &json!({}), &json!({}), &partial);
        assert_eq!(r[2].status, Fail);
        assert!(r[2].message.contains("incomplete"));
        assert_eq!(r[0].status, Pass);
    }

    #[test]
    fn retry_after_is_measured_from_the_answer_to_the_retry_start() {
        let cs = checks("  - trajectory: {retry_after_honoured: true, operation: chat.postMessage}\n");
        let t0 = Utc::now();
        let ms = Duration::milliseconds;
        // Rule r1 asks for 2 s. Honoured: retry starts 2.05 s after the 429.
        let good = Journal {
            entries: vec![
                entry(1, t0, "chat.postMessage", 429, Some("r1:rate_limit"), 1.0),
                entry(2, t0 + ms(1000), "conversations.list", 200, None, 1.0),
                entry(3, t0 + ms(2060), "chat.postMessage", 200, None, 10.0),
            ],
            complete: true,
        };
        let r = run_checks(&cs, &json!({}), &json!({}), &good);
        assert_eq!(r[0].status, Status::Pass, "{}", r[0].message);
        // Ignored: the retry came 100 ms later.
        let bad = Journal {
            entries: vec![
                entry(1, t0, "chat.postMessage", 429, Some("r1:rate_limit"), 1.0),
                entry(2, t0 + ms(100), "chat.postMessage", 200, None, 5.0),
            ],
            complete: true,
        };
        let r = run_checks(&cs, &json!({}), &json!({}), &bad);
        assert_eq!(r[0].status, Status::Fail);
        assert!(r[0].message.contains("asking for 2000 ms"), "{}", r[0].message);
        // A plain 429 without a rule defaults to one second.
        let plain = Journal {
            entries: vec![
                entry(1, t0, "chat.postMessage", 429, None, 1.0),
                entry(2, t0 + ms(1200), "chat.postMessage", 200, None, 5.0),
            ],
            complete: true,
        };
        assert_eq!(run_checks(&cs, &json!({}), &json!({}), &plain)[0].status, Status::Pass);
    }

    #[test]
    fn retry_after_of_reads_rule_lists() {
        let rules = vec![
            json!({"id": "r1", "action": {"kind": "rate_limit", "retry_after_s": 3}}),
            json!({"id": "r2", "action": {"kind": "error", "status": 500}}),
        ];
        let m = retry_after_of(&rules);
        assert_eq!(m.len(), 1);
        assert_eq!(m["r1"], 3.0);
    }

    #[test]
    fn rubric_is_skipped_without_judge() {
        let cs = checks("  - state: {query: a, truthy: false}\n  - rubric: be nice\n");
        let r = run_checks(&cs, &json!({}), &json!({}), &Journal::default());
        assert_eq!(r[1].status, Status::Skipped);
    }
}
