//! The web dashboard of `dtu serve`, on the control port at `/`, behind the control
//! plane's access rule (`twin_core::control::guarded`). Pages are rendered here as
//! small HTML shells; the browser fills them through the control plane's own JSON API
//! (`/_dtu/…`), so no control logic lives twice. The dashboard's own endpoints under
//! `/dashboard/api/` only read what the control plane does not serve: the chaos
//! profiles loaded at start and the evaluation directories named on the command line
//! (`--eval-dir`), never a path from a request.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Path as UrlPath, Query, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use dtu_evaluator::compare;
use serde::Deserialize;
use serde_json::{json, Value};
use twin_core::{ControlError, Core};

const APP_JS: &str = include_str!("app.js");
const APP_CSS: &str = include_str!("app.css");

/// The chaos profiles of the repository, built in so the dashboard offers them from any
/// directory (`./chaos/*.yaml` at start adds to them and wins on a name).
const BUILT_IN_PROFILES: [(&str, &str); 2] = [
    ("flaky-slack", include_str!("../../chaos/flaky-slack.yaml")),
    ("outage", include_str!("../../chaos/outage.yaml")),
];

/// The largest evaluation file the dashboard reads (`runs.jsonl` of a long sweep).
const MAX_EVAL_FILE: u64 = 256 * 1024 * 1024;

/// The files of an `--out` directory the dashboard serves, by fixed name.
const EVAL_FILES: [(&str, &str); 3] = [
    ("results.json", "application/json"),
    ("runs.jsonl", "application/x-ndjson"),
    ("report.html", "text/html; charset=utf-8"),
];

#[derive(Debug, thiserror::Error)]
pub enum DashboardError {
    #[error("chaos profile {path}: {message}")]
    Profile { path: String, message: String },
}

/// What the dashboard serves beside the control plane.
pub struct Dashboard {
    core: Arc<Core>,
    eval_dirs: Vec<PathBuf>,
    profiles: Vec<Value>,
}

impl Dashboard {
    /// Loads the chaos profiles (built in, then `chaos_dir/*.yaml` when it exists).
    pub fn new(core: Arc<Core>, eval_dirs: Vec<PathBuf>, chaos_dir: &Path) -> Result<Self, DashboardError> {
        let mut profiles: Vec<(String, Value)> = Vec::new();
        let mut add = |name: String, path: String, text: &str| -> Result<(), DashboardError> {
            let value: Value = serde_yaml_ng::from_str(text)
                .map_err(|e| DashboardError::Profile { path: path.clone(), message: e.to_string() })?;
            if !value.get("rules").is_some_and(Value::is_array) {
                return Err(DashboardError::Profile { path, message: "no rules: [...] list".into() });
            }
            profiles.retain(|(n, _)| *n != name);
            profiles.push((name, value));
            Ok(())
        };
        for (name, text) in BUILT_IN_PROFILES {
            add(name.to_string(), format!("chaos/{name}.yaml"), text)?;
        }
        if let Ok(entries) = std::fs::read_dir(chaos_dir) {
            let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
            paths.sort();
            for path in paths.into_iter().filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml")) {
                let Some(name) = path.file_stem().and_then(|s| s.to_str()).map(str::to_string) else { continue };
                let text = std::fs::read_to_string(&path).map_err(|e| DashboardError::Profile {
                    path: path.display().to_string(),
                    message: e.to_string(),
                })?;
                add(name, path.display().to_string(), &text)?;
            }
        }
        let profiles = profiles
            .into_iter()
            .map(|(name, v)| json!({"name": name, "description": v.get("description"), "rules": v["rules"]}))
            .collect();
        Ok(Self { core, eval_dirs, profiles })
    }

    /// The dashboard's routes; `dtu serve` mounts them on the control port behind the
    /// control plane's guard (`twin_core::serve::control_router_with`).
    pub fn router(self) -> Router {
        Router::new()
            .route("/", get(universes_page))
            .route("/universes/{u}", get(universe_page))
            .route("/evals", get(evals_page))
            .route("/dashboard/app.js", get(|| async { asset("text/javascript; charset=utf-8", APP_JS) }))
            .route("/dashboard/app.css", get(|| async { asset("text/css; charset=utf-8", APP_CSS) }))
            .route("/dashboard/api/chaos-profiles", get(chaos_profiles))
            .route("/dashboard/api/evals", get(eval_dirs))
            .route("/dashboard/api/evals/{i}/{file}", get(eval_file))
            .route("/dashboard/api/compare", get(compare_evals))
            .with_state(Arc::new(self))
    }
}

type Shared = State<Arc<Dashboard>>;

fn asset(content_type: &'static str, body: &'static str) -> Response {
    ([(CONTENT_TYPE, content_type), (CACHE_CONTROL, "no-cache")], body).into_response()
}

/// Text for an HTML element or a double-quoted attribute (the evaluator's report
/// escapes the same way).
fn escape(text: &str) -> String {
    dtu_evaluator::report::html_escape(text)
}

