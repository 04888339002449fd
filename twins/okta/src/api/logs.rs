//! `/api/v1/logs`: the System Log. Every mutating call appends an event; reads
//! take `since`, `until`, `filter`, `q`, `sortOrder`, `limit` and `after`.
//! Without `until` a listing is a polling request and, as at Okta, always has a
//! `next` link.

use axum::response::Response;
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, Duration, Utc};
use serde_json::Value;

use super::routes::{route, Cov, Route};
use super::Call;
use crate::errors::OktaError;
use crate::wire::search::{self, Rules};
use crate::wire::{self, link_headers, paginate, Order};

pub const ROUTES: &[Route] = &[route("GET", "/api/v1/logs", "okta.logs.list", Cov::Implemented)];

pub fn routes(r: Router) -> Router {
    r.route("/api/v1/logs", get(list))
}

fn parse_time(value: Option<&str>, which: &str) -> Result<Option<DateTime<Utc>>, OktaError> {
    match value {
        None => Ok(None),
        Some(v) => DateTime::parse_from_rfc3339(v.trim()).map(|d| Some(d.with_timezone(&Utc))).map_err(|_| OktaError::Other {
            status: 400,
            code: "E0000030".into(),
            summary: format!("Bad request. Invalid {which} date. Dates must be of the form yyyy-MM-dd'T'HH:mm:ss.SSSZZ, e.g. 2013-01-01T12:00:00.000-07:00."),
        }),
    }
}

/// The strings of an event `q` looks in.
fn haystack(event: &Value) -> String {
    let mut out = String::new();
    let mut push = |v: Option<&Value>| {
        if let Some(s) = v.and_then(Value::as_str) {
            out.push_str(&s.to_lowercase());
            out.push(' ');
        }
    };
    for p in
        ["/eventType", "/displayMessage", "/actor/alternateId", "/actor/displayName", "/actor/id", "/outcome/result"]
    {
        push(event.pointer(p));
    }
    if let Some(targets) = event.get("target").and_then(Value::as_array) {
        for t in targets {
            push(t.get("alternateId"));
            push(t.get("displayName"));
            push(t.get("id"));
        }
    }
    out
}

async fn list(call: Call) -> Result<Response, OktaError> {
    let caller = call.caller()?;
    caller.require_scope("okta.logs.read")?;
    let q = &call.query;
    let now = call.now();
    let since = parse_time(q.text("since"), "start")?.unwrap_or(now - Duration::days(7));
    let until = parse_time(q.text("until"), "end")?;
    if until.is_some_and(|u| u < since) {
        return Err(OktaError::Other {
            status: 400,
            code: "E0000030".into(),
            summary: "Bad request. The until date must be after the since date.".into(),
        });
    }
    let filter = q.text("filter").map(|f| search::compile(f, &Rules::SEARCH).map_err(OktaError::search)).transpose()?;
    let keywords: Vec<String> =
        q.text("q").map(|k| k.split_whitespace().map(str::to_lowercase).collect()).unwrap_or_default();
    let descending = match q.text("sortOrder").map(str::to_ascii_uppercase).as_deref() {
        None | Some("ASCENDING") => false,
        Some("DESCENDING") => true,
        Some(_) => return Err(OktaError::validation("sortOrder", "sortOrder: must be ASCENDING or DESCENDING")),
    };
    let limit = q.limit(100, 1000)?;
    let after = q.after()?;
    // The log's cursors are its sequence keys (12 digits), whatever the page holds:
    // anything else was never handed out.
    if after.is_some_and(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit())) {
        return Err(OktaError::InvalidPaging);
    }
    let (items, next, last_key, newest) = call.read(|s| -> Result<_, OktaError> {
        let mut keyed: Vec<(String, (String, &Value))> = s
            .log_events
            .iter()
            .filter(|(_, e)| {
                let published = e
                    .get("published")
                    .and_then(Value::as_str)
                    .and_then(|p| DateTime::parse_from_rfc3339(p).ok())
                    .map(|d| d.with_timezone(&Utc));
                published.is_some_and(|p| p >= since && until.is_none_or(|u| p < u))
            })
            .filter(|(_, e)| filter.as_ref().is_none_or(|f| search::matches(f, &***e, false)))
            .filter(|(_, e)| {
                if keywords.is_empty() {
                    return true;
                }
                let hay = haystack(e);
                keywords.iter().all(|k| hay.contains(k.as_str()))
            })
            .map(|(k, e)| (k.to_string(), (k.to_string(), &**e)))
            .collect();
        let order = if descending {
            keyed.reverse();
            Order::KeyDescending
        } else {
            Order::KeyAscending
        };
        let (page, next) = paginate(keyed, after, limit, order)?;
        let last_key = page.last().map(|(k, _)| k.clone());
        let items = page.into_iter().map(|(_, e)| e.clone()).collect::<Vec<_>>();
        Ok((items, next, last_key, format!("{:012}", s.log_seq)))
    })??;
    // A polling request (no `until`, ascending) always offers a next page: the
    // events after the last one returned (or after everything so far).
    let next = match next {
        Some(n) => Some(n),
        None if until.is_none() && !descending => {
            Some(last_key.or_else(|| after.map(str::to_string)).unwrap_or(newest))
        }
        None => None,
    };
    Ok(wire::page(items, link_headers(call.base(), "/api/v1/logs", &call.query, next.as_deref())))
}
