//! Discovery documents for Sheets v4 and Docs v1, written from the twin's own
//! method tables (nothing copied from Google's), with `rootUrl` on the twin so the
//! discovery clients come back to it. Schemas are named but left open.

use serde_json::{json, Map, Value};

/// (id, http method, path under the root, query parameters, request, response).
pub type Method = (&'static str, &'static str, &'static str, &'static str, Option<&'static str>, &'static str);

pub const SHEETS: &[Method] = &[
    ("sheets.spreadsheets.create", "POST", "v4/spreadsheets", "", Some("Spreadsheet"), "Spreadsheet"),
    ("sheets.spreadsheets.get", "GET", "v4/spreadsheets/{spreadsheetId}", "ranges[] includeGridData? excludeTablesInBandedRanges?", None, "Spreadsheet"),
    ("sheets.spreadsheets.getByDataFilter", "POST", "v4/spreadsheets/{spreadsheetId}:getByDataFilter", "", Some("GetSpreadsheetByDataFilterRequest"), "Spreadsheet"),
    ("sheets.spreadsheets.batchUpdate", "POST", "v4/spreadsheets/{spreadsheetId}:batchUpdate", "", Some("BatchUpdateSpreadsheetRequest"), "BatchUpdateSpreadsheetResponse"),
    ("sheets.spreadsheets.values.get", "GET", "v4/spreadsheets/{spreadsheetId}/values/{range}", "majorDimension valueRenderOption dateTimeRenderOption", None, "ValueRange"),
    ("sheets.spreadsheets.values.update", "PUT", "v4/spreadsheets/{spreadsheetId}/values/{range}", "valueInputOption includeValuesInResponse? responseValueRenderOption responseDateTimeRenderOption", Some("ValueRange"), "UpdateValuesResponse"),
    ("sheets.spreadsheets.values.append", "POST", "v4/spreadsheets/{spreadsheetId}/values/{range}:append", "valueInputOption insertDataOption includeValuesInResponse? responseValueRenderOption responseDateTimeRenderOption", Some("ValueRange"), "AppendValuesResponse"),
    ("sheets.spreadsheets.values.clear", "POST", "v4/spreadsheets/{spreadsheetId}/values/{range}:clear", "", Some("ClearValuesRequest"), "ClearValuesResponse"),
    ("sheets.spreadsheets.values.batchGet", "GET", "v4/spreadsheets/{spreadsheetId}/values:batchGet", "ranges[] majorDimension valueRenderOption dateTimeRenderOption", None, "BatchGetValuesResponse"),
    ("sheets.spreadsheets.values.batchUpdate", "POST", "v4/spreadsheets/{spreadsheetId}/values:batchUpdate", "", Some("BatchUpdateValuesRequest"), "BatchUpdateValuesResponse"),
    ("sheets.spreadsheets.values.batchClear", "POST", "v4/spreadsheets/{spreadsheetId}/values:batchClear", "", Some("BatchClearValuesRequest"), "BatchClearValuesResponse"),
    ("sheets.spreadsheets.values.batchGetByDataFilter", "POST", "v4/spreadsheets/{spreadsheetId}/values:batchGetByDataFilter", "", Some("BatchGetValuesByDataFilterRequest"), "BatchGetValuesByDataFilterResponse"),
    ("sheets.spreadsheets.sheets.copyTo", "POST", "v4/spreadsheets/{spreadsheetId}/sheets/{sheetId}:copyTo", "", Some("CopySheetToAnotherSpreadsheetRequest"), "SheetProperties"),
];

pub const DOCS: &[Method] = &[
    ("docs.documents.create", "POST", "v1/documents", "", Some("Document"), "Document"),
    (
        "docs.documents.get",
        "GET",
        "v1/documents/{documentId}",
        "suggestionsViewMode includeTabsContent?",
        None,
        "Document",
    ),
    (
        "docs.documents.batchUpdate",
        "POST",
        "v1/documents/{documentId}:batchUpdate",
        "",
        Some("BatchUpdateDocumentRequest"),
        "BatchUpdateDocumentResponse",
    ),
];

const SHEETS_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/spreadsheets",
    "https://www.googleapis.com/auth/spreadsheets.readonly",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.file",
    "https://www.googleapis.com/auth/drive.readonly",
];

const DOCS_SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/documents",
    "https://www.googleapis.com/auth/documents.readonly",
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.file",
    "https://www.googleapis.com/auth/drive.readonly",
];

