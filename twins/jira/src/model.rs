//! The site's canonical state: users and groups, projects with their workflows,
//! issues (rich text stored as ADF), comments, worklogs, attachments, links, the
//! changelog, boards and sprints. Everything lives in [`Collection`]s so snapshot,
//! fork, reset and export cover it all.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use twin_core::{AnyCollection, Collection, Store};

/// Status categories: Jira's fixed four.
pub const CAT_UNDEFINED: u8 = 1;
pub const CAT_NEW: u8 = 2;
pub const CAT_DONE: u8 = 3;
pub const CAT_IN_PROGRESS: u8 = 4;

/// The custom fields every Cloud software site has.
pub const SPRINT_FIELD: &str = "customfield_10020";
pub const STORY_POINTS_FIELD: &str = "customfield_10016";
pub const RANK_FIELD: &str = "customfield_10019";
pub const START_DATE_FIELD: &str = "customfield_10015";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub account_id: String,
    pub email: String,
    pub display_name: String,
    pub active: bool,
    pub time_zone: String,
    /// Group names.
    pub groups: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub name: String,
    pub group_id: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub id: String,
    pub name: String,
    pub description: String,
    pub category: u8,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transition {
    pub id: String,
    pub name: String,
    pub to: String,
    /// Status ids it leaves from; empty: a global transition (from any status).
    pub from: Vec<String>,
    /// Shows a screen with the resolution field (transitions into a done status).
    pub screen: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Workflow {
    pub name: String,
    pub statuses: Vec<String>,
    pub initial: String,
    pub transitions: Vec<Transition>,
}

impl Workflow {
    /// Transitions available from a status, in workflow order. Global transitions to
    /// the current status are left out, as Cloud's simplified workflows do.
    pub fn from_status<'a>(&'a self, status: &'a str) -> impl Iterator<Item = &'a Transition> + 'a {
        self.transitions.iter().filter(move |t| {
            if t.from.is_empty() {
                t.to != status
            } else {
                t.from.iter().any(|f| f == status)
            }
        })
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    pub id: String,
    pub key: String,
    pub name: String,
    pub description: String,
    pub lead: String,
    pub type_key: String,
    pub issue_types: Vec<String>,
    pub workflow: Workflow,
    /// The last issue number handed out (never reused).
    pub counter: u64,
    /// Groups whose members may browse; empty: everyone.
    pub browse_groups: Vec<String>,
    pub components: Vec<String>,
    pub assignee_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueType {
    pub id: String,
    pub name: String,
    pub description: String,
    pub subtask: bool,
    pub hierarchy_level: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Named {
    pub id: String,
    pub name: String,
    pub description: String,
    /// Priorities: their colour; resolutions: unused.
    pub color: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub id: String,
    pub key: String,
    pub project_id: String,
    pub issue_type: String,
    pub summary: String,
    pub description: Option<Value>,
    pub environment: Option<Value>,
    pub status: String,
    pub priority: Option<String>,
    pub resolution: Option<String>,
    pub resolution_date: Option<DateTime<Utc>>,
    pub assignee: Option<String>,
    pub reporter: Option<String>,
    pub creator: String,
    pub labels: Vec<String>,
    pub components: Vec<String>,
    pub duedate: Option<String>,
    pub parent: Option<String>,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub status_changed: DateTime<Utc>,
    pub comments: Vec<String>,
    pub worklogs: Vec<String>,
    pub attachments: Vec<String>,
    pub links: Vec<String>,
    pub watchers: Vec<String>,
    pub sprints: Vec<u64>,
    pub original_estimate: Option<i64>,
    pub remaining_estimate: Option<i64>,
    /// Custom field values by field id (story points, start date, …).
    pub custom: BTreeMap<String, Value>,
    pub properties: BTreeMap<String, Value>,
    #[serde(default)]
    pub voters: Vec<String>,
}

impl Issue {
    pub fn number(&self) -> u64 {
        self.key.rsplit('-').next().and_then(|n| n.parse().ok()).unwrap_or(0)
    }

    pub fn id_num(&self) -> u64 {
        self.id.parse().unwrap_or(0)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comment {
    pub id: String,
    pub issue_id: String,
    pub author: String,
    pub update_author: String,
    pub body: Value,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub visibility: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Worklog {
    pub id: String,
    pub issue_id: String,
    pub author: String,
    pub update_author: String,
    pub comment: Option<Value>,
    pub started: DateTime<Utc>,
    pub seconds: i64,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    pub id: String,
    pub issue_id: String,
    pub filename: String,
    pub author: String,
    pub created: DateTime<Utc>,
    pub mime_type: String,
    /// The bytes, base64.
    pub content: String,
    pub size: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LinkType {
    pub id: String,
    pub name: String,
    pub inward: String,
    pub outward: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueLink {
    pub id: String,
    pub type_id: String,
    pub inward: String,
    pub outward: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HistoryItem {
    pub field: String,
    pub field_type: String,
    pub field_id: String,
    pub from: Option<String>,
    pub from_string: Option<String>,
    pub to: Option<String>,
    pub to_string: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub id: String,
    pub issue_id: String,
    pub author: String,
    pub created: DateTime<Utc>,
    pub items: Vec<HistoryItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Board {
    pub id: u64,
    pub name: String,
    pub kind: String,
    pub project_id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SprintState {
    Future,
    Active,
    Closed,
}

impl SprintState {
    pub fn as_str(self) -> &'static str {
        match self {
            SprintState::Future => "future",
            SprintState::Active => "active",
            SprintState::Closed => "closed",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sprint {
    pub id: u64,
    pub name: String,
    pub state: SprintState,
    pub board_id: u64,
    pub goal: String,
    pub start: Option<DateTime<Utc>>,
    pub end: Option<DateTime<Utc>>,
    pub complete: Option<DateTime<Utc>>,
    pub created: DateTime<Utc>,
}

/// A link from an issue to an item elsewhere (`/issue/{key}/remotelink`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RemoteLink {
    pub id: u64,
    pub issue_id: String,
    pub global_id: Option<String>,
    pub relationship: Option<String>,
    pub object: Value,
    pub application: Option<Value>,
}

/// An admin webhook (`/rest/webhooks/1.0/webhook`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: u64,
    pub name: String,
    pub url: String,
    pub events: Vec<String>,
    /// The JQL an issue must match for issue and comment events.
    pub jql: Option<String>,
    pub enabled: bool,
    pub secret: Option<String>,
    pub exclude_body: bool,
    pub created: DateTime<Utc>,
    pub updated: DateTime<Utc>,
    pub creator: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Counters {
    pub issue: u64,
    pub comment: u64,
    pub worklog: u64,
    pub attachment: u64,
    pub link: u64,
    pub history: u64,
    pub board: u64,
    pub sprint: u64,
    pub project: u64,
    #[serde(default)]
    pub webhook: u64,
    #[serde(default)]
    pub remote_link: u64,
}

/// Where an issue sits in the index by project and last update.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IssueOrder {
    pub project_id: Arc<str>,
    pub updated: DateTime<Utc>,
    pub id_num: u64,
    pub id: Arc<str>,
}

impl IssueOrder {
    fn of(issue: &Issue) -> Self {
        Self {
            project_id: issue.project_id.as_str().into(),
            updated: issue.updated,
            id_num: issue.id_num(),
            id: issue.id.as_str().into(),
        }
    }
}

/// The issues of the site, keyed by id, with an index by project and last update
/// kept beside them. `search/jql`'s commonest shape (`project = X … ORDER BY updated
/// DESC`) walks that index and stops at the page, where a scan would read and sort
/// every issue of a 10,000-issue site. Both halves are persistent maps, so a fork
/// still copies nothing; only the records are serialized, and the index is rebuilt
/// on import. Writes go through `insert` and `remove`, so the index cannot drift.
#[derive(Debug, Clone, Default)]
pub struct IssueTable {
    /// Shared records and keys: a write copies the path of the B-tree it changes, and
    /// a leaf of whole issues, then of their id strings, was most of the cost of filing
    /// one.
    records: Collection<Arc<Issue>, Arc<str>>,
    by_project_updated: imbl::OrdSet<IssueOrder>,
    /// (parent id, child id): an issue's subtasks without reading the site.
    children: imbl::OrdSet<(Arc<str>, Arc<str>)>,
}

impl IssueTable {
    pub fn records(&self) -> &Collection<Arc<Issue>, Arc<str>> {
        &self.records
    }

    pub fn insert(&mut self, id: String, issue: impl Into<Arc<Issue>>) -> Option<Arc<Issue>> {
        let issue: Arc<Issue> = issue.into();
        let order = IssueOrder::of(&issue);
        let child = issue.parent.as_deref().map(|p| (Arc::from(p), order.id.clone()));
        let old = self.records.insert(Arc::from(id), issue);
        if let Some(before) = &old {
            self.unindex(before);
        }
        self.by_project_updated.insert(order);
        if let Some(c) = child {
            self.children.insert(c);
        }
        old
    }

    /// The issue, as the map would give it but without its shared pointer (so a
    /// caller that clones one to change it gets the issue, not the pointer).
    pub fn get(&self, id: &str) -> Option<&Issue> {
        self.records.get(id).map(|i| &**i)
    }

    pub fn values(&self) -> impl DoubleEndedIterator<Item = &Issue> + '_ {
        self.records.values().map(|i| &**i)
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = (&str, &Issue)> + '_ {
        self.records.iter().map(|(id, i)| (&**id, &**i))
    }

    pub fn remove(&mut self, id: &str) -> Option<Arc<Issue>> {
        let old = self.records.remove(id)?;
        self.unindex(&old);
        Some(old)
    }

    fn unindex(&mut self, issue: &Issue) {
        self.by_project_updated.remove(&IssueOrder::of(issue));
        if let Some(p) = &issue.parent {
            self.children.remove(&(Arc::from(p.as_str()), Arc::from(issue.id.as_str())));
        }
    }

    /// The ids of the issues whose parent is `parent_id`, in id order.
    pub fn children_of<'a>(&'a self, parent_id: &str) -> impl Iterator<Item = &'a str> + 'a {
        let parent: Arc<str> = parent_id.into();
        let low = (parent.clone(), Arc::from(""));
        let high = (parent, Arc::from(char::MAX.to_string()));
        self.children.range(low..=high).map(|(_, child)| &**child)
    }

    /// A project's issues from least to most recently updated (ties by id).
    pub fn in_project_by_updated(&self, project_id: &str) -> impl DoubleEndedIterator<Item = &IssueOrder> {
        let project_id: Arc<str> = project_id.into();
        let low = IssueOrder {
            project_id: project_id.clone(),
            updated: DateTime::<Utc>::MIN_UTC,
            id_num: 0,
            id: Arc::from(""),
        };
        let high = IssueOrder {
            project_id,
            updated: DateTime::<Utc>::MAX_UTC,
            id_num: u64::MAX,
            id: Arc::from(char::MAX.to_string()),
        };
        self.by_project_updated.range(low..=high)
    }
}

impl std::ops::Deref for IssueTable {
    type Target = imbl::OrdMap<Arc<str>, Arc<Issue>>;
    fn deref(&self) -> &Self::Target {
        &self.records
    }
}

impl Serialize for IssueTable {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.records.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for IssueTable {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let records = Collection::<Issue>::deserialize(deserializer)?;
        let mut table = Self::default();
        for (id, issue) in records.0 {
            table.insert(id, issue);
        }
        Ok(table)
    }
}

/// Changelog histories keyed by id, with an index by issue beside them: an issue's
/// history is read without the issue carrying a list of ids, which grew with every
/// change and was copied, diffed and journaled on each write to it. Persistent like
/// the records; only the records are serialized, the index is rebuilt on import.
#[derive(Debug, Clone, Default)]
pub struct HistoryTable {
    /// Shared, as the issues' records are: a transition adds one, and a leaf of whole
    /// histories (items and all) was copied with it.
    records: Collection<Arc<History>, Arc<str>>,
    /// (issue id, history number).
    by_issue: imbl::OrdSet<(IssueRef, u64)>,
}

/// An issue's id as the history index holds it: Jira's ids are numbers, kept and
/// compared as such, so copying an index node costs no reference counts (it was most
/// of recording a transition); any other id (an imported oddity) keeps its text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum IssueRef {
    Number(u64),
    Text(Arc<str>),
}

impl IssueRef {
    fn of(id: &str) -> Self {
        match id.parse::<u64>() {
            // "0010" stays text: it is not the id "10".
            Ok(n) if n.to_string() == id => IssueRef::Number(n),
            _ => IssueRef::Text(Arc::from(id)),
        }
    }
}

impl HistoryTable {
    pub fn records(&self) -> &Collection<Arc<History>, Arc<str>> {
        &self.records
    }

    fn number(id: &str) -> u64 {
        id.parse().unwrap_or(0)
    }

    pub fn insert(&mut self, id: String, history: History) -> Option<Arc<History>> {
        let entry = (IssueRef::of(&history.issue_id), Self::number(&id));
        let old = self.records.insert(Arc::from(id), Arc::new(history));
        if let Some(o) = &old {
            self.by_issue.remove(&(IssueRef::of(&o.issue_id), Self::number(&o.id)));
        }
        self.by_issue.insert(entry);
        old
    }

    pub fn remove(&mut self, id: &str) -> Option<Arc<History>> {
        let old = self.records.remove(id)?;
        self.by_issue.remove(&(IssueRef::of(&old.issue_id), Self::number(&old.id)));
        Some(old)
    }

    /// An issue's histories, oldest first.
    pub fn of_issue<'a>(&'a self, issue_id: &str) -> impl DoubleEndedIterator<Item = &'a History> + 'a {
        let issue = IssueRef::of(issue_id);
        self.by_issue
            .range((issue.clone(), 0)..=(issue, u64::MAX))
            .filter_map(|(_, n)| self.records.get(n.to_string().as_str()).map(|h| &**h))
    }
}

impl std::ops::Deref for HistoryTable {
    type Target = imbl::OrdMap<Arc<str>, Arc<History>>;
    fn deref(&self) -> &Self::Target {
        &self.records
    }
}

impl Serialize for HistoryTable {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.records.serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for HistoryTable {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let records = Collection::<History>::deserialize(deserializer)?;
        let mut table = Self::default();
        for (id, history) in records.0 {
            table.insert(id, history);
        }
        Ok(table)
    }
}

/// The whole site.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct JiraState {
    pub site_name: String,
    /// The account the manifest's credentials belong to.
    pub admin: String,
    /// Groups whose members administer the site (see every project).
    pub admin_groups: Vec<String>,
    pub counters: Counters,
    pub users: Collection<User>,
    pub groups: Collection<Group>,
    pub statuses: Collection<Status>,
    pub issue_types: Collection<IssueType>,
    pub priorities: Collection<Named>,
    pub resolutions: Collection<Named>,
    pub projects: Collection<Arc<Project>>,
    pub issues: IssueTable,
    /// Issue key (upper case) → issue id; keys of moved issues stay. Shared strings,
    /// so that filing an issue copies pointers along the path it writes.
    pub issue_keys: Collection<Arc<str>, Arc<str>>,
    pub comments: Collection<Comment>,
    pub worklogs: Collection<Worklog>,
    pub attachments: Collection<Attachment>,
    pub link_types: Collection<LinkType>,
    pub links: Collection<IssueLink>,
    pub histories: HistoryTable,
    pub boards: Collection<Board>,
    pub sprints: Collection<Sprint>,
    #[serde(default)]
    pub webhooks: Collection<Webhook>,
    #[serde(default)]
    pub remote_links: Collection<RemoteLink>,
}

impl Store for JiraState {
    const SERVICE: &'static str = "jira";

    fn collections(&self) -> Vec<(&'static str, &dyn AnyCollection)> {
        vec![
            ("users", &self.users),
            ("groups", &self.groups),
            ("statuses", &self.statuses),
            ("issue_types", &self.issue_types),
            ("priorities", &self.priorities),
            ("resolutions", &self.resolutions),
            ("projects", &self.projects),
            ("issues", self.issues.records()),
            ("issue_keys", &self.issue_keys),
            ("comments", &self.comments),
            ("worklogs", &self.worklogs),
            ("attachments", &self.attachments),
            ("link_types", &self.link_types),
            ("links", &self.links),
            ("histories", self.histories.records()),
            ("boards", &self.boards),
            ("sprints", &self.sprints),
            ("webhooks", &self.webhooks),
            ("remote_links", &self.remote_links),
        ]
    }
}

/// Numeric-id key for collections keyed by number (boards, sprints): zero-padded so
/// the map's order is numeric.
pub fn num_key(n: u64) -> String {
    format!("{n:012}")
}

impl JiraState {
    pub fn next(counter: &mut u64) -> u64 {
        *counter += 1;
        *counter
    }

    pub fn user(&self, account_id: &str) -> Option<&User> {
        self.users.get(account_id)
    }

    /// A user by accountId, email or display name (case-insensitive).
    pub fn find_user(&self, text: &str) -> Option<&User> {
        if let Some(u) = self.users.get(text) {
            return Some(u);
        }
        let lower = text.to_lowercase();
        self.users.values().find(|u| u.email.to_lowercase() == lower || u.display_name.to_lowercase() == lower)
    }

    pub fn is_admin(&self, user: &User) -> bool {
        user.groups.iter().any(|g| self.admin_groups.iter().any(|a| a.eq_ignore_ascii_case(g)))
    }

    pub fn can_browse(&self, user: &User, project: &Project) -> bool {
        project.browse_groups.is_empty()
            || self.is_admin(user)
            || user.groups.iter().any(|g| project.browse_groups.iter().any(|b| b.eq_ignore_ascii_case(g)))
    }

    /// A project by id or key (case-insensitive), or name.
    pub fn project(&self, id_or_key: &str) -> Option<&Project> {
        if let Some(p) = self.projects.get(id_or_key) {
            return Some(p);
        }
        self.projects.values().find(|p| p.key.eq_ignore_ascii_case(id_or_key)).map(|p| &**p)
    }

    pub fn project_by_name(&self, text: &str) -> Option<&Project> {
        self.project(text).or_else(|| self.projects.values().find(|p| p.name.eq_ignore_ascii_case(text)).map(|p| &**p))
    }

    /// An issue by id or key (case-insensitive; old keys of moved issues too).
    pub fn issue(&self, id_or_key: &str) -> Option<&Issue> {
        if let Some(i) = self.issues.get(id_or_key) {
            return Some(i);
        }
        let id = self.issue_keys.get(id_or_key.to_ascii_uppercase().as_str())?;
        self.issues.get(id)
    }

    pub fn status(&self, id: &str) -> Option<&Status> {
        self.statuses.get(id)
    }

    pub fn status_by_name(&self, text: &str) -> Option<&Status> {
        self.statuses.get(text).or_else(|| self.statuses.values().find(|s| s.name.eq_ignore_ascii_case(text)))
    }

    pub fn issue_type_by_name(&self, text: &str) -> Option<&IssueType> {
        self.issue_types.get(text).or_else(|| self.issue_types.values().find(|t| t.name.eq_ignore_ascii_case(text)))
    }

    pub fn priority_by_name(&self, text: &str) -> Option<&Named> {
        self.priorities.get(text).or_else(|| self.priorities.values().find(|t| t.name.eq_ignore_ascii_case(text)))
    }

    pub fn resolution_by_name(&self, text: &str) -> Option<&Named> {
        self.resolutions.get(text).or_else(|| self.resolutions.values().find(|t| t.name.eq_ignore_ascii_case(text)))
    }

    pub fn sprint(&self, id: u64) -> Option<&Sprint> {
        self.sprints.get(&num_key(id))
    }

    pub fn board(&self, id: u64) -> Option<&Board> {
        self.boards.get(&num_key(id))
    }

    /// The rank of a priority (Highest first), for ordering.
    pub fn priority_rank(&self, id: Option<&str>) -> usize {
        match id {
            None => usize::MAX,
            Some(id) => self.priorities.keys().position(|k| k == id).unwrap_or(usize::MAX - 1),
        }
    }

    /// Appends a changelog history to an issue when there are items.
    pub fn record_history(&mut self, issue_id: &str, author: &str, now: DateTime<Utc>, items: Vec<HistoryItem>) {
        if items.is_empty() {
            return;
        }
        let id = (10_000 + Self::next(&mut self.counters.history)).to_string();
        self.histories.insert(
            id.clone(),
            History { id: id.clone(), issue_id: issue_id.to_string(), author: author.to_string(), created: now, items },
        );
    }

    /// Removes an issue and everything that hangs off it (comments, worklogs,
    /// attachments, links, histories). The key stays taken.
    pub fn remove_issue(&mut self, issue_id: &str) {
        let Some(issue) = self.issues.remove(issue_id) else { return };
        for c in &issue.comments {
            self.comments.remove(c);
        }
        for w in &issue.worklogs {
            self.worklogs.remove(w);
        }
        for a in &issue.attachments {
            self.attachments.remove(a);
        }
        let histories: Vec<String> = self.histories.of_issue(&issue.id).map(|h| h.id.clone()).collect();
        for h in histories {
            self.histories.remove(&h);
        }
        let remote: Vec<String> =
            self.remote_links.iter().filter(|(_, r)| r.issue_id == issue.id).map(|(k, _)| k.clone()).collect();
        for k in remote {
            self.remote_links.remove(&k);
        }
        for l in &issue.links {
            if let Some(link) = self.links.remove(l) {
                let other = if link.inward == issue_id { link.outward } else { link.inward };
                if let Some(mut o) = self.issues.get(&other).cloned() {
                    o.links.retain(|x| x != l);
                    self.issues.insert(other, o);
                }
            }
        }
        self.issue_keys.remove(issue.key.to_ascii_uppercase().as_str());
    }
}

/// A history item for a plain field change.
pub fn item(field: &str, field_id: &str, from: Option<String>, to: Option<String>) -> HistoryItem {
    HistoryItem {
        field: field.to_string(),
        field_type: "jira".into(),
        field_id: field_id.to_string(),
        from: None,
        from_string: from,
        to: None,
        to_string: to,
    }
}

/// A history item whose values have ids (status, assignee, priority, …).
pub fn item_ids(
    field: &str,
    field_id: &str,
    from: Option<(String, String)>,
    to: Option<(String, String)>,
) -> HistoryItem {
    HistoryItem {
        field: field.to_string(),
        field_type: "jira".into(),
        field_id: field_id.to_string(),
        from: from.as_ref().map(|f| f.0.clone()),
        from_string: from.map(|f| f.1),
        to: to.as_ref().map(|t| t.0.clone()),
        to_string: to.map(|t| t.1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wf() -> Workflow {
        let t = |id: &str, name: &str, to: &str| Transition {
            id: id.into(),
            name: name.into(),
            to: to.into(),
            from: vec![],
            screen: false,
        };
        Workflow {
            name: "simple".into(),
            statuses: vec!["1".into(), "2".into(), "3".into()],
            initial: "1".into(),
            transitions: vec![t("11", "To Do", "1"), t("21", "In Progress", "2"), t("31", "Done", "3")],
        }
    }

    #[test]
    fn global_transitions_skip_the_current_status() {
        let w = wf();
        let ids: Vec<_> = w.from_status("1").map(|t| t.id.as_str()).collect();
        assert_eq!(ids, vec!["21", "31"]);
        let ids: Vec<_> = w.from_status("3").map(|t| t.id.as_str()).collect();
        assert_eq!(ids, vec!["11", "21"]);
    }

    #[test]
    fn numeric_keys_sort_numerically() {
        assert!(num_key(9) < num_key(10));
    }
    /// An issue's histories are its own, oldest first, whether its id is a number or
    /// not, and "0010" is not "10".
    #[test]
    fn histories_are_found_by_their_issue() {
        let mut table = HistoryTable::default();
        let history = |id: &str, issue: &str| History {
            id: id.into(),
            issue_id: issue.into(),
            author: "a".into(),
            created: Utc::now(),
            items: Vec::new(),
        };
        for (id, issue) in [("10002", "10"), ("10001", "10"), ("10003", "0010"), ("10004", "X-1"), ("10005", "11")] {
            table.insert(id.into(), history(id, issue));
        }
        let of = |t: &HistoryTable, issue: &str| t.of_issue(issue).map(|h| h.id.clone()).collect::<Vec<_>>();
        assert_eq!(of(&table, "10"), ["10001", "10002"]);
        assert_eq!(of(&table, "0010"), ["10003"]);
        assert_eq!(of(&table, "X-1"), ["10004"]);
        assert_eq!(of(&table, "11"), ["10005"]);
        table.remove("10001");
        assert_eq!(of(&table, "10"), ["10002"]);
    }
}
