//! The journal: every request to a universe, in a bounded ring. It is the agent's
//! trajectory and the evaluator's second source of truth after the final state.

use std::collections::VecDeque;

use axum::http::HeaderValue;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};

/// How much of a request body an entry keeps.
pub const BODY_CAP: usize = 4096;

/// How much of a response body an entry keeps.
pub const RESPONSE_BODY_CAP: usize = 64 * 1024;

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
    /// The answer's body (text up to [`RESPONSE_BODY_CAP`]; binary and streamed
    /// answers by size and type only). Absent when there was no body, for refused
    /// control-plane requests, and in a query with `response_bodies=false`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<ResponseBody>,
}

/// Why an entry's response carries no `body` text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Omitted {
    /// Not text (a download, an image): its size and type only.
    Binary,
    /// Streamed to the client, its length unknown when journaled.
    Streamed,
    /// Dropped to keep the journal's response bodies within their budget.
    Evicted,
}

/// An answer's body as an entry keeps it. The kept text is the response's own
/// buffer (a reference count, not a copy) when the body is at most
/// [`RESPONSE_BODY_CAP`]; a longer one keeps a copy of its start.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseBody {
    #[serde(default, skip_serializing_if = "Option::is_none", with = "header_text")]
    pub content_type: Option<HeaderValue>,
    /// The whole body's size in bytes; absent when streamed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// The body's text, or its first [`RESPONSE_BODY_CAP`] bytes (cut on a character).
    #[serde(default, skip_serializing_if = "Option::is_none", with = "body_text")]
    pub body: Option<Bytes>,
    /// True when `body` is only the start of the answer.
    #[serde(default)]
    pub truncated: bool,
    /// Why there is no `body`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub omitted: Option<Omitted>,
}

impl ResponseBody {
    /// A body whose length was not known when the entry was made.
    pub fn streamed(content_type: Option<HeaderValue>) -> Self {
        Self { content_type, size: None, body: None, truncated: false, omitted: Some(Omitted::Streamed) }
    }

    /// A body of `size` bytes kept by its type and size.
    pub fn binary(content_type: Option<HeaderValue>, size: u64) -> Self {
        Self { content_type, size: Some(size), body: None, truncated: false, omitted: Some(Omitted::Binary) }
    }

    /// A whole text body: shared when small, the start copied when long. Without a
    /// content type it counts as text only if its start is UTF-8.
    pub fn text(content_type: Option<HeaderValue>, whole: &Bytes) -> Self {
        let size = whole.len() as u64;
        let (kept, truncated) = if whole.len() <= RESPONSE_BODY_CAP {
            (whole.clone(), false)
        } else {
            let cut = char_floor(whole, RESPONSE_BODY_CAP);
            (Bytes::copy_from_slice(&whole[..cut]), true)
        };
        if content_type.is_none() && std::str::from_utf8(&kept).is_err() {
            return Self::binary(None, size);
        }
        Self { content_type, size: Some(size), body: Some(kept), truncated, omitted: None }
    }

    /// Bytes of body text this entry holds.
    pub fn held(&self) -> usize {
        self.body.as_ref().map_or(0, Bytes::len)
    }
}

/// Whether a body of this type is kept as text (JSON, XML, forms, `text/*`); a body
/// without a type is decided by its bytes.
pub fn is_text(content_type: Option<&HeaderValue>) -> bool {
    let Some(value) = content_type else { return true };
    let Ok(value) = value.to_str() else { return false };
    let essence = value.split(';').next().unwrap_or_default().trim().as_bytes();
    // Compared without case and without a lowercased copy: every answer passes here.
    let starts = |prefix: &str| essence.get(..prefix.len()).is_some_and(|p| p.eq_ignore_ascii_case(prefix.as_bytes()));
    let ends = |suffix: &str| {
        essence.len() >= suffix.len() && essence[essence.len() - suffix.len()..].eq_ignore_ascii_case(suffix.as_bytes())
    };
    starts("text/")
        || ends("json")
        || ends("xml")
        || ends("javascript")
        || ends("yaml")
        || essence.eq_ignore_ascii_case(b"application/x-www-form-urlencoded")
}

/// The largest index at most `max` that does not split a UTF-8 character.
fn char_floor(bytes: &[u8], max: usize) -> usize {
    let mut cut = max.min(bytes.len());
    // A continuation byte (0b10xxxxxx) is inside a character; at most three back.
    while cut > 0 && cut + 3 > max && bytes.get(cut).is_some_and(|b| b & 0xC0 == 0x80) {
        cut -= 1;
    }
    cut
}

mod header_text {
    use axum::http::HeaderValue;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<HeaderValue>, s: S) -> Result<S::Ok, S::Error> {
        match value.as_ref().and_then(|v| v.to_str().ok()) {
            Some(text) => s.serialize_some(text),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<HeaderValue>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        text.map(|t| HeaderValue::from_str(&t).map_err(serde::de::Error::custom)).transpose()
    }
}

