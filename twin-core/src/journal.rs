//! The journal: every request to a universe, in a bounded ring. It is the agent's
//! trajectory and the evaluator's second source of truth after the final state.

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// How much of a request body an entry keeps.
pub const BODY_CAP: usize = 4096;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Entry {
    pub seq: u64,
    pub time: DateTime<Utc>,
    pub service: String,
    /// The vendor operation name, or the path when the twin does not know it.
    pub operation: String,
    /// False when no operation of the twin matched (a coverage gap or a bad call).
    pub matched: bool,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub principal: Option<String>,
    pub request_body: Option<String>,
    pub status: u16,
    pub latency_ms: f64,
    /// `"<rule id>:<action kind>"` when a chaos rule fired or a rate limit answered.
    pub fault: Option<String>,
    /// The `Retry-After` the answer carried, in whole seconds, when it carried one.
    #[serde(default)]
    pub retry_after_s: Option<u64>,
}

#[derive(Debug)]
pub struct Journal {
    cap: usize,
    inner: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    next_seq: u64,
    entries: VecDeque<Entry>,
    dropped: u64,
}

/// What a journal query selects.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct Filter {
    pub service: Option<String>,
    pub operation: Option<String>,
    pub since: Option<DateTime<Utc>>,
    /// Only entries after this `seq`: a follower's cursor, which a clock set back
    /// (entries recorded "earlier" than the last seen) does not fool as `since` would.
    pub after_seq: Option<u64>,
    pub limit: Option<usize>,
}

impl Journal {
    pub fn new(cap: usize) -> Self {
        Self { cap: cap.max(1), inner: Mutex::new(Ring::default()) }
    }

    /// Records an entry (its `seq` is assigned here), dropping the oldest when full.
    pub fn record(&self, mut entry: Entry) {
        let mut ring = self.inner.lock();
        ring.next_seq += 1;
        entry.seq = ring.next_seq;
        if ring.entries.len() >= self.cap {
            ring.entries.pop_front();
            ring.dropped += 1;
        }
        ring.entries.push_back(entry);
    }

    pub fn query(&self, filter: &Filter) -> Vec<Entry> {
        let ring = self.inner.lock();
        let limit = filter.limit.unwrap_or(usize::MAX);
        ring.entries
            .iter()
            .filter(|e| filter.service.as_deref().is_none_or(|s| e.service == s))
            .filter(|e| filter.operation.as_deref().is_none_or(|o| e.operation == o))
            .filter(|e| filter.since.is_none_or(|t| e.time >= t))
            .filter(|e| filter.after_seq.is_none_or(|seq| e.seq > seq))
            .take(limit)
            .cloned()
            .collect()
    }

    pub fn len(&self) -> usize {
        self.inner.lock().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many entries fell out of the ring.
    pub fn dropped(&self) -> u64 {
        self.inner.lock().dropped
    }

    pub fn clear(&self) {
        let mut ring = self.inner.lock();
        ring.entries.clear();
    }
}

/// Keeps at most [`BODY_CAP`] bytes of a body, cut on a character boundary.
pub fn capped_body(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(BODY_CAP)]);
    let mut text = text.into_owned();
    if body.len() > BODY_CAP {
        text.push('…');
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(op: &str) -> Entry {
        Entry {
            seq: 0,
            time: Utc::now(),
            service: "slack".into(),
            operation: op.into(),
            matched: true,
            method: "POST".into(),
            path: "/api/x".into(),
            query: None,
            principal: None,
            request_body: None,
            status: 200,
            latency_ms: 0.1,
            fault: None,
            retry_after_s: None,
        }
    }

    #[test]
    fn ring_is_bounded_and_keeps_the_newest() {
        let j = Journal::new(3);
        for op in ["a", "b", "c", "d", "e"] {
            j.record(entry(op));
        }
        let ops: Vec<_> = j.query(&Filter::default()).into_iter().map(|e| (e.seq, e.operation)).collect();
        assert_eq!(ops, vec![(3, "c".into()), (4, "d".into()), (5, "e".into())]);
        assert_eq!(j.dropped(), 2);
    }

    #[test]
    fn filters_by_operation() {
        let j = Journal::new(10);
        j.record(entry("a"));
        j.record(entry("b"));
        let f = Filter { operation: Some("b".into()), ..Default::default() };
        assert_eq!(j.query(&f).len(), 1);
    }

    #[test]
    fn after_seq_follows_whatever_the_clock_says() {
        let j = Journal::new(10);
        let mut late = entry("late");
        late.time = Utc::now() + chrono::Duration::days(365);
        j.record(late);
        j.record(entry("set back"));
        let f = Filter { after_seq: Some(1), ..Default::default() };
        let ops: Vec<_> = j.query(&f).into_iter().map(|e| e.operation).collect();
        assert_eq!(ops, vec!["set back".to_string()]);
    }

    #[test]
    fn body_is_capped() {
        let big = vec![b'x'; BODY_CAP * 2];
        assert_eq!(capped_body(&big).unwrap().chars().count(), BODY_CAP + 1);
        assert_eq!(capped_body(b""), None);
    }
}
