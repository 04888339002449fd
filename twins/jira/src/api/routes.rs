//! The route table: every operation the twin serves, its method and path (as the
//! vendor's OpenAPI documents spell them, platform paths under `/rest/api/3`), its
//! operation name (journal, metrics, chaos), how completely it follows Jira, and its
//! handler. The router, the operation names and the coverage all derive from it.
//! Platform routes are served under `/rest/api/2`, `/rest/api/3` and `/rest/api/latest`.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use axum::http::Method;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodFilter, MethodRouter};
use axum::Router;

use super::{agile, extra, hooks, issues, meta, more, search, Call};

/// How completely a route follows the vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cov {
    Implemented,
    /// Served, with the named gaps.
    Partial(&'static str),
    /// Not in the vendor's current documents (removed or deprecated endpoints clients still call).
    Extra,
}

pub type BoxFuture = Pin<Box<dyn Future<Output = Response> + Send>>;
pub type Handler = fn(Call) -> BoxFuture;

#[derive(Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub operation: &'static str,
    pub coverage: Cov,
    pub handler: Handler,
}

macro_rules! r {
    ($m:literal, $p:literal, $op:literal, $cov:expr, $f:path) => {
        Route {
            method: $m,
            path: $p,
            operation: $op,
            coverage: $cov,
            handler: |c: Call| -> BoxFuture { Box::pin(async move { $f(c).await.into_response() }) },
        }
    };
}

use Cov::{Extra, Implemented as Ok_, Partial};

