//! Request-parsing pieces more than one twin needs.

use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::HeaderMap;

/// The credential of an `Authorization: <scheme> <credential>` header, when the
/// scheme matches (case-insensitively).
pub fn authorization<'a>(headers: &'a HeaderMap, scheme: &str) -> Option<&'a str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let (given, credential) = value.split_once(' ')?;
    given.eq_ignore_ascii_case(scheme).then(|| credential.trim()).filter(|c| !c.is_empty())
}

/// The media type of the request, lower-cased, without parameters.
pub fn media_type(headers: &HeaderMap) -> Option<String> {
    let ct = headers.get(CONTENT_TYPE)?.to_str().ok()?;
    Some(ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase())
}

/// `application/x-www-form-urlencoded` pairs.
pub fn form_pairs(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_and_other_schemes() {
        let mut h = HeaderMap::new();
        h.insert(AUTHORIZATION, "Bearer xoxb-1".parse().unwrap());
        assert_eq!(authorization(&h, "bearer"), Some("xoxb-1"));
        assert_eq!(authorization(&h, "SSWS"), None);
        h.insert(AUTHORIZATION, "Bearer ".parse().unwrap());
        assert_eq!(authorization(&h, "Bearer"), None);
    }
}

/// Whether a route pattern spelled as in the vendor's OpenAPI document
/// (`/api/v1/users/{userId}`) matches a request path: literal segments equal, each
/// `{param}` one non-empty segment; a trailing `/` on the path is ignored.
pub fn path_matches(pattern: &str, path: &str) -> bool {
    match_segments(pattern, path, |_, _| {})
}

/// The path parameters of `path` under `pattern` (percent-decoded), or None when it
/// does not match. A parameter may be followed by a literal custom verb in its
/// segment, as Google spells them (`/values/{range}:append`).
pub fn path_params(pattern: &str, path: &str) -> Option<Vec<(String, String)>> {
    let mut params = Vec::new();
    match_segments(pattern, path, |name, raw| params.push((name.to_string(), percent_decode(raw)))).then_some(params)
}

fn match_segments(pattern: &str, path: &str, mut on_param: impl FnMut(&str, &str)) -> bool {
    let path = path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(path);
    let mut p = pattern.split('/');
    let mut q = path.split('/');
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) => {
                if let Some((name, verb)) = a.strip_prefix('{').and_then(|a| a.split_once('}')) {
                    match b.strip_suffix(verb) {
                        Some(raw) if !raw.is_empty() => on_param(name, raw),
                        _ => return false,
                    }
                } else if a != b {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

/// `%XX` escapes decoded (a malformed escape is kept as it is).
pub fn percent_decode(s: &str) -> String {
    percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Of the routes whose pattern matches `path`, the one with the most literal segments
/// (`/groups/rules` is not the group `rules`), as a router resolves them.
pub fn best_route<R>(routes: impl IntoIterator<Item = R>, pattern: impl Fn(&R) -> &str, path: &str) -> Option<R> {
    let mut best: Option<(usize, R)> = None;
    for r in routes {
        if path_matches(pattern(&r), path) {
            let literals = pattern(&r).split('/').filter(|s| !s.starts_with('{')).count();
            if best.as_ref().is_none_or(|(n, _)| literals > *n) {
                best = Some((literals, r));
            }
        }
    }
    best.map(|(_, r)| r)
}

#[cfg(test)]
mod route_tests {
    use super::*;

    #[test]
    fn patterns_match_segments_and_literals_win() {
        assert!(path_matches("/api/v1/users/{id}", "/api/v1/users/00u1"));
        assert!(path_matches("/api/v1/users/{id}", "/api/v1/users/00u1/"));
        assert!(!path_matches("/api/v1/users/{id}", "/api/v1/users/"));
        assert!(!path_matches("/api/v1/users/{id}", "/api/v1/users/00u1/groups"));
        let routes = ["/api/v1/groups/{id}", "/api/v1/groups/rules"];
        assert_eq!(best_route(routes, |r| r, "/api/v1/groups/rules"), Some("/api/v1/groups/rules"));
        assert_eq!(best_route(routes, |r| r, "/api/v1/groups/00g1"), Some("/api/v1/groups/{id}"));
        assert_eq!(best_route(routes, |r| r, "/api/v2/groups"), None);
    }
}

/// A JSON document as response bytes. `serde_json::to_vec` writes straight into the
/// buffer; `Value::to_string` goes through `fmt::Display`, which cost a search
/// answer of 50 issues (about 50 KB) a noticeable share of its time.
pub fn json_body(value: &serde_json::Value) -> bytes::Bytes {
    // Serializing a `Value` cannot fail: its keys are strings.
    bytes::Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}
