//! The coverage table against Drive v3's discovery document as the pinned Python
//! client ships it (`googleapiclient/discovery_cache/documents/drive.v3.json`):
//! every method the twin claims exists there with the same HTTP method and path,
//! the totals add up, and COVERAGE.md is the table as the code has it.
//!
//! The document is read from `$DTU_GOOGLE_DISCOVERY_DIR` or the repository's
//! `.venv`. Without it (a clone whose SDKs are not installed yet) the test still
//! checks that every row the route table gives is in COVERAGE.md; the Python suite
//! (`test_google_coverage.py`) checks the whole table against the document.
//!
//! Regenerate with `DTU_WRITE_COVERAGE=1 cargo test -p twin-google --test coverage`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value;
use twin_core::Twin;
use twin_google::api::routes::{self, Cov, DRIVE_PREFIX, DRIVE_V2_PREFIX};
use twin_google::{GoogleTwin, SPEC_METHODS};

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn discovery_doc() -> Option<Value> {
    discovery_doc_named("drive.v3.json")
}

fn discovery_doc_named(name: &str) -> Option<Value> {
    let dir = match std::env::var_os("DTU_GOOGLE_DISCOVERY_DIR") {
        Some(d) => PathBuf::from(d),
        None => {
            let lib = manifest_dir().join("../../.venv/lib");
            let python = std::fs::read_dir(&lib)
                .ok()?
                .filter_map(Result::ok)
                .find(|e| e.file_name().to_string_lossy().starts_with("python"))?;
            python.path().join("site-packages/googleapiclient/discovery_cache/documents")
        }
    };
    let text = std::fs::read_to_string(dir.join(name)).ok()?;
    serde_json::from_str(&text).ok()
}

