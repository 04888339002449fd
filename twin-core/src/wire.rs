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

/// The user and password of `Authorization: Basic`, as sent (RFC 7617).
pub fn basic_pair(headers: &HeaderMap) -> Option<(String, String)> {
    use base64::Engine as _;
    let encoded = authorization(headers, "Basic")?;
    let decoded = String::from_utf8(base64::engine::general_purpose::STANDARD.decode(encoded).ok()?).ok()?;
    let (user, password) = decoded.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

/// The client id and secret of `Authorization: Basic` (RFC 6749 §2.3.1: each
/// form-urlencoded before joining, so each is unescaped after splitting).
pub fn basic_credentials(headers: &HeaderMap) -> Option<(String, String)> {
    let (id, secret) = basic_pair(headers)?;
    let unescape = |s: &str| form_urlencoded::parse(format!("x={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    Some((unescape(&id)?, unescape(&secret)?))
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

    #[test]
    fn basic_client_credentials() {
        let mut h = HeaderMap::new();
        // "a%3Ab:s+t" → id "a:b", secret "s t"
        h.insert(AUTHORIZATION, "Basic YSUzQWI6cyt0".parse().unwrap());
        assert_eq!(basic_credentials(&h), Some(("a:b".into(), "s t".into())));
        h.insert(AUTHORIZATION, "Basic !!!".parse().unwrap());
        assert_eq!(basic_credentials(&h), None);
        h.insert(AUTHORIZATION, "Bearer YSUzQWI6cyt0".parse().unwrap());
        assert_eq!(basic_credentials(&h), None);
    }
}

/// Whether a route pattern spelled as in the vendor's OpenAPI document
/// (`/api/v1/users/{userId}`) matches a request path: literal segments equal, each
/// `{param}` one non-empty segment; a trailing `/` on the path is ignored. The plain
/// scan that [`RouteIndex`] must agree with (its test's oracle).
#[cfg(test)]
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
/// (`/groups/rules` is not the group `rules`), as a router resolves them. The plain
/// scan that [`RouteIndex`] must agree with (its test's oracle).
#[cfg(test)]
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

/// A route table prepared for lookups: patterns split into segments once and grouped
/// by method and segment count, so a request compares only against routes of its
/// shape. Of the routes that match, the most literal segments win (`/groups/rules` is
/// not the group `rules`), as a router resolves them; on a tie, the first in the table.
pub struct RouteIndex<R> {
    /// By segment count, then by method: a lookup allocates nothing.
    groups: std::collections::HashMap<usize, Vec<MethodRoutes<R>>>,
}

/// The routes of one method (and one segment count).
type MethodRoutes<R> = (String, Vec<IndexedRoute<R>>);

struct IndexedRoute<R> {
    /// Per segment: `None` for a literal, `Some(verb)` for a parameter (with the
    /// literal custom verb that may follow it, as Google spells `{range}:append`).
    params: Vec<Option<String>>,
    literals: Vec<String>,
    literal_count: usize,
    route: R,
}

impl<R> IndexedRoute<R> {
    fn matches(&self, path: &str) -> bool {
        path.split('/').enumerate().all(|(i, segment)| match &self.params[i] {
            None => self.literals[i] == segment,
            Some(verb) => segment.strip_suffix(verb.as_str()).is_some_and(|raw| !raw.is_empty()),
        })
    }
}

impl<R> RouteIndex<R> {
    pub fn new(routes: impl IntoIterator<Item = R>, method: impl Fn(&R) -> &str, pattern: impl Fn(&R) -> &str) -> Self {
        let mut groups: std::collections::HashMap<usize, Vec<MethodRoutes<R>>> = Default::default();
        for route in routes {
            let segments: Vec<&str> = pattern(&route).split('/').collect();
            let mut params = Vec::with_capacity(segments.len());
            let mut literals = Vec::with_capacity(segments.len());
            for segment in &segments {
                match segment.strip_prefix('{').and_then(|a| a.split_once('}')) {
                    Some((_, verb)) => {
                        params.push(Some(verb.to_string()));
                        literals.push(String::new());
                    }
                    None => {
                        params.push(None);
                        literals.push(segment.to_string());
                    }
                }
            }
            let literal_count = params.iter().filter(|p| p.is_none()).count();
            let method = method(&route).to_ascii_uppercase();
            let by_method = groups.entry(segments.len()).or_default();
            let indexed = IndexedRoute { params, literals, literal_count, route };
            match by_method.iter_mut().find(|(m, _)| *m == method) {
                Some((_, routes)) => routes.push(indexed),
                None => by_method.push((method, vec![indexed])),
            }
        }
        Self { groups }
    }

    /// The route serving `method path`.
    pub fn find(&self, method: &str, path: &str) -> Option<&R> {
        let path = path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(path);
        let by_method = self.groups.get(&path.split('/').count())?;
        let (_, candidates) = by_method.iter().find(|(m, _)| m == method)?;
        let mut best: Option<&IndexedRoute<R>> = None;
        for candidate in candidates {
            if best.is_none_or(|b| candidate.literal_count > b.literal_count) && candidate.matches(path) {
                best = Some(candidate);
            }
        }
        best.map(|b| &b.route)
    }

    /// Whether some route, of any method, serves `path`.
    pub fn path_known(&self, path: &str) -> bool {
        let path = path.strip_suffix('/').filter(|p| !p.is_empty()).unwrap_or(path);
        self.groups
            .get(&path.split('/').count())
            .is_some_and(|by_method| by_method.iter().flat_map(|(_, routes)| routes).any(|r| r.matches(path)))
    }
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

    #[test]
    fn the_index_chooses_as_best_route_does() {
        let routes = [
            ("GET", "/api/v1/groups/{id}"),
            ("GET", "/api/v1/groups/rules"),
            ("GET", "/api/v1/groups/{id}/users"),
            ("POST", "/api/v1/groups/{id}"),
            ("POST", "/v4/s/{id}/values/{range}:append"),
            ("POST", "/v4/s/{id}/values/{range}"),
            ("GET", "/a/{x}/b"),
            ("GET", "/a/{y}/b"),
        ];
        let index = RouteIndex::new(routes, |r| r.0, |r| r.1);
        let paths = [
            "/api/v1/groups/rules",
            "/api/v1/groups/00g1",
            "/api/v1/groups/00g1/",
            "/api/v1/groups/",
            "/api/v1/groups/00g1/users",
            "/api/v1/groups/00g1/apps",
            "/v4/s/1/values/A1:append",
            "/v4/s/1/values/:append",
            "/v4/s/1/values/A1",
            "/a/1/b",
            "/",
            "",
        ];
        for method in ["GET", "POST", "PUT"] {
            for path in paths {
                let scanned = best_route(routes.iter().filter(|r| r.0 == method), |r| r.1, path);
                assert_eq!(index.find(method, path), scanned, "{method} {path}");
            }
        }
        assert!(index.path_known("/api/v1/groups/00g1/users"));
        assert!(!index.path_known("/api/v1/groups/00g1/apps"));
    }
}

/// A JSON document as response bytes. `serde_json::to_vec` writes straight into the
/// buffer; `Value::to_string` goes through `fmt::Display`, which cost a search
/// answer of 50 issues (about 50 KB) a noticeable share of its time.
pub fn json_body(value: &serde_json::Value) -> bytes::Bytes {
    // Serializing a `Value` cannot fail: its keys are strings.
    bytes::Bytes::from(serde_json::to_vec(value).unwrap_or_default())
}
