//! Search: `search/jql` (GET and POST) with `nextPageToken` (absent on the last
//! page), `search/approximate-count`, `jql/parse`, and the removed `/search` (410).

use serde_json::{json, Map, Value};

use super::issues::render_issue;
use super::render::FieldSel;
use super::Call;
use crate::errors::JiraError;
use crate::jql::{self, Env};
use crate::model::{Issue, JiraState, User};
use crate::wire::{body_object, ok};
use base64::Engine;

type R = Result<axum::response::Response, JiraError>;

pub const REMOVED: &str = "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API. A full migration guideline is available at https://developer.atlassian.com/changelog/#CHANGE-2046";

pub const UNBOUNDED: &str =
    "Unbounded JQL queries are not allowed here. Please add a search restriction to your query.";

pub async fn legacy(_call: Call) -> R {
    Err(JiraError::new(410, REMOVED))
}

/// The issues a query selects for a user, ordered. `bounded` refuses a query
/// without a restriction, as `search/jql` does.
pub fn run(
    s: &JiraState,
    user: &User,
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
    bounded: bool,
) -> Result<Vec<String>, JiraError> {
    Ok(select(s, user, text, now, bounded, None)?.issues.into_iter().map(|i| i.id.clone()).collect())
}

/// The first issues of a query's answer, in order.
pub struct Selection<'s> {
    pub issues: Vec<&'s Issue>,
    /// Whether the answer goes on past `issues` (only ever set under a limit).
    pub more: bool,
}

/// The issues a query selects for a user, in order: all of them, or under `limit`
/// the first `limit` and whether more follow.
///
/// A query pinned to projects reads only their issues, through the index by project
/// and last update; ordered by `updated` as well (the shape boards and agents send)
/// it walks that index in order and stops once the page is full, so its cost is the
/// page, not the site. Anything else is a scan, and under a limit a partial sort.
pub fn select<'s>(
    s: &'s JiraState,
    user: &User,
    text: &str,
    now: chrono::DateTime<chrono::Utc>,
    bounded: bool,
    limit: Option<usize>,
) -> Result<Selection<'s>, JiraError> {
    let q = jql::parse(text).map_err(JiraError::bad_request)?;
    let env = Env { state: s, current_user: Some(&user.account_id), now };
    let compiled = env.compile(&q).map_err(JiraError::bad_request)?;
    if bounded && !compiled.is_bounded() {
        return Err(JiraError::bad_request(UNBOUNDED));
    }
    let visible = |project_id: &str| s.projects.get(project_id).is_some_and(|p| s.can_browse(user, p));
    let order = compiled.comparator(&env);
    let mut hits: Vec<&Issue> = match (compiled.projects(), compiled.by_updated(), limit) {
        (Some(projects), Some(newest_first), Some(n)) => {
            let mut hits = Vec::new();
            for p in projects.iter().filter(|p| visible(p)) {
                let walk = s.issues.in_project_by_updated(p);
                let walk: Box<dyn Iterator<Item = _>> =
                    if newest_first { Box::new(walk.rev()) } else { Box::new(walk) };
                let mut taken = 0usize;
                let mut last = None;
                for entry in walk {
                    // Past the page, only ties on `updated` can still sort into it.
                    if taken > n && last != Some(entry.updated) {
                        break;
                    }
                    let Some(issue) = s.issues.get(&entry.id) else { continue };
                    if compiled.matches(&env, issue) {
                        hits.push(issue);
                        taken += 1;
                        last = Some(entry.updated);
                    }
                }
            }
            hits
        }
        (Some(projects), _, _) => projects
            .iter()
            .filter(|p| visible(p))
            .flat_map(|p| s.issues.in_project_by_updated(p))
            .filter_map(|entry| s.issues.get(&entry.id))
            .filter(|i| compiled.matches(&env, i))
            .collect(),
        (None, _, _) => {
            let visible: Vec<&str> =
                s.projects.values().filter(|p| s.can_browse(user, p)).map(|p| p.id.as_str()).collect();
            s.issues
                .values()
                .filter(|i| visible.contains(&i.project_id.as_str()))
                .filter(|i| compiled.matches(&env, i))
                .collect()
        }
    };
    let more = match limit {
        Some(n) if hits.len() > n => {
            hits.select_nth_unstable_by(n, &order);
            hits.truncate(n);
            true
        }
        _ => false,
    };
    hits.sort_by(&order);
    Ok(Selection { issues: hits, more })
}