/// Every route.
pub fn all() -> Vec<Route> {
    vec![
        // Server, users, catalogue.
        r!("GET", "/rest/api/3/serverInfo", "jira.serverInfo", Ok_, meta::server_info),
        r!("GET", "/rest/api/3/myself", "jira.myself", Partial("expand=groups only"), meta::myself),
        r!("GET", "/rest/api/3/field", "jira.field.list", Ok_, meta::fields),
        r!("GET", "/rest/api/3/priority", "jira.priority.list", Ok_, meta::priorities),
        r!("GET", "/rest/api/3/priority/search", "jira.priority.search", Ok_, meta::priority_search),
        r!("GET", "/rest/api/3/priority/{id}", "jira.priority.get", Ok_, meta::priority),
        r!("GET", "/rest/api/3/resolution", "jira.resolution.list", Ok_, meta::resolutions),
        r!("GET", "/rest/api/3/resolution/{id}", "jira.resolution.get", Ok_, meta::resolution),
        r!("GET", "/rest/api/3/status", "jira.status.list", Ok_, meta::statuses),
        r!("GET", "/rest/api/3/status/{idOrName}", "jira.status.get", Ok_, meta::status),
        r!("GET", "/rest/api/3/statuscategory", "jira.statuscategory.list", Ok_, meta::status_categories),
        r!("GET", "/rest/api/3/issuetype", "jira.issuetype.list", Ok_, meta::issue_types),
        r!("GET", "/rest/api/3/issuetype/project", "jira.issuetype.project", Ok_, meta::issue_types_for_project),
        r!("GET", "/rest/api/3/issuetype/{id}", "jira.issuetype.get", Ok_, meta::issue_type),
        r!("GET", "/rest/api/3/issueLinkType", "jira.issueLinkType.list", Ok_, meta::link_types),
        r!("GET", "/rest/api/3/issueLinkType/{issueLinkTypeId}", "jira.issueLinkType.get", Ok_, meta::link_type),
        r!("GET", "/rest/api/3/label", "jira.label.list", Ok_, meta::labels),
        r!("GET", "/rest/api/3/user", "jira.user.get", Ok_, meta::user_get),
        r!("GET", "/rest/api/3/user/search", "jira.user.search", Ok_, meta::user_search),
        r!("GET", "/rest/api/3/user/assignable/search", "jira.user.assignable", Ok_, meta::user_assignable),
        r!("GET", "/rest/api/3/users/search", "jira.users.list", Ok_, meta::users_all),
        r!("GET", "/rest/auth/1/session", "jira.auth.session", Extra, meta::session),
        // Projects.
        r!("GET", "/rest/api/3/project", "jira.project.list", Ok_, meta::projects),
        r!(
            "GET",
            "/rest/api/3/project/search",
            "jira.project.search",
            Partial("orderBy key/name only"),
            meta::project_search
        ),
        r!("GET", "/rest/api/3/project/{projectIdOrKey}", "jira.project.get", Ok_, meta::project),
        r!(
            "GET",
            "/rest/api/3/project/{projectIdOrKey}/statuses",
            "jira.project.statuses",
            Ok_,
            meta::project_statuses
        ),
        r!(
            "GET",
            "/rest/api/3/project/{projectIdOrKey}/components",
            "jira.project.components",
            Ok_,
            meta::project_components
        ),
        // Issues.
        r!("POST", "/rest/api/3/issue", "jira.issue.create", Ok_, issues::create),
        r!("POST", "/rest/api/3/issue/bulk", "jira.issue.bulkCreate", Ok_, issues::bulk_create),
        r!("GET", "/rest/api/3/issue/createmeta", "jira.issue.createmeta", Ok_, issues::createmeta),
        r!(
            "GET",
            "/rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes",
            "jira.issue.createmeta.issuetypes",
            Ok_,
            issues::createmeta_types
        ),
        r!(
            "GET",
            "/rest/api/3/issue/createmeta/{projectIdOrKey}/issuetypes/{issueTypeId}",
            "jira.issue.createmeta.fields",
            Ok_,
            issues::createmeta_fields
        ),
        r!(
            "GET",
            "/rest/api/3/issue/picker",
            "jira.issue.picker",
            Partial("currentJQL filters, no history sections"),
            more::picker
        ),
        r!(
            "GET",
            "/rest/api/3/issue/{issueIdOrKey}",
            "jira.issue.get",
            Partial("no versionedRepresentations"),
            issues::get
        ),
        r!("PUT", "/rest/api/3/issue/{issueIdOrKey}", "jira.issue.edit", Ok_, issues::edit),
        r!("DELETE", "/rest/api/3/issue/{issueIdOrKey}", "jira.issue.delete", Ok_, issues::delete),
        r!("PUT", "/rest/api/3/issue/{issueIdOrKey}/assignee", "jira.issue.assign", Ok_, issues::assign),
        r!("GET", "/rest/api/3/issue/{issueIdOrKey}/editmeta", "jira.issue.editmeta", Ok_, issues::editmeta),
        r!(
            "GET",
            "/rest/api/3/issue/{issueIdOrKey}/transitions",
            "jira.issue.transitions.list",
            Ok_,
            issues::transitions
        ),
        r!(
            "POST",
            "/rest/api/3/issue/{issueIdOrKey}/transitions",
            "jira.issue.transitions.do",
            Ok_,
            issues::transition
        ),
        r!("GET", "/rest/api/3/issue/{issueIdOrKey}/changelog", "jira.issue.changelog", Ok_, more::changelog),
        r!(
            "POST",
            "/rest/api/3/changelog/bulkfetch",
            "jira.changelog.bulkfetch",
            Partial("no fieldIds filter"),
            more::changelog_bulk
        ),
        r!("GET", "/rest/api/3/issue/{issueIdOrKey}/comment", "jira.comment.list", Ok_, more::comments),
        r!("POST", "/rest/api/3/issue/{issueIdOrKey}/comment", "jira.comment.add", Ok_, more::add_comment),
        r!("GET", "/rest/api/3/issue/{issueIdOrKey}/comment/{id}", "jira.comment.get", Ok_, more::comment),
        r!("PUT", "/rest/api/3/issue/{issueIdOrKey}/comment/{id}", "jira.comment.update", Ok_, more::update_comment),
        r!("DELETE", "/rest/api/3/issue/{issueIdOrKey}/comment/{id}", "jira.comment.delete", Ok_, more::delete_comment),
        r!("GET", "/rest/api/3/issue/{issueIdOrKey}/worklog", "jira.worklog.list", Ok_, more::worklogs),
        r!(
            "POST",
            "/rest/api/3/issue/{issueIdOrKey}/worklog",
            "jira.worklog.add",
            Partial("adjustEstimate auto/leave/new"),
            more::add_worklog
        ),
        r!("GET", "/rest/api/3/issue/{issueIdOrKey}/worklog/{id}", "jira.worklog.get", Ok_, more::worklog),
        r!("PUT", "/rest/api/3/issue/{issueIdOrKey}/worklog/{id}", "jira.worklog.update", Ok_, more::update_worklog),
        r!("DELETE", "/rest/api/3/issue/{issueIdOrKey}/worklog/{id}", "jira.worklog.delete", Ok_, more::delete_worklog),
        r!("GET", "/rest/api/3/issue/{issueIdOrKey}/watchers", "jira.watchers.list", Ok_, more::watchers),
        r!("POST", "/rest/api/3/issue/{issueIdOrKey}/watchers", "jira.watchers.add", Ok_, more::add_watcher),
        r!("DELETE", "/rest/api/3/issue/{issueIdOrKey}/watchers", "jira.watchers.remove", Ok_, more::remove_watcher),
        r!("POST", "/rest/api/3/issue/{issueIdOrKey}/attachments", "jira.attachment.add", Ok_, more::add_attachment),
        r!("GET", "/rest/api/3/attachment/{id}", "jira.attachment.get", Ok_, more::attachment),
        r!("DELETE", "/rest/api/3/attachment/{id}", "jira.attachment.delete", Ok_, more::delete_attachment),
        r!("GET", "/rest/api/3/attachment/content/{id}", "jira.attachment.content", Ok_, more::attachment_content),
        r!("POST", "/rest/api/3/issueLink", "jira.issueLink.create", Ok_, more::create_link),
        r!("GET", "/rest/api/3/issueLink/{linkId}", "jira.issueLink.get", Ok_, more::link),
        r!("DELETE", "/rest/api/3/issueLink/{linkId}", "jira.issueLink.delete", Ok_, more::delete_link),
        r!(
            "GET",
            "/rest/api/3/issue/{issueIdOrKey}/properties",
            "jira.issue.properties.keys",
            Ok_,
            more::property_keys
        ),
        r!(
            "GET",
            "/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
            "jira.issue.properties.get",
            Ok_,
            more::property
        ),
        r!(
            "PUT",
            "/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
            "jira.issue.properties.set",
            Ok_,
            more::set_property
        ),
        r!(
            "DELETE",
            "/rest/api/3/issue/{issueIdOrKey}/properties/{propertyKey}",
            "jira.issue.properties.delete",
            Ok_,
            more::delete_property
        ),
        r!("GET", "/rest/api/3/issue/{issueIdOrKey}/remotelink", "jira.remotelink.list", Ok_, extra::remote_links),
        r!(
            "POST",
            "/rest/api/3/issue/{issueIdOrKey}/remotelink",
            "jira.remotelink.create",
            Ok_,
            extra::add_remote_link
        ),
        r!(
            "DELETE",
            "/rest/api/3/issue/{issueIdOrKey}/remotelink",
            "jira.remotelink.delete_by_global",
            Ok_,
            extra::delete_remote_link
        ),
        r!(
            "GET",
            "/rest/api/3/issue/{issueIdOrKey}/remotelink/{linkId}",
            "jira.remotelink.get",
            Ok_,
            extra::remote_link
        ),
        r!(
            "PUT",
            "/rest/api/3/issue/{issueIdOrKey}/remotelink/{linkId}",
            "jira.remotelink.update",
            Ok_,
            extra::update_remote_link
        ),
        r!(
            "DELETE",
            "/rest/api/3/issue/{issueIdOrKey}/remotelink/{linkId}",
            "jira.remotelink.delete",
            Ok_,
            extra::delete_remote_link
        ),
        r!("GET", "/rest/api/3/issue/{issueIdOrKey}/votes", "jira.votes.get", Ok_, extra::votes),
        r!("POST", "/rest/api/3/issue/{issueIdOrKey}/votes", "jira.votes.add", Ok_, extra::vote),
        r!("DELETE", "/rest/api/3/issue/{issueIdOrKey}/votes", "jira.votes.remove", Ok_, extra::vote),
        r!(
            "POST",
            "/rest/api/3/issue/{issueIdOrKey}/notify",
            "jira.issue.notify",
            Partial("accepted; no mail is sent"),
            extra::notify
        ),
        r!(
            "GET",
            "/rest/api/3/project/{projectIdOrKey}/versions",
            "jira.project.versions",
            Partial("projects have no versions"),
            extra::project_versions
        ),
        r!("GET", "/rest/api/3/group/member", "jira.group.members", Ok_, extra::group_members),
        // Search.
        r!("GET", "/rest/api/3/search/jql", "jira.search.jql", Partial("no reconcileIssues lag"), search::search_get),
        r!(
            "POST",
            "/rest/api/3/search/jql",
            "jira.search.jql.post",
            Partial("no reconcileIssues lag"),
            search::search_post
        ),
        r!(
            "GET",
            "/rest/api/3/search",
            "jira.search.legacy",
            Partial("410 Gone, as Cloud answers since CHANGE-2046"),
            search::legacy
        ),
        r!(
            "POST",
            "/rest/api/3/search",
            "jira.search.legacy.post",
            Partial("410 Gone, as Cloud answers since CHANGE-2046"),
            search::legacy
        ),
        r!("POST", "/rest/api/3/search/approximate-count", "jira.search.count", Ok_, search::count),
        r!("POST", "/rest/api/3/jql/parse", "jira.jql.parse", Partial("structure of clauses only"), search::parse),
        // Agile.
        r!("GET", "/rest/agile/1.0/board", "jira.agile.board.list", Ok_, agile::boards),
        r!(
            "POST",
            "/rest/agile/1.0/board",
            "jira.agile.board.create",
            Partial("a project location, no filter"),
            agile::create_board
        ),
        r!("GET", "/rest/agile/1.0/board/{boardId}", "jira.agile.board.get", Ok_, agile::board),
        r!(
            "GET",
            "/rest/agile/1.0/board/{boardId}/configuration",
            "jira.agile.board.configuration",
            Ok_,
            agile::board_configuration
        ),
        r!("GET", "/rest/agile/1.0/board/{boardId}/issue", "jira.agile.board.issues", Ok_, agile::board_issues),
        r!("GET", "/rest/agile/1.0/board/{boardId}/backlog", "jira.agile.board.backlog", Ok_, agile::board_backlog),
        r!("GET", "/rest/agile/1.0/board/{boardId}/sprint", "jira.agile.board.sprints", Ok_, agile::board_sprints),
        r!("POST", "/rest/agile/1.0/sprint", "jira.agile.sprint.create", Ok_, agile::create_sprint),
        r!("GET", "/rest/agile/1.0/sprint/{sprintId}", "jira.agile.sprint.get", Ok_, agile::sprint),
        r!("POST", "/rest/agile/1.0/sprint/{sprintId}", "jira.agile.sprint.update", Ok_, agile::update_sprint),
        r!("PUT", "/rest/agile/1.0/sprint/{sprintId}", "jira.agile.sprint.replace", Ok_, agile::update_sprint),
        r!("DELETE", "/rest/agile/1.0/sprint/{sprintId}", "jira.agile.sprint.delete", Ok_, agile::delete_sprint),
        r!("GET", "/rest/agile/1.0/sprint/{sprintId}/issue", "jira.agile.sprint.issues", Ok_, agile::sprint_issues),
        r!("POST", "/rest/agile/1.0/sprint/{sprintId}/issue", "jira.agile.sprint.move", Ok_, agile::move_to_sprint),
        r!("POST", "/rest/agile/1.0/backlog/issue", "jira.agile.backlog.move", Ok_, agile::move_to_backlog),
        r!("GET", "/rest/agile/1.0/issue/{issueIdOrKey}", "jira.agile.issue.get", Ok_, agile::issue),
        // Admin webhooks (the Jira admin REST API, outside the platform document).
        r!("GET", "/rest/webhooks/1.0/webhook", "jira.webhook.list", Extra, hooks::list),
        r!("POST", "/rest/webhooks/1.0/webhook", "jira.webhook.create", Extra, hooks::create),
        r!("GET", "/rest/webhooks/1.0/webhook/{webhookId}", "jira.webhook.get", Extra, hooks::get),
        r!("PUT", "/rest/webhooks/1.0/webhook/{webhookId}", "jira.webhook.update", Extra, hooks::update),
        r!("DELETE", "/rest/webhooks/1.0/webhook/{webhookId}", "jira.webhook.delete", Extra, hooks::delete),
        // The token-paged Jira Software lists jira.js v6 calls.
        r!("GET", "/rest/software/1.0/board/{boardId}/issue", "jira.software.board.issues", Extra, agile::board_issues),
        r!(
            "GET",
            "/rest/software/1.0/board/{boardId}/issue/approximate-count",
            "jira.software.board.count",
            Extra,
            agile::board_issues
        ),
        r!(
            "GET",
            "/rest/software/1.0/board/{boardId}/backlog",
            "jira.software.board.backlog",
            Extra,
            agile::board_backlog
        ),
        r!(
            "GET",
            "/rest/software/1.0/board/{boardId}/backlog/approximate-count",
            "jira.software.backlog.count",
            Extra,
            agile::board_backlog
        ),
        r!(
            "GET",
            "/rest/software/1.0/sprint/{sprintId}/issue",
            "jira.software.sprint.issues",
            Extra,
            agile::sprint_issues
        ),
        r!(
            "GET",
            "/rest/software/1.0/board/{boardId}/sprint/{sprintId}/issue",
            "jira.software.board.sprint.issues",
            Extra,
            agile::sprint_issues
        ),
    ]
}

