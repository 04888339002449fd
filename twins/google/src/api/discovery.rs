//! The discovery documents the twin serves, generated from its route table and
//! schema table (nothing is copied from Google's). `rootUrl` is the address the
//! client used (with the `/u/{id}` prefix for universes other than `default`), so
//! uploads and batch calls built from it come back to the twin.

use axum::response::Response;
use serde_json::{json, Map, Value};

use super::routes::{api_methods_under, DRIVE_PREFIX, DRIVE_V2_PREFIX};
use super::{ok, Call};
use crate::drive::schema::{self, Schemas};
use crate::errors::{GoogleError, Result};

/// The most bytes one upload may carry (the request body cap of the twin).
pub const MAX_UPLOAD: u64 = 32 * 1024 * 1024;

const SCOPES: &[&str] = &[
    "https://www.googleapis.com/auth/drive",
    "https://www.googleapis.com/auth/drive.file",
    "https://www.googleapis.com/auth/drive.readonly",
    "https://www.googleapis.com/auth/drive.metadata.readonly",
    "https://www.googleapis.com/auth/drive.appdata",
];

fn param(kind: &str) -> Value {
    match kind {
        "boolean" => json!({"type": "boolean", "location": "query"}),
        "integer" => json!({"type": "integer", "format": "int32", "location": "query"}),
        _ => json!({"type": "string", "location": "query"}),
    }
}

fn global_parameters() -> Value {
    let mut p = Map::new();
    for name in
        ["access_token", "callback", "fields", "key", "oauth_token", "quotaUser", "upload_protocol", "uploadType"]
    {
        p.insert(name.into(), param("string"));
    }
    p.insert(
        "alt".into(),
        json!({"type": "string", "location": "query", "default": "json", "enum": ["json", "media", "proto"]}),
    );
    p.insert("prettyPrint".into(), json!({"type": "boolean", "location": "query", "default": "true"}));
    p.insert("$.xgafv".into(), json!({"type": "string", "location": "query", "enum": ["1", "2"]}));
    Value::Object(p)
}

fn method_json(http: &str, path: &str, prefix: &str, api: &super::routes::ApiMethod) -> Value {
    let rel = path.strip_prefix(prefix).unwrap_or(path);
    let mut params = Map::new();
    let mut order = Vec::new();
    for seg in rel.split('/') {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            params.insert(name.into(), json!({"type": "string", "location": "path", "required": true}));
            order.push(name.to_string());
        }
    }
    for spec in api.params.split_whitespace() {
        let repeated = spec.ends_with("[]");
        let spec = spec.trim_end_matches("[]");
        let required = spec.ends_with('!');
        let spec = spec.trim_end_matches('!');
        let (name, kind) = match spec.chars().last() {
            Some('?') => (&spec[..spec.len() - 1], "boolean"),
            Some('#') => (&spec[..spec.len() - 1], "integer"),
            _ => (spec, "string"),
        };
        let mut p = param(kind);
        if required {
            p["required"] = json!(true);
            order.push(name.to_string());
        }
        if repeated {
            p["repeated"] = json!(true);
        }
        params.insert(name.into(), p);
    }
    let mut m = json!({
        "id": api.id,
        "path": rel,
        "flatPath": rel,
        "httpMethod": http,
        "parameters": params,
        "parameterOrder": order,
        "scopes": SCOPES,
    });
    if let Some(r) = api.request {
        m["request"] = json!({"$ref": r});
    }
    if let Some(r) = api.response {
        m["response"] = json!({"$ref": r});
    }
    if api.upload {
        m["supportsMediaUpload"] = json!(true);
        m["mediaUpload"] = json!({
            "accept": ["*/*"],
            "maxSize": MAX_UPLOAD.to_string(),
            "protocols": {
                "simple": {"multipart": true, "path": format!("/upload{path}")},
                "resumable": {"multipart": true, "path": format!("/resumable/upload{path}")},
            },
        });
    }
    if api.download {
        m["supportsMediaDownload"] = json!(true);
        m["useMediaDownloadService"] = json!(true);
    }
    m
}