pub fn token_encode(offset: usize, jql: &str) -> String {
    let raw = format!("{offset}:{:016x}", hash(jql));
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn hash(text: &str) -> u64 {
    twin_core::ids::seed_from_str(text)
}

pub fn token_decode(token: &str, jql: &str) -> Result<usize, JiraError> {
    let bad = || JiraError::bad_request("The provided next page token is invalid or expired.");
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(raw).map_err(|_| bad())?;
    let (offset, h) = text.split_once(':').ok_or_else(bad)?;
    if h != format!("{:016x}", hash(jql)) {
        return Err(bad());
    }
    offset.parse().map_err(|_| bad())
}

struct Params {
    jql: String,
    token: Option<String>,
    max: usize,
    fields: Vec<String>,
    expand: Vec<String>,
    properties: Vec<String>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(Value::as_str)
            .flat_map(|s| s.split(','))
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
        Some(Value::String(s)) => s.split(',').map(|x| x.trim().to_string()).filter(|x| !x.is_empty()).collect(),
        _ => vec![],
    }
}

fn max_results(n: i64, fields: &[String]) -> usize {
    let id_only = fields.iter().all(|f| f == "id" || f == "key");
    let cap = if id_only { 5000 } else { 100 };
    if n <= 0 {
        50
    } else {
        usize::try_from(n).unwrap_or(cap).min(cap)
    }
}

fn execute(call: &Call, p: Params) -> R {
    let user = call.user()?;
    let now = call.now();
    let base = call.base().to_string();
    let sel = FieldSel::parse(&p.fields, false);
    let v3 = call.v3;
    call.read(|s| {
        let start = match &p.token {
            Some(t) => token_decode(t, &p.jql)?,
            None => 0,
        };
        let selection = select(s, &user, &p.jql, now, true, Some(start.saturating_add(p.max)))?;
        let memo = crate::api::render::PageMemo::default();
        let page: Vec<Value> = selection
            .issues
            .iter()
            .skip(start)
            .map(|i| {
                let mut v = render_issue(&memo, s, &base, i, v3, &sel, &p.expand, &user);
                if !p.properties.is_empty() {
                    let m: Map<String, Value> = i
                        .properties
                        .iter()
                        .filter(|(k, _)| p.properties.iter().any(|x| x == *k || x == "*all"))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    v["properties"] = Value::Object(m);
                }
                v
            })
            .collect();
        let end = start + page.len();
        let mut out = json!({"issues": page, "isLast": !selection.more});
        if selection.more {
            out["nextPageToken"] = json!(token_encode(end, &p.jql));
        }
        if p.expand.iter().any(|e| e == "names") {
            let names: Map<String, Value> = crate::api::render::FIELDS
                .iter()
                .filter(|d| sel.wants(d.id))
                .map(|d| (d.id.to_string(), json!(d.name)))
                .collect();
            out["names"] = Value::Object(names);
        }
        if p.expand.iter().any(|e| e == "schema") {
            let schema: Map<String, Value> = crate::api::render::FIELDS
                .iter()
                .filter(|d| sel.wants(d.id))
                .map(|d| (d.id.to_string(), crate::api::render::field_schema(d)))
                .collect();
            out["schema"] = Value::Object(schema);
        }
        Ok(ok(&out))
    })?
}

pub async fn search_get(call: Call) -> R {
    let q = &call.query;
    let fields = q.list("fields");
    let p = Params {
        jql: q.get("jql").unwrap_or("").to_string(),
        token: q.text("nextPageToken").map(str::to_string),
        max: max_results(q.int("maxResults", 50)?, &fields),
        fields,
        expand: q.list("expand"),
        properties: q.list("properties"),
    };
    execute(&call, p)
}

