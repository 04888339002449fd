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