const PLATFORM: &str = "/rest/api/3/";

/// The router path of a table path: platform paths take the API version as a parameter.
fn router_path(path: &str) -> String {
    match path.strip_prefix(PLATFORM) {
        Some(rest) => format!("/rest/api/{{apiVersion}}/{rest}"),
        None => path.to_string(),
    }
}

pub fn router() -> Router {
    let mut by_path: BTreeMap<String, MethodRouter> = BTreeMap::new();
    for r in routes() {
        let Ok(method) = Method::from_bytes(r.method.as_bytes()) else { continue };
        let Ok(filter) = MethodFilter::try_from(method) else { continue };
        let handler = r.handler;
        let entry = by_path.remove(&router_path(r.path)).unwrap_or_default();
        by_path.insert(router_path(r.path), entry.on(filter, move |call: Call| handler(call)));
    }
    by_path.into_iter().fold(Router::new(), |router, (path, mr)| router.route(&path, mr))
}

/// A request path in the table's spelling (`/rest/api/2/…` and `latest` → `3`).
fn normalize(path: &str) -> std::borrow::Cow<'_, str> {
    for v in ["/rest/api/2/", "/rest/api/latest/"] {
        if let Some(rest) = path.strip_prefix(v) {
            return format!("{PLATFORM}{rest}").into();
        }
    }
    path.into()
}

