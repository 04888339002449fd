//! The coverage table against the vendor's OpenAPI documents (`platform.v3.json`, the
//! Cloud platform REST API, and `software.json`, the Agile API): every operation the
//! twin claims exists there, the totals add up, and COVERAGE.md is the table as the
//! code has it.
//!
//! Regenerate COVERAGE.md with `DTU_WRITE_COVERAGE=1 cargo test -p twin-jira --test coverage`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use serde_json::Value;
use twin_core::Twin;
use twin_jira::api::routes::{self, Cov};
use twin_jira::{JiraTwin, SPEC_OPERATIONS};

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `/rest/api/3/issue/{issueIdOrKey}` → `/rest/api/3/issue/{}`.
fn normalize(path: &str) -> String {
    path.split('/').map(|s| if s.starts_with('{') { "{}" } else { s }).collect::<Vec<_>>().join("/")
}

/// (METHOD, normalized path) → (operationId, tag) of every operation of both documents.
fn spec_operations() -> BTreeMap<(String, String), (String, String)> {
    let mut out = BTreeMap::new();
    for file in ["platform.v3.json", "software.json"] {
        let path = manifest_dir().join("../../../shared/vendor/jira").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let doc: Value = serde_json::from_str(&text).expect("the vendor document parses");
        let paths = doc.get("paths").and_then(Value::as_object).expect("paths");
        for (p, item) in paths {
            for m in METHODS {
                if let Some(op) = item.get(m) {
                    let id = op.get("operationId").and_then(Value::as_str).unwrap_or("").to_string();
                    let tag = op
                        .get("tags")
                        .and_then(Value::as_array)
                        .and_then(|t| t.first())
                        .and_then(Value::as_str)
                        .unwrap_or("Other")
                        .to_string();
                    out.insert((m.to_ascii_uppercase(), normalize(p)), (id, tag));
                }
            }
        }
    }
    out
}

const NOTES: &str = "## Twin specifics

- **Site URL.** The manifest's `jira.base_url` is the port's base for the `default` universe and
  `{base}/u/{id}` for any other (serverInfo is anonymous, so the path names the universe). Platform
  operations are served under `/rest/api/2`, `/rest/api/3` and `/rest/api/latest` (one state; v3
  renders rich text as ADF, v2 and `latest` as wiki markup); `self`, `nextPage` and attachment
  `content` links follow the address and version the client used.
- **Credentials.** Every fixture person has an Atlassian account (`712020:<uuid>`) and an API token:
  `Authorization: Basic base64(email:token)` (the email must be the token's owner) or
  `Bearer <token>`; the manifest also gives a bearer token of its own. Deactivated people's tokens
  answer 401. Anonymous requests reach only `serverInfo`.
- **Permissions.** A project's fixture `groups` may browse it (none: everyone); members of the
  fixture's `admin_groups` (default `admins`) see everything. Hidden issues answer the same 404 as
  missing ones.
- **Workflow.** A project has Cloud's simplified workflow (To Do, In Progress, Done; global
  transitions 11/21/31 named after their targets; Done sets resolution and resolutiondate), or with
  `workflow: classic` in the fixture the classic one (Open, In Progress, Resolved, Reopened,
  Closed; `Start Progress`, `Resolve Issue`, `Close Issue`, `Reopen Issue`, `Stop Progress`).
- **JQL** is parsed by a real grammar (`src/jql.rs`); unbounded queries are refused by
  `search/jql`; `WAS` and `CHANGED` (with FROM/TO/BY/AFTER/BEFORE) read the changelog; `issueHistory()` is not supported.
- **Webhooks** (`/rest/webhooks/1.0/webhook`, admins only; issue, comment, worklog, sprint and issue link
  events) are derived from state changes and sent
  by a simple loopback sender in this crate (three attempts, `X-Hub-Signature` with a secret) to
  loopback URLs only (others are refused with a `url` error: the twin never calls off the machine); the
  dynamic `/rest/api/3/webhook` (Connect/OAuth apps) is not served.
- **Fixture section** (`jira:` in a fixture; see `fixtures/default.yaml`): `admin` (the manifest's
  account; default the first active member of `admins`), `admin_groups`, `projects` (`key`, `name`,
  `lead`, `description`, `groups` that may browse, `components`), `boards` (`name`, `project`,
  `type`, `sprints` with `state`, `started` (ago), `days`, `goal`), `issues` (in order, so keys are
  predictable: `project`, `type`, `summary`, `description` (wiki markup), `status`, `priority`,
  `assignee`, `reporter`, `labels`, `components`, `ago`, `due`, `parent`, `story_points`,
  `sprints`, `watchers`, `comments` with `from`, `text`, `ago`) and `links` (`type`, `from` (the
  outward side), `to`). Without a section (the generated large fixture) ENG, OPS and HR get one
  issue per person and ENG a board with an active sprint. The manifest lists the API tokens of
  up to 50 people under `jira.users` (email → `account_id`, `api_token`).