fn method(m: &Method, scopes: &[&str]) -> Value {
    let (id, http, path, query, request, response) = *m;
    let mut params = Map::new();
    let mut order = Vec::new();
    let mut rest = path;
    while let Some(open) = rest.find('{') {
        let Some(close) = rest[open..].find('}') else { break };
        let name = &rest[open + 1..open + close];
        params.insert(name.into(), json!({"type": "string", "location": "path", "required": true}));
        order.push(name.to_string());
        rest = &rest[open + close + 1..];
    }
    for spec in query.split_whitespace() {
        let repeated = spec.ends_with("[]");
        let spec = spec.trim_end_matches("[]");
        let (name, ty) = match spec.strip_suffix('?') {
            Some(n) => (n, "boolean"),
            None => (spec, "string"),
        };
        let mut p = json!({"type": ty, "location": "query"});
        if repeated {
            p["repeated"] = json!(true);
        }
        params.insert(name.into(), p);
    }
    let mut out = json!({
        "id": id, "path": path, "flatPath": path, "httpMethod": http,
        "parameters": params, "parameterOrder": order, "scopes": scopes,
        "response": {"$ref": response},
    });
    if let Some(r) = request {
        out["request"] = json!({"$ref": r});
    }
    out
}

fn document(name: &str, version: &str, title: &str, root: &str, methods: &[Method], scopes: &[&str]) -> Value {
    let mut resources = json!({});
    let mut schemas = Map::new();
    for m in methods {
        let parts: Vec<&str> = m.0.split('.').skip(1).collect();
        let Some((leaf, path)) = parts.split_last() else { continue };
        let mut node = &mut resources;
        for (i, r) in path.iter().enumerate() {
            node = &mut node[*r];
            if i + 1 < path.len() {
                node = &mut node["resources"];
            }
        }
        node["methods"][*leaf] = method(m, scopes);
        for s in [m.4, Some(m.5)].into_iter().flatten() {
            schemas.insert(s.into(), json!({"id": s, "type": "object", "properties": {}}));
        }
    }
    let mut params = Map::new();
    for p in ["access_token", "callback", "fields", "key", "oauth_token", "quotaUser", "upload_protocol", "uploadType"]
    {
        params.insert(p.into(), json!({"type": "string", "location": "query"}));
    }
    params.insert(
        "alt".into(),
        json!({"type": "string", "location": "query", "default": "json", "enum": ["json", "media", "proto"]}),
    );
    params.insert("prettyPrint".into(), json!({"type": "boolean", "location": "query", "default": "true"}));
    params.insert("$.xgafv".into(), json!({"type": "string", "location": "query", "enum": ["1", "2"]}));
    json!({
        "kind": "discovery#restDescription",
        "discoveryVersion": "v1",
        "id": format!("{name}:{version}"),
        "name": name,
        "version": version,
        "revision": "dtu",
        "title": title,
        "protocol": "rest",
        "rootUrl": root,
        "mtlsRootUrl": root,
        "servicePath": "",
        "basePath": "",
        "baseUrl": root,
        "batchPath": "batch",
        "parameters": params,
        "auth": {"oauth2": {"scopes": scopes.iter().map(|s| (s.to_string(), json!({"description": "access"}))).collect::<Map<_, _>>()}},
        "schemas": schemas,
        "resources": resources,
    })
}

/// Sheets v4's or Docs v1's discovery document, `rootUrl` = `root` (ending in `/`).
pub fn for_api(api: &str, version: &str, root: &str) -> Option<Value> {
    match (api, version) {
        ("sheets", "v4") => Some(document("sheets", "v4", "Sheets API (DTU twin)", root, SHEETS, SHEETS_SCOPES)),
        ("docs", "v1") => Some(document("docs", "v1", "Docs API (DTU twin)", root, DOCS, DOCS_SCOPES)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_resources() {
        let d = for_api("sheets", "v4", "http://x/").unwrap();
        assert_eq!(d["resources"]["spreadsheets"]["resources"]["values"]["methods"]["get"]["httpMethod"], "GET");
        assert_eq!(
            d["resources"]["spreadsheets"]["methods"]["batchUpdate"]["parameterOrder"],
            json!(["spreadsheetId"])
        );
        assert_eq!(
            d["resources"]["spreadsheets"]["resources"]["sheets"]["methods"]["copyTo"]["parameterOrder"],
            json!(["spreadsheetId", "sheetId"])
        );
        assert!(for_api("docs", "v1", "http://x/").unwrap()["resources"]["documents"]["methods"]["get"].is_object());
    }
}