/// A whole page: the navigation, then `body`. Data reaches the script through `data-`
/// attributes (the policy allows no inline script).
fn page(status: StatusCode, title: &str, data: &[(&str, &str)], body: &str) -> Response {
    let attrs: String = data.iter().map(|(k, v)| format!(" data-{k}=\"{}\"", escape(v))).collect();
    let html = format!(
        r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · DTU</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/dashboard/app.css">
<script src="/dashboard/app.js" defer></script>
</head>
<body{attrs}>
<header><a class="brand" href="/">DTU</a>
<nav><a href="/">Universes</a><a href="/evals">Evaluations</a></nav>
<span id="server-info"></span></header>
<main>
<div id="error" class="error" role="alert" hidden></div>
{body}
</main>
</body>
</html>
"#,
        title = escape(title),
    );
    let mut response = (status, [(CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    secure(response.headers_mut());
    response
}

/// No framing (the browser holds the admin token for this origin), no inline script,
/// nothing cached, no referrer.
fn secure(headers: &mut axum::http::HeaderMap) {
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
        ),
    );
    headers.insert(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("DENY"));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(HeaderName::from_static("referrer-policy"), HeaderValue::from_static("no-referrer"));
}

async fn universes_page() -> Response {
    page(StatusCode::OK, "Universes", &[("page", "universes")], include_str!("universes.html"))
}

async fn universe_page(State(dash): Shared, UrlPath(u): UrlPath<String>) -> Response {
    if dash.core.universe(&u).is_err() {
        let body = format!(
            "<h1>Universe <code>{}</code></h1>\n<p class=\"gone\" id=\"gone\">There is no universe <code>{}</code>: \
             it was deleted, or never existed. <a href=\"/\">Back to the universes</a>.</p>",
            escape(&u),
            escape(&u)
        );
        return page(StatusCode::NOT_FOUND, &format!("Universe {u}"), &[("page", "gone")], &body);
    }
    let body = include_str!("universe.html").replace("{{id}}", &escape(&u));
    page(StatusCode::OK, &format!("Universe {u}"), &[("page", "universe"), ("universe", &u)], &body)
}

async fn evals_page() -> Response {
    page(StatusCode::OK, "Evaluations", &[("page", "evals")], include_str!("evals.html"))
}

async fn chaos_profiles(State(dash): Shared) -> Json<Value> {
    Json(json!({"profiles": dash.profiles}))
}

async fn eval_dirs(State(dash): Shared) -> Json<Value> {
    let dirs: Vec<Value> = dash
        .eval_dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| {
            let files: Vec<&str> =
                EVAL_FILES.iter().map(|(name, _)| *name).filter(|name| dir.join(name).is_file()).collect();
            json!({"index": i, "path": dir.display().to_string(), "files": files})
        })
        .collect();
    Json(json!({"dirs": dirs}))
}

/// One file of an evaluation directory: the directory by its index on the command
/// line, the file by one of the fixed names.
async fn eval_file(
    State(dash): Shared,
    UrlPath((i, file)): UrlPath<(usize, String)>,
) -> Result<Response, ControlError> {
    let (name, content_type) = EVAL_FILES
        .iter()
        .find(|(name, _)| *name == file)
        .ok_or_else(|| ControlError::NotFound(format!("an evaluation directory serves only {}", file_names())))?;
    let (_, bytes) = read_eval_file(&dash, i, name).await?;
    let mut response = ([(CONTENT_TYPE, *content_type)], bytes).into_response();
    secure(response.headers_mut());
    if *name == "report.html" {
        // The evaluator's report, shown as a document of its own origin-less sandbox.
        response.headers_mut().insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:"),
        );
    }
    Ok(response)
}

/// Reads `name` (one of [`EVAL_FILES`]) of the `i`th `--eval-dir`, within [`MAX_EVAL_FILE`].
async fn read_eval_file(dash: &Dashboard, i: usize, name: &str) -> Result<(PathBuf, Vec<u8>), ControlError> {
    let dir = dash
        .eval_dirs
        .get(i)
        .ok_or_else(|| ControlError::NotFound(format!("no evaluation directory {i} (dtu serve --eval-dir)")))?;
    let path = dir.join(name);
    let unreadable = |e: std::io::Error| ControlError::NotFound(format!("{} cannot be read: {e}", path.display()));
    let size = tokio::fs::metadata(&path).await.map_err(unreadable)?.len();
    if size > MAX_EVAL_FILE {
        return Err(ControlError::PayloadTooLarge(format!(
            "{} is {size} bytes, over the dashboard's {MAX_EVAL_FILE}",
            path.display()
        )));
    }
    let bytes = tokio::fs::read(&path).await.map_err(unreadable)?;
    Ok((path, bytes))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CompareQuery {
    /// The baseline's directory index.
    a: usize,
    /// The candidate's.
    b: usize,
}

/// `dtu eval compare` of two `--eval-dir` directories' `results.json`: the evaluator's
/// own comparison (per-scenario counts, change, label, regressions) and the text the
/// command prints.
async fn compare_evals(
    State(dash): Shared,
    query: Result<Query<CompareQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ControlError> {
    let Query(CompareQuery { a, b }) =
        query.map_err(|e| ControlError::BadRequest(format!("compare takes ?a=INDEX&b=INDEX: {}", e.body_text())))?;
    let (ra, rb) = (read_results(&dash, a).await?, read_results(&dash, b).await?);
    let comparison = compare::compare(&ra, &rb, compare::DEFAULT_ALPHA);
    let path = |i: usize| dash.eval_dirs.get(i).map(|d| d.display().to_string());
    Ok(Json(json!({
        "a": {"index": a, "path": path(a), "agent": ra.agent},
        "b": {"index": b, "path": path(b), "agent": rb.agent},
        "alpha": compare::DEFAULT_ALPHA,
        "text": compare::text(&comparison),
        "comparison": comparison,
    })))
}

/// The `results.json` of the `i`th `--eval-dir`, read as `dtu eval compare` reads one.
async fn read_results(dash: &Dashboard, i: usize) -> Result<dtu_evaluator::results::Results, ControlError> {
    let (path, bytes) = read_eval_file(dash, i, "results.json").await?;
    compare::parse(&path, &String::from_utf8_lossy(&bytes)).map_err(|e| ControlError::BadRequest(e.to_string()))
}

fn file_names() -> String {
    EVAL_FILES.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ")
}