pub async fn search_post(call: Call) -> R {
    let body = body_object(&call.body)?;
    let fields = strings(body.get("fields"));
    let max = match body.get("maxResults") {
        None | Some(Value::Null) => 50,
        Some(Value::Number(n)) => n.as_i64().unwrap_or(50),
        Some(_) => return Err(JiraError::bad_request("maxResults must be a number.")),
    };
    let jql = match body.get("jql") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(_) => return Err(JiraError::bad_request("jql must be a string.")),
    };
    let p = Params {
        jql,
        token: body.get("nextPageToken").and_then(Value::as_str).filter(|t| !t.is_empty()).map(str::to_string),
        max: max_results(max, &fields),
        fields,
        expand: strings(body.get("expand")),
        properties: strings(body.get("properties")),
    };
    execute(&call, p)
}

pub async fn count(call: Call) -> R {
    let user = call.user()?;
    let body = body_object(&call.body)?;
    let jql = body.get("jql").and_then(Value::as_str).unwrap_or("").to_string();
    let now = call.now();
    let n = call.read(|s| run(s, &user, &jql, now, true).map(|ids| ids.len()))??;
    Ok(ok(&json!({"count": n})))
}

fn clause_structure(c: &jql::Clause) -> Value {
    match c {
        jql::Clause::And(p) => {
            json!({"clauses": p.iter().map(clause_structure).collect::<Vec<_>>(), "operator": "and"})
        }
        jql::Clause::Or(p) => json!({"clauses": p.iter().map(clause_structure).collect::<Vec<_>>(), "operator": "or"}),
        jql::Clause::Not(x) => json!({"clauses": [clause_structure(x)], "operator": "not"}),
        jql::Clause::History { field, changed, not, value, preds } => {
            let operator = match (changed, not) {
                (true, _) => "changed",
                (false, true) => "was not",
                (false, false) => "was",
            };
            let mut v = json!({"field": {"name": field}, "operator": operator});
            if let Some(o) = value {
                v["operand"] = operand(o);
            }
            if !preds.is_empty() {
                v["predicates"] =
                    json!(preds.iter().map(|(n, o)| json!({"operator": n, "operand": operand(o)})).collect::<Vec<_>>());
            }
            v
        }
        jql::Clause::Cmp { field, op, value } => {
            json!({"field": {"name": field}, "operator": jql::op_text(*op), "operand": operand(value)})
        }
    }
}

fn operand(o: &jql::Operand) -> Value {
    match o {
        jql::Operand::Value(v) => json!({"value": v}),
        jql::Operand::Empty => json!({"keyword": "empty"}),
        jql::Operand::Func(f, a) => json!({"function": f, "arguments": a}),
        jql::Operand::List(items) => json!({"values": items.iter().map(operand).collect::<Vec<_>>()}),
    }
}

pub async fn parse(call: Call) -> R {
    call.user()?;
    let body = body_object(&call.body)?;
    let Some(queries) = body.get("queries").and_then(Value::as_array) else {
        return Err(JiraError::bad_request("The 'queries' list is required."));
    };
    let out: Vec<Value> = queries
        .iter()
        .map(|q| {
            let text = q.as_str().unwrap_or("");
            match jql::parse(text) {
                Ok(parsed) => {
                    let mut v = json!({"query": text});
                    let mut structure = Map::new();
                    if let Some(c) = &parsed.clause {
                        structure.insert("where".into(), clause_structure(c));
                    }
                    if !parsed.order.is_empty() {
                        structure.insert(
                            "orderBy".into(),
                            json!({"fields": parsed.order.iter().map(|k| json!({"field": {"name": k.field}, "direction": if k.desc {"desc"} else {"asc"}})).collect::<Vec<_>>()}),
                        );
                    }
                    v["structure"] = Value::Object(structure);
                    v
                }
                Err(e) => json!({"query": text, "errors": [e]}),
            }
        })
        .collect();
    Ok(ok(&json!({"queries": out})))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_tokens_belong_to_their_query() {
        let t = token_encode(100, "project = ENG");
        assert_eq!(token_decode(&t, "project = ENG").unwrap(), 100);
        assert!(token_decode(&t, "project = OPS").is_err());
        assert!(token_decode("garbage!", "project = ENG").is_err());
    }
}
