//! The route table: every path the twin serves, its operation name (for the
//! journal, metrics and chaos matching) and how completely it follows the vendor.
//! Paths are spelled as in Okta's OpenAPI document, so the coverage test can
//! check them against it.

use axum::http::Method;
use axum::Router;

use super::{
    apps, authenticators, authn, authservers, factors, groups, hooks, idps, logs, mappings, oauth, policies, recovery,
    roles, rules, schemas, sessions, tokens, users, zones,
};

/// How completely a route follows the vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cov {
    /// Behaves as Okta does, as far as the tests and the research can tell.
    Implemented,
    /// Served, with the named gaps.
    Partial(&'static str),
    /// Not in the Management API document (Authentication API, OAuth 2.0 / OIDC).
    Extra,
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub operation: &'static str,
    pub coverage: Cov,
}

pub const fn route(method: &'static str, path: &'static str, operation: &'static str, coverage: Cov) -> Route {
    Route { method, path, operation, coverage }
}

/// Every route of every resource.
pub fn all() -> Vec<Route> {
    [
        users::ROUTES,
        groups::ROUTES,
        rules::ROUTES,
        logs::ROUTES,
        apps::ROUTES,
        factors::ROUTES,
        authn::ROUTES,
        recovery::ROUTES,
        sessions::ROUTES,
        oauth::ROUTES,
        authservers::ROUTES,
        hooks::ROUTES,
        policies::ROUTES,
        zones::ROUTES,
        idps::ROUTES,
        roles::ROUTES,
        schemas::ROUTES,
        authenticators::ROUTES,
        tokens::ROUTES,
        mappings::ROUTES,
    ]
    .concat()
}

pub fn router() -> Router {
    let r = Router::new();
    let r = users::routes(r);
    let r = groups::routes(r);
    let r = rules::routes(r);
    let r = logs::routes(r);
    let r = apps::routes(r);
    let r = factors::routes(r);
    let r = authn::routes(r);
    let r = recovery::routes(r);
    let r = sessions::routes(r);
    let r = authservers::routes(r);
    let r = hooks::routes(r);
    let r = policies::routes(r);
    let r = zones::routes(r);
    let r = idps::routes(r);
    let r = roles::routes(r);
    let r = schemas::routes(r);
    let r = authenticators::routes(r);
    let r = tokens::routes(r);
    let r = mappings::routes(r);
    oauth::routes(r)
}

/// The route serving `method path`. Literal segments win over parameters
/// (`/api/v1/groups/rules` is not a group id), as in the router.
pub fn find(method: &Method, path: &str) -> Option<Route> {
    index().find(method.as_str(), &collapse_slashes(path)).copied()
}

/// Does any route serve this path (with some method)?
pub fn path_known(path: &str) -> bool {
    index().path_known(&collapse_slashes(path))
}

/// The path with each run of slashes read as one, as Okta reads `//api/v1/users`.
pub fn collapse_slashes(path: &str) -> std::borrow::Cow<'_, str> {
    if !path.contains("//") {
        return path.into();
    }
    let mut out = String::with_capacity(path.len());
    for c in path.chars() {
        if !(c == '/' && out.ends_with('/')) {
            out.push(c);
        }
    }
    out.into()
}

/// The table, indexed once: every request looks its operation up in it.
fn index() -> &'static twin_core::wire::RouteIndex<Route> {
    static INDEX: std::sync::LazyLock<twin_core::wire::RouteIndex<Route>> =
        std::sync::LazyLock::new(|| twin_core::wire::RouteIndex::new(all(), |r| r.method, |r| r.path));
    &INDEX
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt;

    fn concrete(path: &str) -> String {
        path.split('/').map(|s| if s.starts_with('{') { "x1" } else { s }).collect::<Vec<_>>().join("/")
    }

    #[test]
    fn operations_resolve_with_literals_first() {
        let op = |m: Method, p: &str| find(&m, p).map(|r| r.operation);
        assert_eq!(op(Method::GET, "/api/v1/users"), Some("okta.users.list"));
        assert_eq!(op(Method::GET, "/api/v1/users/ann@acme.test"), Some("okta.users.get"));
        assert_eq!(op(Method::POST, "/api/v1/users/00u1/lifecycle/suspend"), Some("okta.users.suspend"));
        assert_eq!(op(Method::GET, "/api/v1/groups/rules"), Some("okta.group_rules.list"));
        assert_eq!(op(Method::GET, "/api/v1/groups/00g1"), Some("okta.groups.get"));
        assert_eq!(op(Method::GET, "/api/v1/nothing"), None);
        assert_eq!(op(Method::PATCH, "/api/v1/users"), None);
    }

    #[test]
    fn operation_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in all() {
            assert!(seen.insert((r.method, r.operation)), "duplicate {} {}", r.method, r.operation);
            assert!(r.operation.starts_with("okta."), "{}", r.operation);
        }
    }

    /// Every table entry reaches a handler of the router (which, without the core
    /// pipeline in front, answers 500 E0000009), and nothing else is routed.
    #[tokio::test]
    async fn the_router_serves_exactly_the_table() {
        let app = super::super::router();
        for r in all() {
            let req = Request::builder().method(r.method).uri(concrete(r.path)).body(Body::empty()).unwrap();
            let resp = app.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status().as_u16(), 500, "{} {} is not routed", r.method, r.path);
        }
        let req = Request::builder().method("GET").uri("/api/v1/nope").body(Body::empty()).unwrap();
        let resp = app.clone().oneshot(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), 404);
        let req = Request::builder().method("PATCH").uri("/api/v1/users").body(Body::empty()).unwrap();
        let resp = app.oneshot(req).await.unwrap();
        assert_eq!(resp.status().as_u16(), 405);
        let body = axum::body::to_bytes(resp.into_body(), 1 << 20).await.unwrap();
        assert!(String::from_utf8_lossy(&body).contains("E0000022"));
    }
}