- **Not yet served:** versions (projects have none), custom field administration, filters,
  dashboards, the classic workflow template, `--realistic-limits` per-issue write limits.

";

fn markdown(spec: &BTreeMap<(String, String), (String, String)>) -> String {
    let table = routes::all();
    let coverage = JiraTwin::new().coverage();
    let mut md = String::new();
    md.push_str("# Jira twin: coverage\n\n");
    md.push_str("Generated from the route table in `src/api/routes.rs` and checked against the vendor's\n");
    md.push_str("OpenAPI documents (`shared/vendor/jira/platform.v3.json` and `software.json`) by\n");
    md.push_str(
        "`tests/coverage.rs`. Regenerate with `DTU_WRITE_COVERAGE=1 cargo test -p twin-jira --test coverage`.\n\n",
    );
    md.push_str(&format!(
        "**{} implemented, {} partial, {} missing** of {} operations; plus {} operations outside\n",
        coverage.implemented,
        coverage.partial,
        coverage.missing,
        SPEC_OPERATIONS,
        table.iter().filter(|r| r.coverage == Cov::Extra).count()
    ));
    md.push_str(
        "those documents (removed or deprecated endpoints clients still call, `/rest/software/1.0`,
admin webhooks, `/rest/auth/1/session`).\n\n",
    );
    md.push_str(NOTES);
    md.push_str("## Operations served\n\n");
    md.push_str("| Method | Path | operationId | Journal operation | Status | Gaps |\n|---|---|---|---|---|---|\n");
    let mut rows: Vec<_> = table.iter().filter(|r| r.coverage != Cov::Extra).collect();
    rows.sort_by_key(|r| (r.path, r.method));
    for r in rows {
        let (id, _) = spec.get(&(r.method.to_string(), normalize(r.path))).cloned().unwrap_or_default();
        let (status, gaps) = match r.coverage {
            Cov::Implemented => ("implemented", ""),
            Cov::Partial(g) => ("partial", g),
            Cov::Extra => ("extra", ""),
        };
        md.push_str(&format!("| {} | `{}` | {} | `{}` | {} | {} |\n", r.method, r.path, id, r.operation, status, gaps));
    }
    md.push_str("\n## Beyond the documents\n\n");
    md.push_str("| Method | Path | Journal operation |\n|---|---|---|\n");
    let mut extras: Vec<_> = table.iter().filter(|r| r.coverage == Cov::Extra).collect();
    extras.sort_by_key(|r| (r.path, r.method));
    for r in extras {
        md.push_str(&format!("| {} | `{}` | `{}` |\n", r.method, r.path, r.operation));
    }
    md.push_str("\n## Missing, by API tag\n\n");
    let served: BTreeSet<(String, String)> = table.iter().map(|r| (r.method.to_string(), normalize(r.path))).collect();
    let mut missing: BTreeMap<&str, usize> = BTreeMap::new();
    for (key, (_, tag)) in spec {
        if !served.contains(key) {
            *missing.entry(tag.as_str()).or_default() += 1;
        }
    }
    md.push_str("| Tag | Missing operations |\n|---|---|\n");
    for (tag, n) in missing {
        md.push_str(&format!("| {tag} | {n} |\n"));
    }
    md
}

#[test]
fn the_table_matches_the_vendor_documents_and_coverage_md() {
    let spec = spec_operations();
    assert_eq!(spec.len(), SPEC_OPERATIONS, "SPEC_OPERATIONS is out of date");
    let table = routes::all();
    for r in &table {
        let key = (r.method.to_string(), normalize(r.path));
        match r.coverage {
            Cov::Implemented | Cov::Partial(_) => {
                assert!(spec.contains_key(&key), "{} {} is not in the vendor documents", r.method, r.path)
            }
            Cov::Extra => assert!(!spec.contains_key(&key), "{} {} is in the documents: not Extra", r.method, r.path),
        }
    }
    let coverage = JiraTwin::new().coverage();
    let claimed = table.iter().filter(|r| r.coverage != Cov::Extra).count();
    assert_eq!(coverage.implemented + coverage.partial, claimed);
    assert_eq!(coverage.implemented + coverage.partial + coverage.missing, SPEC_OPERATIONS);

    let expected = markdown(&spec);
    let path = manifest_dir().join("COVERAGE.md");
    if std::env::var_os("DTU_WRITE_COVERAGE").is_some() {
        std::fs::write(&path, &expected).expect("write COVERAGE.md");
    }
    let actual = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        actual == expected,
        "COVERAGE.md is out of date; regenerate with DTU_WRITE_COVERAGE=1 cargo test -p twin-jira --test coverage"
    );
}