fn schemas(set: &Schemas) -> Value {
    let mut out = Map::new();
    for (name, fields) in set.0 {
        let props: Map<String, Value> =
            fields.iter().map(|(f, ty)| (f.to_string(), schema::to_discovery(ty))).collect();
        out.insert(name.to_string(), json!({"id": name, "type": "object", "properties": props}));
    }
    Value::Object(out)
}

/// Drive v3's discovery document with `rootUrl` = `root` (ending in `/`).
pub fn drive_document(root: &str) -> Value {
    document(root, "v3", DRIVE_PREFIX, &schema::V3)
}

/// Drive v2's discovery document (what PyDrive2 builds its service from).
pub fn drive_v2_document(root: &str) -> Value {
    document(root, "v2", DRIVE_V2_PREFIX, &crate::drive::v2::schema::V2)
}

fn document(root: &str, version: &str, prefix: &'static str, set: &Schemas) -> Value {
    let mut resources: Map<String, Value> = Map::new();
    for (route, api) in api_methods_under(prefix) {
        let mut parts = api.id.split('.').skip(1);
        let (Some(resource), Some(method)) = (parts.next(), parts.next()) else { continue };
        let entry = resources.entry(resource.to_string()).or_insert_with(|| json!({"methods": {}}));
        entry["methods"][method] = method_json(route.method, route.path, prefix, api);
    }
    let service_path = prefix.trim_start_matches('/');
    json!({
        "kind": "discovery#restDescription",
        "discoveryVersion": "v1",
        "id": format!("drive:{version}"),
        "name": "drive",
        "version": version,
        "revision": "dtu",
        "title": "Drive API (DTU twin)",
        "description": "Files, folders, sharing and shared drives of the DTU Google twin.",
        "protocol": "rest",
        "rootUrl": root,
        "mtlsRootUrl": root,
        "servicePath": service_path,
        "basePath": prefix,
        "baseUrl": format!("{root}{service_path}"),
        "batchPath": format!("batch/drive/{version}"),
        "parameters": global_parameters(),
        "auth": {"oauth2": {"scopes": SCOPES.iter().map(|s| (s.to_string(), json!({"description": "Drive access"}))).collect::<Map<_, _>>()}},
        "schemas": schemas(set),
        "resources": resources,
    })
}

fn root(call: &Call) -> String {
    format!("{}/", call.public_base())
}

pub fn get_rest(call: &Call) -> Result<Response> {
    let (api, version) = if call.path.starts_with("/discovery/") {
        (call.param("api").to_string(), call.param("version").to_string())
    } else if call.path.starts_with("/drive/") {
        ("drive".to_string(), call.q("version").unwrap_or("v3").to_string())
    } else {
        // `/$discovery/rest?version=v3`: the API is named by the host in Google's
        // world; on the twin's one port it is Drive unless `api` says otherwise.
        (call.q("api").unwrap_or("drive").to_string(), call.q("version").unwrap_or("").to_string())
    };
    match (api.as_str(), version.as_str()) {
        ("drive", "v3") => Ok(ok(&drive_document(&root(call)))),
        ("drive", "v2") => Ok(ok(&drive_v2_document(&root(call)))),
        (api, version) if crate::sheets::discovery::for_api(api, version, "").is_some() => {
            Ok(ok(&crate::sheets::discovery::for_api(api, version, &root(call)).unwrap_or_default()))
        }
        _ => Err(GoogleError::Api {
            status: 404,
            domain: "global",
            reason: "notFound",
            message: format!("Requested entity was not found. (discovery document {api} {version})"),
            location: None,
            location_type: None,
            canonical: Some("NOT_FOUND"),
        }),
    }
}

pub fn list(call: &Call) -> Result<Response> {
    let base = root(call);
    Ok(ok(&json!({
        "kind": "discovery#directoryList",
        "discoveryVersion": "v1",
        "items": [{
            "kind": "discovery#directoryItem",
            "id": "drive:v3",
            "name": "drive",
            "version": "v3",
            "title": "Drive API (DTU twin)",
            "discoveryRestUrl": format!("{base}discovery/v1/apis/drive/v3/rest"),
            "preferred": true,
        }],
    })))
}
