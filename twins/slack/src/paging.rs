//! Cursor pagination, written once: `limit` + `cursor` in, a page plus
//! `response_metadata.next_cursor` out (`""` on the last page). Cursors are opaque
//! base64 strings like Slack's (`dXNlcjpVMDYxTkZUVDI=` = `user:U061NFTT2`).

use serde_json::{json, Value};

use crate::errors::SlackError;
use crate::wire::{base64_decode, base64_encode, Params};

#[derive(Debug, Clone, PartialEq)]
pub struct PageRequest {
    pub limit: usize,
    /// The key the page starts at (decoded from the cursor).
    pub start: Option<String>,
}

/// How a method reads `limit`.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub default: usize,
    pub max: usize,
    /// Past `max`: `invalid_limit` (true) or clamp (false).
    pub strict: bool,
}

pub const DEFAULT_LIMITS: Limits = Limits { default: 100, max: 1000, strict: false };

pub fn encode_cursor(kind: &str, key: &str) -> String {
    base64_encode(format!("{kind}:{key}").as_bytes())
}

pub fn decode_cursor(kind: &str, cursor: &str) -> Result<String, SlackError> {
    let bytes = base64_decode(cursor).ok_or(SlackError::InvalidCursor)?;
    let text = String::from_utf8(bytes).map_err(|_| SlackError::InvalidCursor)?;
    match text.split_once(':') {
        Some((k, key)) if k == kind && !key.is_empty() => Ok(key.to_string()),
        _ => Err(SlackError::InvalidCursor),
    }
}

/// Reads `limit` and `cursor`.
pub fn page_request(params: &Params, kind: &str, limits: Limits) -> Result<PageRequest, SlackError> {
    let limit = match params.int("limit") {
        Ok(None) | Ok(Some(0)) => limits.default,
        Ok(Some(n)) if n < 0 => {
            if limits.strict {
                return Err(SlackError::Code("invalid_limit"));
            }
            limits.default
        }
        Ok(Some(n)) => {
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if n > limits.max && limits.strict {
                return Err(SlackError::Code("invalid_limit"));
            }
            n.min(limits.max)
        }
        Err(_) if limits.strict => return Err(SlackError::Code("invalid_limit")),
        Err(e) => return Err(e),
    };
    let start = match params.nonempty("cursor") {
        Some(cursor) => Some(decode_cursor(kind, &cursor)?),
        None => None,
    };
    Ok(PageRequest { limit, start })
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// `""` on the last page.
    pub next_cursor: String,
}

impl<T> Page<T> {
    pub fn has_more(&self) -> bool {
        !self.next_cursor.is_empty()
    }
}

/// One page of `items` (already in output order, keyed by a sort key that orders the
/// same way: ascending, or descending when `descending`).
pub fn paginate<T>(
    items: impl IntoIterator<Item = (String, T)>,
    req: &PageRequest,
    kind: &str,
    descending: bool,
) -> Page<T> {
    // Lazy: items before the cursor are skipped and nothing past the page's end (plus the
    // one that names the next cursor) is pulled, so callers render only what they return.
    let before_start = |k: &String| match &req.start {
        None => false,
        Some(start) => {
            if descending {
                k > start
            } else {
                k < start
            }
        }
    };
    let mut rest = items.into_iter().skip_while(|(k, _)| before_start(k));
    let page: Vec<T> = rest.by_ref().take(req.limit.max(1)).map(|(_, v)| v).collect();
    let next_cursor = rest.next().map(|(k, _)| encode_cursor(kind, &k)).unwrap_or_default();
    Page { items: page, next_cursor }
}

/// `{"next_cursor": "..."}`.
pub fn metadata(next_cursor: &str) -> Value {
    json!({ "next_cursor": next_cursor })
}

/// `response_metadata` for bodies rendered without `Value`s.
#[derive(Debug, serde::Serialize)]
pub struct Metadata<'a> {
    pub next_cursor: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<(String, usize)> {
        (0..n).map(|i| (format!("K{i:03}"), i)).collect()
    }

    #[test]
    fn pages_to_the_end_with_an_empty_last_cursor() {
        let mut req = PageRequest { limit: 4, start: None };
        let mut seen = Vec::new();
        loop {
            let page = paginate(items(10), &req, "item", false);
            seen.extend(page.items.clone());
            if !page.has_more() {
                assert_eq!(page.next_cursor, "");
                break;
            }
            req.start = Some(decode_cursor("item", &page.next_cursor).unwrap());
        }
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
    }

    #[test]
    fn descending_pages_and_deleted_start_keys() {
        let mut desc = items(5);
        desc.reverse();
        let req = PageRequest { limit: 2, start: Some("K0025".into()) }; // between K002 and K003
        let page = paginate(desc, &req, "ts", true);
        assert_eq!(page.items, vec![2, 1]);
        assert_eq!(decode_cursor("ts", &page.next_cursor).unwrap(), "K000");
    }

    #[test]
    fn bad_cursors_and_limits() {
        let mut p = Params::new();
        p.set("cursor", "not base64!");
        assert_eq!(page_request(&p, "user", DEFAULT_LIMITS), Err(SlackError::InvalidCursor));
        p.set("cursor", encode_cursor("channel", "C1"));
        assert_eq!(page_request(&p, "user", DEFAULT_LIMITS), Err(SlackError::InvalidCursor));
        let mut p = Params::new();
        p.set("limit", "5000");
        let strict = Limits { strict: true, ..DEFAULT_LIMITS };
        assert_eq!(page_request(&p, "user", strict), Err(SlackError::Code("invalid_limit")));
        assert_eq!(page_request(&p, "user", DEFAULT_LIMITS).unwrap().limit, 1000);
        p.set("limit", "0");
        assert_eq!(page_request(&p, "user", DEFAULT_LIMITS).unwrap().limit, 100);
    }
}
