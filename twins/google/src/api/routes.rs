//! The route table: every path the twin serves, its operation name (journal,
//! metrics, chaos matching), its coverage, its handler and, for API methods, what
//! the discovery document says about it (parameters, schemas, media). The router,
//! the operation names, the coverage table and the discovery documents all derive
//! from this one table.

use axum::http::Method;
use axum::response::Response;

use super::{auth, batch, discovery, Call};
use crate::drive::v2::api as v2;
use crate::drive::{about, changes, comments, drives, files, permissions, revisions, uploads};
use crate::errors::Result;
use crate::sheets;

pub type Handler = fn(&Call) -> Result<Response>;

/// How completely a route follows the vendor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cov {
    Implemented,
    Partial(&'static str),
    /// Not an API method of the discovery document (sign-in, discovery, uploads, batch).
    Extra,
}

/// What the discovery document says about an API method.
#[derive(Debug, Clone, Copy)]
pub struct ApiMethod {
    /// `drive.files.create`.
    pub id: &'static str,
    /// Query parameters: `name` (string), `name?` (boolean), `name#` (integer),
    /// `name!` (required), `name[]` (repeated). Path parameters come from the path.
    pub params: &'static str,
    pub request: Option<&'static str>,
    pub response: Option<&'static str>,
    /// Accepts media (simple, multipart and resumable uploads).
    pub upload: bool,
    /// Answers `alt=media`.
    pub download: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub operation: &'static str,
    pub coverage: Cov,
    pub handler: Handler,
    pub api: Option<ApiMethod>,
}

/// The Drive API's service path.
pub const DRIVE_PREFIX: &str = "/drive/v3/";
/// Drive v2's service path.
pub const DRIVE_V2_PREFIX: &str = crate::drive::v2::PREFIX;

const fn m(
    id: &'static str,
    params: &'static str,
    request: Option<&'static str>,
    response: Option<&'static str>,
) -> Option<ApiMethod> {
    Some(ApiMethod { id, params, request, response, upload: false, download: false })
}

const fn media(
    id: &'static str,
    params: &'static str,
    request: Option<&'static str>,
    response: Option<&'static str>,
    upload: bool,
    download: bool,
) -> Option<ApiMethod> {
    Some(ApiMethod { id, params, request, response, upload, download })
}

const fn r(method: &'static str, path: &'static str, coverage: Cov, handler: Handler, api: Option<ApiMethod>) -> Route {
    let operation = match api {
        Some(a) => a.id,
        None => "",
    };
    Route { method, path, operation, coverage, handler, api }
}

const fn x(method: &'static str, path: &'static str, operation: &'static str, handler: Handler) -> Route {
    Route { method, path, operation, coverage: Cov::Extra, handler, api: None }
}

use Cov::{Implemented as I, Partial as P};

