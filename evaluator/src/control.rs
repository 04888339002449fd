//! A client of the DTU control plane (`/_dtu/`), as `openapi/dtu-control.yaml`
//! describes it. Every response is read with a size cap.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::error::{EvalError, Result};

/// The largest control-plane response read (state and diff of a large universe).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;
/// The most journal entries read for one run.
pub const MAX_JOURNAL_ENTRIES: usize = 10_000;

#[derive(Clone)]
pub struct Control {
    http: reqwest::Client,
    /// Ends in `/_dtu/`.
    base: String,
}

/// One journal line: twin-core's own entry type (it ignores fields it does not know,
/// so a newer server's journal still reads).
pub use twin_core::journal::Entry as JournalEntry;

/// A run's journal and whether it is whole.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    pub entries: Vec<JournalEntry>,
    /// False when the twins' ring dropped early entries or the read was capped.
    pub complete: bool,
}

/// Normalises `http://host:port`, `…/_dtu` or `…/_dtu/` to `…/_dtu/`.
pub fn control_base(url: &str) -> String {
    let trimmed = url.trim().trim_end_matches('/');
    if trimmed.ends_with("/_dtu") {
        format!("{trimmed}/")
    } else {
        format!("{trimmed}/_dtu/")
    }
}

impl Control {
    /// A client of the control plane at `url`, sending `admin_token` as its bearer.
    pub fn new(url: &str, admin_token: Option<&str>) -> Result<Self> {
        let mut headers = reqwest::header::HeaderMap::new();
        if let Some(token) = admin_token {
            let mut value = reqwest::header::HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| EvalError::Usage("the admin token is not a valid header value".into()))?;
            value.set_sensitive(true);
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .no_proxy()
            .timeout(Duration::from_secs(120))
            .connect_timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|source| EvalError::Http { what: "client".into(), source })?;
        Ok(Self { http, base: control_base(url) })
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// A request relative to `/_dtu/`; the status and the (capped) body.
    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Result<(StatusCode, Vec<u8>)> {
        let what = format!("{method} {path}");
        let mut req = self.http.request(method, format!("{}{}", self.base, path.trim_start_matches('/')));
        if let Some(b) = body {
            req = req.json(b);
        }
        let resp = req.send().await.map_err(|source| EvalError::Http { what: what.clone(), source })?;
        let status = resp.status();
        let bytes =
            read_capped(resp, MAX_RESPONSE_BYTES).await.map_err(|message| EvalError::BadResponse { what, message })?;
        Ok((status, bytes))
    }

    /// A request that must succeed with JSON (or nothing, for 204).
    pub async fn json(&self, method: Method, path: &str, body: Option<&Value>) -> Result<Value> {
        let what = format!("{method} {path}");
        let (status, bytes) = self.send(method, path, body).await?;
        if !status.is_success() {
            return Err(EvalError::Control { what, status: status.as_u16(), message: error_message(&bytes) });
        }
        if bytes.is_empty() {
            return Ok(Value::Null);
        }
        serde_json::from_slice(&bytes).map_err(|e| EvalError::BadResponse { what, message: e.to_string() })
    }

    pub async fn health(&self) -> Result<Value> {
        self.json(Method::GET, "health", None).await
    }

    pub async fn info(&self) -> Result<Value> {
        self.json(Method::GET, "info", None).await
    }

    pub async fn create_universe(&self, body: &Value) -> Result<Value> {
        self.json(Method::POST, "universes", Some(body)).await
    }

    pub async fn delete_universe(&self, u: &str) -> Result<()> {
        self.json(Method::DELETE, &format!("universes/{u}"), None).await.map(|_| ())
    }

    pub async fn snapshot(&self, u: &str, name: &str) -> Result<()> {
        let body = serde_json::json!({ "name": name });
        self.json(Method::POST, &format!("universes/{u}/snapshots"), Some(&body)).await.map(|_| ())
    }

    pub async fn set_clock(&self, u: &str, now: chrono::DateTime<chrono::Utc>, frozen: bool) -> Result<()> {
        let body = serde_json::json!({ "now": now, "frozen": frozen });
        self.json(Method::PUT, &format!("universes/{u}/clock"), Some(&body)).await.map(|_| ())
    }