/// id → (httpMethod, path) of every method of the document.
fn spec_methods(doc: &Value) -> BTreeMap<String, (String, String)> {
    fn walk(resources: &Value, out: &mut BTreeMap<String, (String, String)>) {
        let Some(map) = resources.as_object() else { return };
        for res in map.values() {
            if let Some(methods) = res.get("methods").and_then(Value::as_object) {
                for m in methods.values() {
                    let id = m["id"].as_str().unwrap_or_default().to_string();
                    let http = m["httpMethod"].as_str().unwrap_or_default().to_string();
                    let path = m["path"].as_str().unwrap_or_default().to_string();
                    out.insert(id, (http, path));
                }
            }
            if let Some(sub) = res.get("resources") {
                walk(sub, out);
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(&doc["resources"], &mut out);
    out
}

fn row(id: &str, http: &str, path: &str, status: &str, note: &str) -> String {
    format!("| `{id}` | {http} `{path}` | {status} | {note} |\n")
}

/// The rows of the methods the twin serves.
fn served_rows() -> BTreeMap<String, String> {
    routes::api_methods()
        .map(|(r, a)| {
            let path = r.path.strip_prefix(DRIVE_PREFIX).unwrap_or(r.path);
            let (status, note) = match r.coverage {
                Cov::Implemented => ("implemented", ""),
                Cov::Partial(n) => ("partial", n),
                Cov::Extra => ("extra", ""),
            };
            (a.id.to_string(), row(a.id, r.method, path, status, note))
        })
        .collect()
}

const HEAD: &str = "# Google twin coverage

Drive v3 against its discovery document (`drive.v3.json` of google-api-python-client
2.202.0). Generated from the route table by `cargo test -p twin-google --test coverage`
(`DTU_WRITE_COVERAGE=1` rewrites it); `tests/sdk/python/test_google_coverage.py` checks it
against the installed document and the twin's own discovery document.

Also served, outside the API document: the token endpoint (`POST /token`, JWT-bearer and
refresh-token grants), `GET /oauth2/v3/tokeninfo`, `GET /oauth2/v3/userinfo`, discovery
(`/discovery/v1/apis/{api}/{version}/rest`, `/$discovery/rest?version=`), media uploads
(`/upload/drive/v3/...` simple and multipart, `/resumable/upload/drive/v3/...` and the
session `PUT`s) and batch (`POST /batch/drive/v3`); the same for Drive v2 (the table at
the end), which PyDrive2 uses.

## Twin specifics

- **Endpoint.** The manifest's `google.endpoint` is the port's base for the `default`
  universe and `{base}/u/{id}` for any other (the token endpoint and discovery take no
  credential to route by). `drive_endpoint` ends in `/drive/v3/` (Python's
  `client_options={\"api_endpoint\": ...}` for calls without media); the discovery
  document's `rootUrl` is the address the client used, so Python uploads and batch and
  Node `google.discoverAPI` clients reach the twin; Node's `google.drive({rootUrl})`
  needs `rootUrl` in the call options of uploads too.
- **Credentials.** `Authorization: Bearer` (or `access_token` in the query): the
  manifest's `access_token` (the admin) and `access_tokens` (one per person, in domains
  of up to 200 people: a fork re-mints every credential); a
  service-account key (`google.service_account`) whose `token_uri` is the twin's
  `/token`, with `sub` acting as any active person; the refresh token and OAuth client
  of the manifest. Anything else is 401, after which the clients try to refresh.
  `authorized_user` key files and Node's `JWT`/`GoogleAuth` clients post to Google's
  own token URL whatever the file says (not reachable without a code change).
- **Access** is computed per request from the owner, permissions (user, group: the
  fixture's groups, domain, anyone; `allowFileDiscovery` decides search), folders and
  shared-drive membership. No access is `404 File not found`; some access but not
  enough is `403 insufficientFilePermissions`.
- **Content.** Uploaded bytes live in the universe's state (forked, snapshotted and
  exported with it), bounded per universe (`storage_cap_bytes`, 64 MiB by default:
  `403 storageQuotaExceeded`). Editor files hold text until Docs and Sheets own them;
  export renders Docs as text/plain, text/html, text/markdown and Sheets as CSV/TSV.
- **Drive v2** is a second rendering of the same state (v2's names; `q` with `title`,
  `modifiedDate`, `createdDate`; `downloadUrl` and `exportLinks` lead back to the twin,
  `google.discovery_urls.drive_v2` names its discovery document). PyDrive2 signs in with
  its own service-account settings and needs one line: `gauth.service = build(\"drive\",
  \"v2\", http=gauth.http, discoveryServiceUrl=...)`. Not in v2: changes, comments,
  replies, revisions, properties, apps, teamdrives/drives, children/parents insert and
  delete, permissions patch/update, watch, generateIds.
- **Not modelled.** Labels, approvals, access proposals, apps, long-running downloads,
  push notifications (watch is accepted, never delivered).

";

fn render(spec: &BTreeMap<String, (String, String)>) -> String {
    let served = served_rows();
    let implemented = routes::api_methods().filter(|(r, _)| r.coverage == Cov::Implemented).count();
    let partial = routes::api_methods().filter(|(r, _)| matches!(r.coverage, Cov::Partial(_))).count();
    let mut out = HEAD.to_string();
    out += &format!(
        "**{implemented} implemented, {partial} partial, {} missing** of {} methods.\n\n",
        spec.len() - implemented - partial,
        spec.len()
    );
    out += "| method | request | status | notes |\n|---|---|---|---|\n";
    for (id, (http, path)) in spec {
        match served.get(id) {
            Some(r) => out += r,
            None => out += &row(id, http, path, "missing", ""),
        }
    }
    out += "\n## Drive v2 (for PyDrive2)\n\nThe v2 methods served, against `drive.v2.json`; the rest of v2 is missing.\n\n";
    out += "| method | request | status | notes |\n|---|---|---|---|\n";
    let mut v2: Vec<_> = routes::api_methods_under(DRIVE_V2_PREFIX).collect();
    v2.sort_by_key(|(_, a)| a.id);
    for (r, a) in v2 {
        let path = r.path.strip_prefix(DRIVE_V2_PREFIX).unwrap_or(r.path);
        let (status, note) = match r.coverage {
            Cov::Implemented => ("implemented", ""),
            Cov::Partial(n) => ("partial", n),
            Cov::Extra => ("extra", ""),
        };
        out += &format!("| v2 `{}` | {} `{path}` | {status} | {note} |\n", a.id, r.method);
    }
    out
}

#[test]
fn coverage_table_matches_the_route_table() {
    let path = manifest_dir().join("COVERAGE.md");
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    let Some(doc) = discovery_doc() else {
        for (id, r) in served_rows() {
            assert!(current.contains(&r), "COVERAGE.md lacks the row of {id}: {r}");
        }
        eprintln!("drive.v3.json not found: checked the served rows only");
        return;
    };
    let spec = spec_methods(&doc);
    assert_eq!(spec.len(), SPEC_METHODS, "SPEC_METHODS is the document's method count");
    for (r, a) in routes::api_methods() {
        let (http, p) = spec.get(a.id).unwrap_or_else(|| panic!("{} is not a Drive v3 method", a.id));
        assert_eq!(http, r.method, "{}", a.id);
        assert_eq!(Some(p.as_str()), r.path.strip_prefix(DRIVE_PREFIX), "{}", a.id);
    }
    if let Some(v2) = discovery_doc_named("drive.v2.json") {
        let v2_spec = spec_methods(&v2);
        for (r, a) in routes::api_methods_under(DRIVE_V2_PREFIX) {
            let (http, p) = v2_spec.get(a.id).unwrap_or_else(|| panic!("{} is not a Drive v2 method", a.id));
            assert_eq!(http, r.method, "v2 {}", a.id);
            assert_eq!(Some(p.as_str()), r.path.strip_prefix(DRIVE_V2_PREFIX), "v2 {}", a.id);
        }
    }
    let cov = GoogleTwin::new().coverage();
    assert_eq!(cov.implemented + cov.partial + cov.missing, spec.len());
    let want = render(&spec);
    if std::env::var_os("DTU_WRITE_COVERAGE").is_some() {
        std::fs::write(&path, &want).expect("write COVERAGE.md");
        return;
    }
    assert_eq!(current, want, "COVERAGE.md is stale: DTU_WRITE_COVERAGE=1 cargo test -p twin-google --test coverage");
}