pub const ROUTES: &[Route] = &[
    // Sign-in and discovery.
    x("POST", "/token", "oauth2.token", auth::token),
    x("POST", "/oauth2/v4/token", "oauth2.token", auth::token),
    x("GET", "/oauth2/v3/tokeninfo", "oauth2.tokeninfo", auth::tokeninfo),
    x("POST", "/oauth2/v3/tokeninfo", "oauth2.tokeninfo", auth::tokeninfo),
    x("GET", "/oauth2/v3/userinfo", "oauth2.userinfo", auth::userinfo),
    x("GET", "/discovery/v1/apis", "discovery.apis.list", discovery::list),
    x("GET", "/discovery/v1/apis/{api}/{version}/rest", "discovery.apis.getRest", discovery::get_rest),
    x("GET", "/$discovery/rest", "discovery.apis.getRest", discovery::get_rest),
    x("GET", "/drive/v3/$discovery/rest", "discovery.apis.getRest", discovery::get_rest),
    // Drive v3.
    r("GET", "/drive/v3/about", I, about::get, m("drive.about.get", "", None, Some("About"))),
    r("GET", "/drive/v3/changes/startPageToken", I, changes::start_page_token,
        m("drive.changes.getStartPageToken", "driveId supportsAllDrives? supportsTeamDrives? teamDriveId", None, Some("StartPageToken"))),
    r("GET", "/drive/v3/changes", I, changes::list,
        m("drive.changes.list", "driveId includeCorpusRemovals? includeItemsFromAllDrives? includeLabels includePermissionsForView includeRemoved? includeTeamDriveItems? pageSize# pageToken! restrictToMyDrive? spaces supportsAllDrives? supportsTeamDrives? teamDriveId", None, Some("ChangeList"))),
    r("POST", "/drive/v3/changes/watch", P("accepted; notifications are never delivered"), changes::watch,
        m("drive.changes.watch", "driveId includeCorpusRemovals? includeItemsFromAllDrives? includeLabels includePermissionsForView includeRemoved? includeTeamDriveItems? pageSize# pageToken! restrictToMyDrive? spaces supportsAllDrives? supportsTeamDrives? teamDriveId", Some("Channel"), Some("Channel"))),
    r("POST", "/drive/v3/channels/stop", I, changes::stop, m("drive.channels.stop", "", Some("Channel"), None)),
    r("POST", "/drive/v3/files/{fileId}/comments", I, comments::create, m("drive.comments.create", "", Some("Comment"), Some("Comment"))),
    r("DELETE", "/drive/v3/files/{fileId}/comments/{commentId}", I, comments::delete, m("drive.comments.delete", "", None, None)),
    r("GET", "/drive/v3/files/{fileId}/comments/{commentId}", I, comments::get, m("drive.comments.get", "includeDeleted?", None, Some("Comment"))),
    r("GET", "/drive/v3/files/{fileId}/comments", I, comments::list,
        m("drive.comments.list", "includeDeleted? pageSize# pageToken startModifiedTime", None, Some("CommentList"))),
    r("PATCH", "/drive/v3/files/{fileId}/comments/{commentId}", I, comments::update, m("drive.comments.update", "", Some("Comment"), Some("Comment"))),
    r("POST", "/drive/v3/files/{fileId}/comments/{commentId}/replies", I, comments::reply_create, m("drive.replies.create", "", Some("Reply"), Some("Reply"))),
    r("DELETE", "/drive/v3/files/{fileId}/comments/{commentId}/replies/{replyId}", I, comments::reply_delete, m("drive.replies.delete", "", None, None)),
    r("GET", "/drive/v3/files/{fileId}/comments/{commentId}/replies/{replyId}", I, comments::reply_get, m("drive.replies.get", "includeDeleted?", None, Some("Reply"))),
    r("GET", "/drive/v3/files/{fileId}/comments/{commentId}/replies", I, comments::reply_list,
        m("drive.replies.list", "includeDeleted? pageSize# pageToken", None, Some("ReplyList"))),
    r("PATCH", "/drive/v3/files/{fileId}/comments/{commentId}/replies/{replyId}", I, comments::reply_update, m("drive.replies.update", "", Some("Reply"), Some("Reply"))),
    r("POST", "/drive/v3/drives", I, drives::create, m("drive.drives.create", "requestId!", Some("Drive"), Some("Drive"))),
    r("DELETE", "/drive/v3/drives/{driveId}", I, drives::delete, m("drive.drives.delete", "allowItemDeletion? useDomainAdminAccess?", None, None)),
    r("GET", "/drive/v3/drives/{driveId}", I, drives::get, m("drive.drives.get", "useDomainAdminAccess?", None, Some("Drive"))),
    r("POST", "/drive/v3/drives/{driveId}/hide", I, drives::hide, m("drive.drives.hide", "", None, Some("Drive"))),
    r("GET", "/drive/v3/drives", P("q: name and createdTime terms only"), drives::list, m("drive.drives.list", "pageSize# pageToken q useDomainAdminAccess?", None, Some("DriveList"))),
    r("POST", "/drive/v3/drives/{driveId}/unhide", I, drives::unhide, m("drive.drives.unhide", "", None, Some("Drive"))),
    r("PATCH", "/drive/v3/drives/{driveId}", I, drives::update, m("drive.drives.update", "useDomainAdminAccess?", Some("Drive"), Some("Drive"))),
    r("POST", "/drive/v3/files/{fileId}/copy", I, files::copy,
        m("drive.files.copy", "copyComments? enforceSingleParent? ignoreDefaultVisibility? includeLabels includePermissionsForView keepRevisionForever? ocrLanguage supportsAllDrives? supportsTeamDrives?", Some("File"), Some("File"))),
    r("POST", "/drive/v3/files", I, files::create,
        media("drive.files.create", "enforceSingleParent? ignoreDefaultVisibility? includeLabels includePermissionsForView keepRevisionForever? ocrLanguage supportsAllDrives? supportsTeamDrives? useContentAsIndexableText?", Some("File"), Some("File"), true, false)),
    r("DELETE", "/drive/v3/files/{fileId}", I, files::delete, m("drive.files.delete", "enforceSingleParent? supportsAllDrives? supportsTeamDrives?", None, None)),
    r("DELETE", "/drive/v3/files/trash", I, files::empty_trash, m("drive.files.emptyTrash", "driveId enforceSingleParent?", None, None)),
    r("GET", "/drive/v3/files/{fileId}/export", P("Docs to text/plain, text/markdown, text/html; Sheets to text/csv, text/tab-separated-values"), files::export,
        media("drive.files.export", "mimeType!", None, None, false, true)),
    r("GET", "/drive/v3/files/generateIds", I, files::generate_ids, m("drive.files.generateIds", "count# space type", None, Some("GeneratedIds"))),
    r("GET", "/drive/v3/files/{fileId}", I, files::get,
        media("drive.files.get", "acknowledgeAbuse? includeLabels includePermissionsForView supportsAllDrives? supportsTeamDrives?", None, Some("File"), false, true)),
    r("GET", "/drive/v3/files", P("corpora=allDrives searches every drive the caller belongs to; spaces other than drive are empty"), files::list,
        m("drive.files.list", "corpora corpus driveId includeItemsFromAllDrives? includeLabels includePermissionsForView includeTeamDriveItems? orderBy pageSize# pageToken q spaces supportsAllDrives? supportsTeamDrives? teamDriveId", None, Some("FileList"))),
    r("PATCH", "/drive/v3/files/{fileId}", I, files::update,
        media("drive.files.update", "addParents enforceSingleParent? includeLabels includePermissionsForView keepRevisionForever? ocrLanguage removeParents supportsAllDrives? supportsTeamDrives? useContentAsIndexableText?", Some("File"), Some("File"), true, false)),
    r("POST", "/drive/v3/files/{fileId}/watch", P("accepted; notifications are never delivered"), files::watch,
        m("drive.files.watch", "acknowledgeAbuse? includeLabels includePermissionsForView supportsAllDrives? supportsTeamDrives?", Some("Channel"), Some("Channel"))),
    r("POST", "/drive/v3/files/{fileId}/permissions", I, permissions::create,
        m("drive.permissions.create", "emailMessage enforceExpansiveAccess? enforceSingleParent? moveToNewOwnersRoot? sendNotificationEmail? supportsAllDrives? supportsTeamDrives? transferOwnership? useDomainAdminAccess?", Some("Permission"), Some("Permission"))),
    r("DELETE", "/drive/v3/files/{fileId}/permissions/{permissionId}", I, permissions::delete,
        m("drive.permissions.delete", "enforceExpansiveAccess? supportsAllDrives? supportsTeamDrives? useDomainAdminAccess?", None, None)),
    r("GET", "/drive/v3/files/{fileId}/permissions/{permissionId}", I, permissions::get,
        m("drive.permissions.get", "supportsAllDrives? supportsTeamDrives? useDomainAdminAccess?", None, Some("Permission"))),
    r("GET", "/drive/v3/files/{fileId}/permissions", I, permissions::list,
        m("drive.permissions.list", "includePermissionsForView pageSize# pageToken supportsAllDrives? supportsTeamDrives? useDomainAdminAccess?", None, Some("PermissionList"))),
    r("PATCH", "/drive/v3/files/{fileId}/permissions/{permissionId}", I, permissions::update,
        m("drive.permissions.update", "enforceExpansiveAccess? removeExpiration? supportsAllDrives? supportsTeamDrives? transferOwnership? useDomainAdminAccess?", Some("Permission"), Some("Permission"))),
    r("DELETE", "/drive/v3/files/{fileId}/revisions/{revisionId}", I, revisions::delete, m("drive.revisions.delete", "", None, None)),
    r("GET", "/drive/v3/files/{fileId}/revisions/{revisionId}", I, revisions::get,
        media("drive.revisions.get", "acknowledgeAbuse?", None, Some("Revision"), false, true)),
    r("GET", "/drive/v3/files/{fileId}/revisions", I, revisions::list, m("drive.revisions.list", "pageSize# pageToken", None, Some("RevisionList"))),
    r("PATCH", "/drive/v3/files/{fileId}/revisions/{revisionId}", I, revisions::update, m("drive.revisions.update", "", Some("Revision"), Some("Revision"))),
    r("POST", "/drive/v3/teamdrives", P("deprecated alias of drives.create"), drives::team_create, m("drive.teamdrives.create", "requestId!", Some("TeamDrive"), Some("TeamDrive"))),
    r("DELETE", "/drive/v3/teamdrives/{teamDriveId}", P("deprecated alias of drives.delete"), drives::team_delete, m("drive.teamdrives.delete", "", None, None)),
    r("GET", "/drive/v3/teamdrives/{teamDriveId}", P("deprecated alias of drives.get"), drives::team_get, m("drive.teamdrives.get", "useDomainAdminAccess?", None, Some("TeamDrive"))),
    r("GET", "/drive/v3/teamdrives", P("deprecated alias of drives.list; q: name and createdTime terms only"), drives::team_list, m("drive.teamdrives.list", "pageSize# pageToken q useDomainAdminAccess?", None, Some("TeamDriveList"))),
    r("PATCH", "/drive/v3/teamdrives/{teamDriveId}", P("deprecated alias of drives.update"), drives::team_update, m("drive.teamdrives.update", "useDomainAdminAccess?", Some("TeamDrive"), Some("TeamDrive"))),
    // Media uploads and batch: the same methods on the paths discovery names.
    x("POST", "/upload/drive/v3/files", "drive.files.create", files::create),
    x("POST", "/resumable/upload/drive/v3/files", "drive.files.create", files::create),
    x("PATCH", "/upload/drive/v3/files/{fileId}", "drive.files.update", files::update),
    x("PATCH", "/resumable/upload/drive/v3/files/{fileId}", "drive.files.update", files::update),
    x("PUT", "/upload/drive/v3/files", "drive.files.upload", uploads::put),
    x("POST", "/batch/drive/v3", "drive.batch", batch::handle),
    // Drive v2 (PyDrive2): the same state rendered in v2's names. Operation names
    // are Google's method ids, which v2 shares with v3 where the names agree.
    r("GET", "/drive/v2/about", P("no change ids or app roles"), v2::about_get,
        m("drive.about.get", "includeSubscribed? maxChangeIdCount startChangeId", None, Some("About"))),
    r("GET", "/drive/v2/files/{folderId}/children", I, v2::children_list,
        m("drive.children.list", "maxResults# orderBy pageToken q", None, Some("ChildList"))),
    r("POST", "/drive/v2/files/{fileId}/copy", P("convert, ocr and visibility are ignored"), v2::files_copy,
        m("drive.files.copy", "convert? enforceSingleParent? includeLabels includePermissionsForView ocr? ocrLanguage pinned? supportsAllDrives? supportsTeamDrives? timedTextLanguage timedTextTrackName visibility", Some("File"), Some("File"))),
    r("DELETE", "/drive/v2/files/{fileId}", I, files::delete, m("drive.files.delete", "enforceSingleParent? supportsAllDrives? supportsTeamDrives?", None, None)),
    r("DELETE", "/drive/v2/files/trash", I, files::empty_trash, m("drive.files.emptyTrash", "driveId enforceSingleParent?", None, None)),
    r("GET", "/drive/v2/files/{fileId}/export", P("Docs to text/plain, text/markdown, text/html; Sheets to text/csv, text/tab-separated-values"), files::export,
        media("drive.files.export", "mimeType!", None, None, false, true)),
    r("GET", "/drive/v2/files/{fileId}", P("projection, revisionId and updateViewedDate are ignored"), v2::files_get,
        media("drive.files.get", "acknowledgeAbuse? includeLabels includePermissionsForView projection revisionId supportsAllDrives? supportsTeamDrives? updateViewedDate?", None, Some("File"), false, true)),
    r("POST", "/drive/v2/files", P("convert and ocr are ignored"), v2::files_insert,
        media("drive.files.insert", "convert? enforceSingleParent? includeLabels includePermissionsForView ocr? ocrLanguage pinned? supportsAllDrives? supportsTeamDrives? timedTextLanguage timedTextTrackName useContentAsIndexableText? visibility", Some("File"), Some("File"), true, false)),
    r("GET", "/drive/v2/files", P("as v3's files.list; corpus DEFAULT and DOMAIN"), v2::files_list,
        m("drive.files.list", "corpora corpus driveId includeItemsFromAllDrives? includeLabels includePermissionsForView includeTeamDriveItems? maxResults# orderBy pageToken projection q spaces supportsAllDrives? supportsTeamDrives? teamDriveId", None, Some("FileList"))),
    r("PATCH", "/drive/v2/files/{fileId}", I, v2::files_update,
        m("drive.files.patch", "addParents convert? enforceSingleParent? includeLabels includePermissionsForView modifiedDateBehavior newRevision? ocr? ocrLanguage pinned? removeParents setModifiedDate? supportsAllDrives? supportsTeamDrives? timedTextLanguage timedTextTrackName updateViewedDate? useContentAsIndexableText?", Some("File"), Some("File"))),
    r("POST", "/drive/v2/files/{fileId}/touch", I, v2::files_touch,
        m("drive.files.touch", "includeLabels includePermissionsForView supportsAllDrives? supportsTeamDrives?", None, Some("File"))),
    r("POST", "/drive/v2/files/{fileId}/trash", I, v2::files_trash,
        m("drive.files.trash", "includeLabels includePermissionsForView supportsAllDrives? supportsTeamDrives?", None, Some("File"))),
    r("POST", "/drive/v2/files/{fileId}/untrash", I, v2::files_untrash,
        m("drive.files.untrash", "includeLabels includePermissionsForView supportsAllDrives? supportsTeamDrives?", None, Some("File"))),
    r("PUT", "/drive/v2/files/{fileId}", I, v2::files_update,
        media("drive.files.update", "addParents convert? enforceSingleParent? includeLabels includePermissionsForView modifiedDateBehavior newRevision? ocr? ocrLanguage pinned? removeParents setModifiedDate? supportsAllDrives? supportsTeamDrives? timedTextLanguage timedTextTrackName updateViewedDate? useContentAsIndexableText?", Some("File"), Some("File"), true, false)),
    r("GET", "/drive/v2/files/{fileId}/parents", I, v2::parents_list, m("drive.parents.list", "", None, Some("ParentList"))),
    r("DELETE", "/drive/v2/files/{fileId}/permissions/{permissionId}", I, permissions::delete,
        m("drive.permissions.delete", "enforceExpansiveAccess? supportsAllDrives? supportsTeamDrives? useDomainAdminAccess?", None, None)),
    r("GET", "/drive/v2/files/{fileId}/permissions/{permissionId}", I, v2::permissions_get,
        m("drive.permissions.get", "supportsAllDrives? supportsTeamDrives? useDomainAdminAccess?", None, Some("Permission"))),
    r("GET", "/drive/v2/permissionIds/{email}", I, v2::permissions_id_for_email, m("drive.permissions.getIdForEmail", "", None, Some("PermissionId"))),
    r("POST", "/drive/v2/files/{fileId}/permissions", P("files only (not shared drives' members); no notification emails"), v2::permissions_insert,
        m("drive.permissions.insert", "emailMessage enforceExpansiveAccess? enforceSingleParent? moveToNewOwnersRoot? sendNotificationEmails? supportsAllDrives? supportsTeamDrives? useDomainAdminAccess?", Some("Permission"), Some("Permission"))),
    r("GET", "/drive/v2/files/{fileId}/permissions", P("one page with every permission"), v2::permissions_list,
        m("drive.permissions.list", "includePermissionsForView maxResults# pageToken supportsAllDrives? supportsTeamDrives? useDomainAdminAccess?", None, Some("PermissionList"))),
    r("GET", "/drive/v2/files/{fileId}/revisions", P("one page with every revision"), v2::revisions_list,
        m("drive.revisions.list", "maxResults# pageToken", None, Some("RevisionList"))),
    r("GET", "/drive/v2/files/{fileId}/revisions/{revisionId}", P("no published links"), v2::revisions_get,
        m("drive.revisions.get", "", None, Some("Revision"))),
    x("POST", "/upload/drive/v2/files", "drive.files.insert", v2::files_insert),
    x("POST", "/resumable/upload/drive/v2/files", "drive.files.insert", v2::files_insert),
    x("PUT", "/upload/drive/v2/files/{fileId}", "drive.files.update", v2::files_update),
    x("PUT", "/resumable/upload/drive/v2/files/{fileId}", "drive.files.update", v2::files_update),
    x("PUT", "/upload/drive/v2/files", "drive.files.upload", v2::upload_put),
    x("POST", "/batch/drive/v2", "drive.batch", batch::handle),
    // Sheets v4 (their discovery document comes from `sheets::discovery`).
    x("POST", "/v4/spreadsheets", "sheets.spreadsheets.create", sheets::api::create),
    x("GET", "/v4/spreadsheets/{spreadsheetId}", "sheets.spreadsheets.get", sheets::api::get),
    x("POST", "/v4/spreadsheets/{spreadsheetId}:batchUpdate", "sheets.spreadsheets.batchUpdate", sheets::api::batch_update),
    x("POST", "/v4/spreadsheets/{spreadsheetId}:getByDataFilter", "sheets.spreadsheets.getByDataFilter", sheets::api::get_by_data_filter),
    // google-spreadsheet joins its prefix and `:verb` with a slash, which Google accepts.
    x("POST", "/v4/spreadsheets/{spreadsheetId}/:batchUpdate", "sheets.spreadsheets.batchUpdate", sheets::api::batch_update),
    x("POST", "/v4/spreadsheets/{spreadsheetId}/:getByDataFilter", "sheets.spreadsheets.getByDataFilter", sheets::api::get_by_data_filter),
    x("GET", "/v4/spreadsheets/{spreadsheetId}/values/{range}", "sheets.spreadsheets.values.get", sheets::api::values_get),
    x("PUT", "/v4/spreadsheets/{spreadsheetId}/values/{range}", "sheets.spreadsheets.values.update", sheets::api::values_update),
    x("POST", "/v4/spreadsheets/{spreadsheetId}/values/{range}:append", "sheets.spreadsheets.values.append", sheets::api::values_append),
    x("POST", "/v4/spreadsheets/{spreadsheetId}/values/{range}:clear", "sheets.spreadsheets.values.clear", sheets::api::values_clear),
    x("GET", "/v4/spreadsheets/{spreadsheetId}/values:batchGet", "sheets.spreadsheets.values.batchGet", sheets::api::values_batch_get),
    x("POST", "/v4/spreadsheets/{spreadsheetId}/values:batchUpdate", "sheets.spreadsheets.values.batchUpdate", sheets::api::values_batch_update),
    x("POST", "/v4/spreadsheets/{spreadsheetId}/values:batchClear", "sheets.spreadsheets.values.batchClear", sheets::api::values_batch_clear),
    x("POST", "/v4/spreadsheets/{spreadsheetId}/values:batchGetByDataFilter", "sheets.spreadsheets.values.batchGetByDataFilter", sheets::api::values_batch_get_by_data_filter),
    x("POST", "/v4/spreadsheets/{spreadsheetId}/sheets/{sheetId}:copyTo", "sheets.spreadsheets.sheets.copyTo", sheets::api::copy_to),
    // Docs v1.
    x("POST", "/v1/documents", "docs.documents.create", crate::docs::api::create),
    x("GET", "/v1/documents/{documentId}", "docs.documents.get", crate::docs::api::get),
    x("POST", "/v1/documents/{documentId}:batchUpdate", "docs.documents.batchUpdate", crate::docs::api::batch_update),
    x("POST", "/batch", "drive.batch", batch::handle),
];