    /// The universe clock: `(now, frozen)`.
    pub async fn clock(&self, u: &str) -> Result<(chrono::DateTime<chrono::Utc>, bool)> {
        let what = format!("GET universes/{u}/clock");
        let v = self.json(Method::GET, &format!("universes/{u}/clock"), None).await?;
        let now = v["now"]
            .as_str()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&chrono::Utc))
            .ok_or_else(|| EvalError::BadResponse { what: what.clone(), message: "no RFC 3339 `now`".into() })?;
        Ok((now, v["frozen"].as_bool().unwrap_or(false)))
    }

    pub async fn add_rule(&self, u: &str, rule: &Value) -> Result<Value> {
        self.json(Method::POST, &format!("universes/{u}/chaos/rules"), Some(rule)).await
    }

    pub async fn rules(&self, u: &str) -> Result<Vec<Value>> {
        let v = self.json(Method::GET, &format!("universes/{u}/chaos/rules"), None).await?;
        Ok(v.get("rules").and_then(Value::as_array).cloned().unwrap_or_default())
    }

    pub async fn state(&self, u: &str) -> Result<Value> {
        self.json(Method::GET, &format!("universes/{u}/state"), None).await
    }

    pub async fn diff(&self, u: &str, since: &str) -> Result<Value> {
        self.json(Method::GET, &format!("universes/{u}/diff?since={since}"), None).await
    }

    /// The run's journal, at most [`MAX_JOURNAL_ENTRIES`] entries.
    pub async fn journal(&self, u: &str) -> Result<Journal> {
        // Operations and statuses only: response bodies never weigh on a run's read.
        let path = format!("universes/{u}/journal?limit={}&response_bodies=false", MAX_JOURNAL_ENTRIES + 1);
        let what = format!("GET {path}");
        let (status, bytes) = self.send(Method::GET, &path, None).await?;
        if !status.is_success() {
            return Err(EvalError::Control { what, status: status.as_u16(), message: error_message(&bytes) });
        }
        let text = String::from_utf8_lossy(&bytes);
        let mut entries = Vec::new();
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let entry: JournalEntry = serde_json::from_str(line)
                .map_err(|e| EvalError::BadResponse { what: what.clone(), message: format!("journal line: {e}") })?;
            entries.push(entry);
        }
        let overflow = entries.len() > MAX_JOURNAL_ENTRIES;
        entries.truncate(MAX_JOURNAL_ENTRIES);
        let dropped = entries.first().is_some_and(|e| e.seq > 1);
        Ok(Journal { entries, complete: !overflow && !dropped })
    }
}

/// The control plane's `{"error": {"code", "message"}}`, or the body's start.
pub fn error_message(bytes: &[u8]) -> String {
    if let Ok(v) = serde_json::from_slice::<Value>(bytes) {
        if let (Some(code), Some(message)) = (v["error"]["code"].as_str(), v["error"]["message"].as_str()) {
            return format!("{code}: {message}");
        }
    }
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(300)]);
    text.trim().to_string()
}

/// Reads a body up to `cap` bytes; more is an error.
pub async fn read_capped(mut resp: reqwest::Response, cap: usize) -> std::result::Result<Vec<u8>, String> {
    let mut out = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| format!("reading the body: {e}"))? {
        if out.len() + chunk.len() > cap {
            return Err(format!("response larger than {cap} bytes"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_is_normalised() {
        assert_eq!(control_base("http://h:1"), "http://h:1/_dtu/");
        assert_eq!(control_base("http://h:1/"), "http://h:1/_dtu/");
        assert_eq!(control_base("http://h:1/_dtu"), "http://h:1/_dtu/");
        assert_eq!(control_base("http://h:1/_dtu/"), "http://h:1/_dtu/");
    }

    #[test]
    fn error_bodies_are_summarised() {
        assert_eq!(error_message(br#"{"error":{"code":"not_found","message":"nope"}}"#), "not_found: nope");
        assert_eq!(error_message(b"plain"), "plain");
    }
}