/// The route serving `method path`; literal segments win over parameters.
pub fn find(method: &Method, path: &str) -> Option<Route> {
    index().find(method.as_str(), &normalize(path)).cloned()
}

/// The route table, built once and indexed (every request looks its operation up).
fn routes() -> &'static [Route] {
    static ROUTES: std::sync::LazyLock<Vec<Route>> = std::sync::LazyLock::new(all);
    &ROUTES
}

fn index() -> &'static twin_core::wire::RouteIndex<Route> {
    static INDEX: std::sync::LazyLock<twin_core::wire::RouteIndex<Route>> = std::sync::LazyLock::new(|| {
        twin_core::wire::RouteIndex::new(routes().iter().cloned(), |r| r.method, |r| r.path)
    });
    &INDEX
}

pub fn path_known(path: &str) -> bool {
    index().path_known(&normalize(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_resolve_on_every_version() {
        let op = |m: Method, p: &str| find(&m, p).map(|r| r.operation);
        assert_eq!(op(Method::GET, "/rest/api/2/issue/ENG-1"), Some("jira.issue.get"));
        assert_eq!(op(Method::GET, "/rest/api/3/issue/ENG-1"), Some("jira.issue.get"));
        assert_eq!(op(Method::GET, "/rest/api/latest/issue/ENG-1"), Some("jira.issue.get"));
        assert_eq!(op(Method::GET, "/rest/api/2/issue/picker"), Some("jira.issue.picker"));
        assert_eq!(op(Method::GET, "/rest/api/3/issue/createmeta"), Some("jira.issue.createmeta"));
        assert_eq!(op(Method::POST, "/rest/agile/1.0/sprint/5/issue"), Some("jira.agile.sprint.move"));
        assert_eq!(op(Method::PATCH, "/rest/api/3/issue/ENG-1"), None);
        assert_eq!(op(Method::GET, "/rest/api/3/nothing"), None);
    }

    #[test]
    fn operation_names_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for r in all() {
            assert!(seen.insert(r.operation), "duplicate {}", r.operation);
            assert!(r.operation.starts_with("jira."), "{}", r.operation);
        }
    }
}