/// The route serving `method path` and its path parameters; literal segments win
/// over parameters (`files/trash`, `files/generateIds` are not file ids).
pub fn resolve(method: &Method, path: &str) -> Option<(&'static Route, Vec<(String, String)>)> {
    let route: &'static Route = index().find(method.as_str(), path)?;
    Some((route, twin_core::wire::path_params(route.path, path)?))
}

pub fn find(method: &Method, path: &str) -> Option<&'static Route> {
    resolve(method, path).map(|(r, _)| r)
}

pub fn path_known(path: &str) -> bool {
    index().path_known(path)
}

/// The table, indexed once: every request resolves its route in it.
fn index() -> &'static twin_core::wire::RouteIndex<&'static Route> {
    static INDEX: std::sync::LazyLock<twin_core::wire::RouteIndex<&'static Route>> =
        std::sync::LazyLock::new(|| twin_core::wire::RouteIndex::new(ROUTES.iter(), |r| r.method, |r| r.path));
    &INDEX
}

/// Drive v3's API methods of the table (one per discovery method).
pub fn api_methods() -> impl Iterator<Item = (&'static Route, &'static ApiMethod)> {
    api_methods_under(DRIVE_PREFIX)
}

/// The API methods of the version whose service path is `prefix`.
pub fn api_methods_under(prefix: &'static str) -> impl Iterator<Item = (&'static Route, &'static ApiMethod)> {
    ROUTES.iter().filter(move |r| r.path.starts_with(prefix)).filter_map(|r| r.api.as_ref().map(|a| (r, a)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_win_and_params_decode() {
        let (r, p) = resolve(&Method::GET, "/drive/v3/files/generateIds").unwrap();
        assert_eq!(r.operation, "drive.files.generateIds");
        assert!(p.is_empty());
        let (r, p) = resolve(&Method::GET, "/drive/v3/files/abc%2Dd").unwrap();
        assert_eq!(r.operation, "drive.files.get");
        assert_eq!(p, vec![("fileId".to_string(), "abc-d".to_string())]);
        assert_eq!(find(&Method::DELETE, "/drive/v3/files/trash").map(|r| r.operation), Some("drive.files.emptyTrash"));
        assert_eq!(find(&Method::POST, "/upload/drive/v3/files").map(|r| r.operation), Some("drive.files.create"));
        assert!(find(&Method::GET, "/drive/v3/nothing").is_none());
        assert!(path_known("/drive/v3/files"));
    }

    #[test]
    fn api_method_ids_are_unique_and_uploads_are_served() {
        for prefix in [DRIVE_PREFIX, DRIVE_V2_PREFIX] {
            let mut seen = std::collections::HashSet::new();
            for (route, api) in api_methods_under(prefix) {
                assert!(seen.insert(api.id), "{}", api.id);
                if api.upload {
                    let upload = format!("/upload{}", route.path);
                    let resumable = format!("/resumable/upload{}", route.path);
                    let m = Method::from_bytes(route.method.as_bytes()).unwrap();
                    assert!(find(&m, &upload.replace("{fileId}", "x")).is_some(), "{upload}");
                    assert!(find(&m, &resumable.replace("{fileId}", "x")).is_some(), "{resumable}");
                }
            }
        }
        assert_eq!(
            api_methods().count(),
            ROUTES.iter().filter(|r| r.api.is_some() && r.path.starts_with(DRIVE_PREFIX)).count()
        );
    }
}