mod body_text {
    use bytes::Bytes;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &Option<Bytes>, s: S) -> Result<S::Ok, S::Error> {
        match value {
            Some(bytes) => s.serialize_some(&*String::from_utf8_lossy(bytes)),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Bytes>, D::Error> {
        let text: Option<String> = Option::deserialize(d)?;
        Ok(text.map(Bytes::from))
    }
}

#[derive(Debug)]
pub struct Journal {
    cap: usize,
    /// The most response-body bytes the entries hold together.
    response_budget: usize,
    inner: Mutex<Ring>,
}

#[derive(Debug, Default)]
struct Ring {
    next_seq: u64,
    entries: VecDeque<Entry>,
    dropped: u64,
    /// Response-body bytes the entries hold.
    response_bytes: usize,
    /// Entries before this index hold no response body (the eviction cursor).
    evicted_upto: usize,
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
    /// False: entries without their `response` (what a reader of operations and
    /// statuses asks, such as the evaluator, so response bodies never weigh on it).
    pub response_bodies: Option<bool>,
}

impl Journal {
    /// A ring of `cap` entries. Their response bodies together hold at most as much as
    /// their request bodies can (`cap` × [`BODY_CAP`]), and never less than one whole
    /// [`RESPONSE_BODY_CAP`].
    pub fn new(cap: usize) -> Self {
        let cap = cap.max(1);
        Self {
            cap,
            response_budget: cap.saturating_mul(BODY_CAP).max(RESPONSE_BODY_CAP),
            inner: Mutex::new(Ring::default()),
        }
    }

    /// Records an entry (its `seq` is assigned here), dropping the oldest when full and
    /// the oldest response bodies when they exceed the budget.
    pub fn record(&self, mut entry: Entry) {
        let mut ring = self.inner.lock();
        ring.next_seq += 1;
        entry.seq = ring.next_seq;
        if ring.entries.len() >= self.cap {
            if let Some(old) = ring.entries.pop_front() {
                ring.response_bytes -= old.response.as_ref().map_or(0, ResponseBody::held);
            }
            ring.evicted_upto = ring.evicted_upto.saturating_sub(1);
            ring.dropped += 1;
        }
        ring.response_bytes += entry.response.as_ref().map_or(0, ResponseBody::held);
        ring.entries.push_back(entry);
        while ring.response_bytes > self.response_budget && ring.evicted_upto + 1 < ring.entries.len() {
            let i = ring.evicted_upto;
            ring.evicted_upto += 1;
            let Some(response) = ring.entries.get_mut(i).and_then(|e| e.response.as_mut()) else { continue };
            if let Some(body) = response.body.take() {
                response.omitted = Some(Omitted::Evicted);
                ring.response_bytes -= body.len();
            }
        }
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
            .map(|e| {
                let mut e = e.clone();
                if filter.response_bodies == Some(false) {
                    e.response = None;
                }
                e
            })
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
        ring.response_bytes = 0;
        ring.evicted_upto = 0;
    }

    /// Response-body bytes the entries hold now.
    pub fn response_bytes(&self) -> usize {
        self.inner.lock().response_bytes
    }
}

/// Keeps the text at the start of a body: at most [`BODY_CAP`] bytes, cut on a
/// character boundary and before the first byte that is not UTF-8 (an upload's
/// metadata is kept, its binary media is not: rendering 4 KiB of binary as
/// replacement characters cost a tenth of a Drive upload). A cut is marked `…`.
pub fn capped_body(body: &[u8]) -> Option<String> {
    if body.is_empty() {
        return None;
    }
    let head = &body[..body.len().min(BODY_CAP)];
    let text = match std::str::from_utf8(head) {
        Ok(text) => text,
        // `valid_up_to` is a character boundary, so this slice is text.
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    let mut kept = text.to_string();
    if text.len() < body.len() {
        kept.push('…');
    }
    Some(kept)
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
            response: None,
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

    fn answered(op: &str, body: &[u8]) -> Entry {
        let mut e = entry(op);
        e.response =
            Some(ResponseBody::text(Some(HeaderValue::from_static("application/json")), &Bytes::copy_from_slice(body)));
        e
    }

    #[test]
    fn a_small_text_answer_is_shared_not_copied() {
        let whole = Bytes::from(r#"{"ok":true}"#);
        let kept = ResponseBody::text(Some(HeaderValue::from_static("application/json; charset=utf-8")), &whole);
        let body = kept.body.clone().unwrap();
        assert_eq!(body.as_ptr(), whole.as_ptr(), "the entry holds the answer's own buffer");
        assert_eq!((kept.size, kept.truncated, kept.omitted), (Some(11), false, None));
        let json = serde_json::to_value(&kept).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"content_type": "application/json; charset=utf-8", "size": 11, "body": "{\"ok\":true}", "truncated": false})
        );
        let back: ResponseBody = serde_json::from_value(json).unwrap();
        assert_eq!(back, kept);
    }

    #[test]
    fn a_long_answer_keeps_its_start_cut_on_a_character() {
        // "é" is two bytes; one straddles the cap.
        let mut text = "x".repeat(RESPONSE_BODY_CAP - 1);
        text.push_str(&"é".repeat(100));
        let whole = Bytes::from(text.clone());
        let kept = ResponseBody::text(Some(HeaderValue::from_static("text/plain")), &whole);
        let body = kept.body.as_ref().unwrap();
        assert!(kept.truncated);
        assert_eq!(kept.size, Some(text.len() as u64));
        assert_eq!(body.len(), RESPONSE_BODY_CAP - 1, "the straddling character is left out whole");
        assert!(std::str::from_utf8(body).is_ok());
        assert_eq!(kept.held(), RESPONSE_BODY_CAP - 1);
        let exact = Bytes::from("y".repeat(RESPONSE_BODY_CAP));
        let kept = ResponseBody::text(None, &exact);
        assert!(!kept.truncated && kept.held() == RESPONSE_BODY_CAP);
    }

    #[test]
    fn binary_answers_are_kept_by_size_and_type() {
        for ct in ["image/png", "application/octet-stream", "application/pdf"] {
            assert!(!is_text(Some(&HeaderValue::from_static(ct))), "{ct}");
        }
        for ct in [
            "application/json; charset=utf-8",
            "text/html",
            "application/x-ndjson",
            "application/problem+json",
            "application/x-www-form-urlencoded",
            "application/xml",
            "Application/JSON",
            "TEXT/plain",
        ] {
            assert!(is_text(Some(&HeaderValue::from_static(ct))), "{ct}");
        }
        let png = ResponseBody::binary(Some(HeaderValue::from_static("image/png")), 1234);
        assert_eq!(
            serde_json::to_value(&png).unwrap(),
            serde_json::json!({"content_type": "image/png", "size": 1234, "truncated": false, "omitted": "binary"})
        );
        // Without a type, bytes that are not UTF-8 are binary.
        let untyped = ResponseBody::text(None, &Bytes::from_static(&[0xff, 0xfe, 0x00, 0x01]));
        assert_eq!((untyped.body, untyped.omitted, untyped.size), (None, Some(Omitted::Binary), Some(4)));
    }

    #[test]
    fn response_bodies_stay_within_the_budget_oldest_evicted_first() {
        // 10 entries: a budget of max(10 × 4 KiB, 64 KiB) = 64 KiB.
        let j = Journal::new(10);
        let big = vec![b'a'; 30 * 1024];
        for op in ["a", "b", "c", "d"] {
            j.record(answered(op, &big));
        }
        assert!(j.response_bytes() <= 64 * 1024, "{}", j.response_bytes());
        let all = j.query(&Filter::default());
        let omitted: Vec<_> = all.iter().map(|e| e.response.as_ref().unwrap().omitted).collect();
        assert_eq!(omitted, vec![Some(Omitted::Evicted), Some(Omitted::Evicted), None, None]);
        assert_eq!(all[0].response.as_ref().unwrap().size, Some(30 * 1024), "an evicted body keeps its size");
        assert_eq!(j.response_bytes(), 60 * 1024);
        // Entries leaving the ring give their bytes back.
        for _ in 0..10 {
            j.record(entry("plain"));
        }
        assert_eq!(j.response_bytes(), 0);
        j.record(answered("e", b"{}"));
        j.clear();
        assert_eq!(j.response_bytes(), 0);
    }

    #[test]
    fn a_query_can_leave_response_bodies_out() {
        let j = Journal::new(10);
        j.record(answered("a", b"{\"ok\":true}"));
        assert!(j.query(&Filter::default())[0].response.is_some());
        let f = Filter { response_bodies: Some(false), ..Default::default() };
        assert!(j.query(&f)[0].response.is_none());
        let line = serde_json::to_string(&j.query(&f)[0]).unwrap();
        assert!(!line.contains("response"), "{line}");
    }

    #[test]
    fn body_is_capped() {
        let big = vec![b'x'; BODY_CAP * 2];
        assert_eq!(capped_body(&big).unwrap().chars().count(), BODY_CAP + 1);
        assert_eq!(capped_body(b""), None);
        assert_eq!(capped_body(b"{\"a\": 1}").unwrap(), "{\"a\": 1}");
        // Text before binary is kept, the binary is not.
        assert_eq!(capped_body(b"meta\r\n\xff\x00\x81").unwrap(), "meta\r\n…");
        // A character cut by the cap is left out whole.
        let mut accents = vec![b'x'; BODY_CAP - 1];
        accents.extend_from_slice("é and more".as_bytes());
        let kept = capped_body(&accents).unwrap();
        assert_eq!(kept.len(), BODY_CAP - 1 + "…".len());
        assert!(kept.ends_with("x…"));
    }
}
