//! Fixture → site state. Every person gets an Atlassian account and an API token;
//! every group a Jira group. The `jira:` section gives projects (with the groups that
//! may browse them), issues with comments, links, boards and sprints. Without a
//! section (the generated large fixture) three projects get one issue per person.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use serde_json::json;
use twin_core::fixture::PersonStatus;
use twin_core::ids::IdGen;
use twin_core::{Fixture, FixtureError, Principal, SeedCtx};

use crate::adf;
use crate::model::*;

/// Atlassian API tokens start with `ATATT`.
pub const API_TOKEN_PREFIX: &str = "ATATT";
/// The most people who get an API token of their own (see the seed).
pub const PER_PERSON_TOKENS_MAX: usize = 200;
/// The bearer (OAuth 2.0 access) token the manifest gives.
pub const BEARER_PREFIX: &str = "ATOAT";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    #[serde(default)]
    admin: Option<String>,
    /// Group keys whose members administer the site (default: `admins`).
    #[serde(default)]
    admin_groups: Option<Vec<String>>,
    #[serde(default)]
    projects: Vec<ProjectFx>,
    #[serde(default)]
    issues: Vec<IssueFx>,
    #[serde(default)]
    links: Vec<LinkFx>,
    #[serde(default)]
    boards: Vec<BoardFx>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectFx {
    key: String,
    name: String,
    lead: String,
    #[serde(default)]
    description: String,
    /// Group keys whose members may browse it; empty: everyone.
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    components: Vec<String>,
    /// `simplified` (default: To Do, In Progress, Done) or `classic` (Open, In Progress,
    /// Resolved, Reopened, Closed with named transitions).
    #[serde(default)]
    workflow: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentFx {
    from: String,
    text: String,
    #[serde(default)]
    ago: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct IssueFx {
    project: String,
    #[serde(default = "default_type")]
    r#type: String,
    summary: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    priority: Option<String>,
    #[serde(default)]
    assignee: Option<String>,
    reporter: String,
    #[serde(default)]
    labels: Vec<String>,
    #[serde(default)]
    components: Vec<String>,
    #[serde(default)]
    ago: Option<String>,
    #[serde(default)]
    due: Option<String>,
    #[serde(default)]
    parent: Option<String>,
    #[serde(default)]
    story_points: Option<f64>,
    /// Sprint names.
    #[serde(default)]
    sprints: Vec<String>,
    #[serde(default)]
    watchers: Vec<String>,
    #[serde(default)]
    comments: Vec<CommentFx>,
}

fn default_type() -> String {
    "Task".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkFx {
    r#type: String,
    /// The issue on the outward side ("ENG-1 blocks ENG-2": outward ENG-1).
    from: String,
    to: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BoardFx {
    name: String,
    project: String,
    #[serde(default = "default_board_type")]
    r#type: String,
    #[serde(default)]
    sprints: Vec<SprintFx>,
}

fn default_board_type() -> String {
    "scrum".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SprintFx {
    name: String,
    state: SprintState,
    #[serde(default)]
    goal: String,
    /// How long ago it started (closed and active sprints).
    #[serde(default)]
    started: Option<String>,
    #[serde(default = "default_sprint_days")]
    days: i64,
}

fn default_sprint_days() -> i64 {
    14
}

fn invalid(fixture: &Fixture, message: String) -> FixtureError {
    FixtureError::Service { fixture: fixture.name.clone(), service: "jira", message }
}

/// `3d`, `2h`, `1w`, `30m` → a duration.
pub fn parse_ago(text: &str) -> Option<Duration> {
    let t = text.trim();
    let (n, unit) = t.split_at(t.find(|c: char| !c.is_ascii_digit())?);
    let n: i64 = n.parse().ok()?;
    match unit {
        "m" => Some(Duration::minutes(n)),
        "h" => Some(Duration::hours(n)),
        "d" => Some(Duration::days(n)),
        "w" => Some(Duration::weeks(n)),
        _ => None,
    }
}

/// An accountId in Atlassian's current form, `712020:` and a UUID.
pub fn account_id(ids: &mut IdGen) -> String {
    let h = ids.hex(32);
    format!("712020:{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
}

fn status(id: &str, name: &str, description: &str, category: u8) -> Status {
    Status { id: id.into(), name: name.into(), description: description.into(), category }
}

fn named(id: &str, name: &str, description: &str, color: &str) -> Named {
    Named { id: id.into(), name: name.into(), description: description.into(), color: color.into() }
}

/// The simplified workflow of a new Cloud software project: To Do → In Progress →
/// Done, with global transitions named after their targets.
pub fn default_workflow() -> Workflow {
    let t = |id: &str, name: &str, to: &str, screen: bool| Transition {
        id: id.into(),
        name: name.into(),
        to: to.into(),
        from: vec![],
        screen,
    };
    Workflow {
        name: "Software Simplified Workflow".into(),
        statuses: vec!["10000".into(), "10001".into(), "10002".into()],
        initial: "10000".into(),
        transitions: vec![
            t("11", "To Do", "10000", false),
            t("21", "In Progress", "10001", false),
            t("31", "Done", "10002", true),
        ],
    }
}

/// The classic Jira workflow: Open → In Progress → Resolved → Closed, with Reopened, and
/// transitions named for what they do ("Start Progress", "Resolve Issue", …).
pub fn classic_workflow() -> Workflow {
    let t = |id: &str, name: &str, to: &str, from: &[&str], screen: bool| Transition {
        id: id.into(),
        name: name.into(),
        to: to.into(),
        from: from.iter().map(|s| s.to_string()).collect(),
        screen,
    };
    let (open, progress, resolved, reopened, closed) = ("10003", "10001", "10005", "10004", "10006");
    Workflow {
        name: "classic default workflow".into(),
        statuses: vec![open.into(), progress.into(), resolved.into(), reopened.into(), closed.into()],
        initial: open.into(),
        transitions: vec![
            t("4", "Start Progress", progress, &[open, reopened], false),
            t("301", "Stop Progress", open, &[progress], false),
            t("5", "Resolve Issue", resolved, &[open, progress, reopened], true),
            t("2", "Close Issue", closed, &[open, progress, reopened, resolved], true),
            t("3", "Reopen Issue", reopened, &[resolved, closed], false),
        ],
    }
}

/// The statuses of the classic workflow, added when a project uses it.
fn classic_statuses(state: &mut JiraState) {
    for s in [
        status("10003", "Open", "The issue is open and ready for the assignee to start work on it.", CAT_NEW),
        status("10004", "Reopened", "This issue was once resolved, but the resolution was deemed incorrect.", CAT_NEW),
        status(
            "10005",
            "Resolved",
            "A resolution has been taken, and it is awaiting verification by reporter.",
            CAT_DONE,
        ),
        status("10006", "Closed", "The issue is considered finished, the resolution is correct.", CAT_DONE),
    ] {
        state.statuses.insert(s.id.clone(), s);
    }
}

/// The catalogue every site starts with: statuses, issue types, priorities,
/// resolutions, link types.
fn catalogue(state: &mut JiraState) {
    for s in [
        status("10000", "To Do", "", CAT_NEW),
        status(
            "10001",
            "In Progress",
            "This issue is being actively worked on at the moment by the assignee.",
            CAT_IN_PROGRESS,
        ),
        status("10002", "Done", "", CAT_DONE),
    ] {
        state.statuses.insert(s.id.clone(), s);
    }
    for (id, name, description, subtask, level) in [
        ("10001", "Task", "A small, distinct piece of work.", false, 0),
        ("10002", "Bug", "A problem or error.", false, 0),
        ("10003", "Story", "Functionality or a feature expressed as a user goal.", false, 0),
        ("10004", "Epic", "A collection of related bugs, stories, and tasks.", false, 1),
        ("10005", "Subtask", "Subtasks track small pieces of work that are part of a larger task.", true, -1),
    ] {
        state.issue_types.insert(
            id.into(),
            IssueType {
                id: id.into(),
                name: name.into(),
                description: description.into(),
                subtask,
                hierarchy_level: level,
            },
        );
    }
    for p in [
        named("1", "Highest", "This problem will block progress.", "#d04437"),
        named("2", "High", "Serious problem that could block progress.", "#f15C75"),
        named("3", "Medium", "Has the potential to affect progress.", "#f79232"),
        named("4", "Low", "Minor problem or easily worked around.", "#707070"),
        named("5", "Lowest", "Trivial problem with little or no impact on progress.", "#999999"),
    ] {
        state.priorities.insert(p.id.clone(), p);
    }
    for r in [
        named("10000", "Done", "Work has been completed on this issue.", ""),
        named("10001", "Won't Do", "This issue won't be actioned.", ""),
        named("10002", "Duplicate", "The problem is a duplicate of an existing issue.", ""),
        named("10003", "Cannot Reproduce", "All attempts at reproducing this issue failed.", ""),
    ] {
        state.resolutions.insert(r.id.clone(), r);
    }
    for (id, name, inward, outward) in [
        ("10000", "Blocks", "is blocked by", "blocks"),
        ("10001", "Cloners", "is cloned by", "clones"),
        ("10002", "Duplicate", "is duplicated by", "duplicates"),
        ("10003", "Relates", "relates to", "relates to"),
    ] {
        state.link_types.insert(
            id.into(),
            LinkType { id: id.into(), name: name.into(), inward: inward.into(), outward: outward.into() },
        );
    }
}

/// Adds a project with the default workflow and every standard issue type.
pub fn add_project(
    state: &mut JiraState,
    key: &str,
    name: &str,
    lead: &str,
    description: &str,
    browse_groups: Vec<String>,
    components: Vec<String>,
) -> String {
    let id = (10_000 + JiraState::next(&mut state.counters.project) - 1).to_string();
    state.projects.insert(
        id.clone(),
        Arc::new(Project {
            id: id.clone(),
            key: key.to_string(),
            name: name.to_string(),
            description: description.to_string(),
            lead: lead.to_string(),
            type_key: "software".into(),
            issue_types: state.issue_types.keys().cloned().collect(),
            workflow: default_workflow(),
            counter: 0,
            browse_groups,
            components,
            assignee_type: "UNASSIGNED".into(),
        }),
    );
    id
}

/// A new issue's record, with its key taken from the project's counter.
pub struct NewIssue<'a> {
    pub project_id: &'a str,
    pub issue_type: &'a str,
    pub summary: String,
    pub reporter: Option<String>,
    pub creator: &'a str,
    pub now: DateTime<Utc>,
}

/// Creates an issue in its project's initial status; returns its id.
pub fn insert_issue(state: &mut JiraState, new: NewIssue<'_>) -> Option<String> {
    // Shared with the state before this write: only this project is copied.
    let mut project = state.projects.get(new.project_id)?.clone();
    Arc::make_mut(&mut project).counter += 1;
    let key = format!("{}-{}", project.key, project.counter);
    let id = (10_000 + JiraState::next(&mut state.counters.issue) - 1).to_string();
    let mut watchers = Vec::new();
    if let Some(r) = &new.reporter {
        watchers.push(r.clone());
    }
    let issue = Issue {
        id: id.clone(),
        key: key.clone(),
        project_id: project.id.clone(),
        issue_type: new.issue_type.to_string(),
        summary: new.summary,
        description: None,
        environment: None,
        status: project.workflow.initial.clone(),
        priority: Some("3".into()),
        resolution: None,
        resolution_date: None,
        assignee: None,
        reporter: new.reporter,
        creator: new.creator.to_string(),
        labels: vec![],
        components: vec![],
        duedate: None,
        parent: None,
        created: new.now,
        updated: new.now,
        status_changed: new.now,
        comments: vec![],
        worklogs: vec![],
        attachments: vec![],
        links: vec![],
        watchers,
        sprints: vec![],
        original_estimate: None,
        remaining_estimate: None,
        custom: Default::default(),
        properties: Default::default(),
        voters: vec![],
    };
    state.projects.insert(project.id.clone(), project);
    state.issues.insert(id.clone(), issue);
    state.issue_keys.insert(key.into(), id.as_str().into());
    Some(id)
}

pub fn seed(fixture: &Fixture, ctx: &mut SeedCtx<'_>) -> Result<JiraState, FixtureError> {
    let section: Section = match fixture.section("jira") {
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| invalid(fixture, e.to_string()))?,
        None => Section::default(),
    };
    let now = ctx.now;
    let mut state = JiraState { site_name: fixture.company.name.clone(), ..Default::default() };
    catalogue(&mut state);

    // Groups and users.
    let group_names: HashMap<&str, &str> = fixture.groups.iter().map(|g| (g.key.as_str(), g.name.as_str())).collect();
    for g in &fixture.groups {
        let group_id = {
            let h = ctx.ids.hex(32);
            format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
        };
        state.groups.insert(g.name.clone(), Group { name: g.name.clone(), group_id });
    }
    let mut memberships: HashMap<&str, Vec<String>> = HashMap::new();
    for g in &fixture.groups {
        for m in &g.members {
            memberships.entry(m.as_str()).or_default().push(g.name.clone());
        }
    }
    let mut account: HashMap<&str, String> = HashMap::new();
    for p in &fixture.people {
        let id = account_id(ctx.ids);
        account.insert(p.key.as_str(), id.clone());
        state.users.insert(
            id.clone(),
            User {
                account_id: id,
                email: p.email.clone(),
                display_name: p.full_name(),
                active: p.status == PersonStatus::Active,
                time_zone: p.timezone.clone(),
                groups: memberships.remove(p.key.as_str()).unwrap_or_default(),
            },
        );
    }
    let person = |key: &str| -> Result<String, FixtureError> {
        account.get(key).cloned().ok_or_else(|| invalid(fixture, format!("unknown person '{key}'")))
    };
    let group = |key: &str| -> Result<String, FixtureError> {
        group_names.get(key).map(|n| n.to_string()).ok_or_else(|| invalid(fixture, format!("unknown group '{key}'")))
    };
    state.admin_groups = match &section.admin_groups {
        Some(keys) => keys.iter().map(|k| group(k)).collect::<Result<_, _>>()?,
        None => group_names.get("admins").map(|n| vec![n.to_string()]).unwrap_or_default(),
    };

    // The manifest's account: the fixture's admin, else the first active admin.
    let active = |key: &str| fixture.person(key).is_some_and(|p| p.status == PersonStatus::Active);
    let admin_key = match section.admin.as_deref() {
        Some(k) if fixture.person(k).is_some() => Some(k.to_string()),
        Some(k) => return Err(invalid(fixture, format!("admin '{k}' is not a person of this fixture"))),
        None => fixture
            .groups
            .iter()
            .find(|g| g.key == "admins")
            .and_then(|g| g.members.iter().find(|m| active(m)).cloned())
            .or_else(|| fixture.people.iter().find(|p| p.status == PersonStatus::Active).map(|p| p.key.clone())),
    };
    state.admin = admin_key.as_deref().and_then(|k| account.get(k).cloned()).unwrap_or_default();

    // Credentials: the admin's first (the manifest names the first), then everyone's.
    let principal = |kind: &str, subject: &str| Principal {
        service: "jira".into(),
        kind: kind.into(),
        subject: subject.to_string(),
    };
    if !state.admin.is_empty() {
        ctx.mint(API_TOKEN_PREFIX, principal("api_token", &state.admin));
        ctx.mint(BEARER_PREFIX, principal("bearer", &state.admin));
    }
    // A fork mints a fresh copy of every credential, so per-person tokens would make
    // forking a large site cost O(people): past PER_PERSON_TOKENS_MAX people only the
    // admin has a token (it sees every project), as the Google twin does.
    let per_person = if fixture.people.len() <= PER_PERSON_TOKENS_MAX { fixture.people.as_slice() } else { &[] };
    for p in per_person {
        if let Some(id) = account.get(p.key.as_str()) {
            if *id != state.admin {
                ctx.mint(API_TOKEN_PREFIX, principal("api_token", id));
            }
        }
    }

    if section.projects.is_empty() {
        generated(fixture, &mut state, &account, now);
        return Ok(state);
    }

    // Projects.
    for p in &section.projects {
        let lead = person(&p.lead)?;
        let groups = p.groups.iter().map(|g| group(g)).collect::<Result<Vec<_>, _>>()?;
        if state.project(&p.key).is_some() {
            return Err(invalid(fixture, format!("project key '{}' appears twice", p.key)));
        }
        let id = add_project(&mut state, &p.key, &p.name, &lead, &p.description, groups, p.components.clone());
        match p.workflow.as_deref() {
            None | Some("simplified") => {}
            Some("classic") => {
                classic_statuses(&mut state);
                if let Some(mut project) = state.projects.get(&id).cloned() {
                    Arc::make_mut(&mut project).workflow = classic_workflow();
                    state.projects.insert(id, project);
                }
            }
            Some(other) => {
                return Err(invalid(
                    fixture,
                    format!("project '{}': unknown workflow '{other}' (simplified or classic)", p.key),
                ))
            }
        }
    }

    // Boards and sprints first, so issues can name their sprints.
    let mut sprint_ids: HashMap<String, u64> = HashMap::new();
    for b in &section.boards {
        let project = state
            .project(&b.project)
            .map(|p| p.id.clone())
            .ok_or_else(|| invalid(fixture, format!("board '{}' names unknown project '{}'", b.name, b.project)))?;
        let board_id = JiraState::next(&mut state.counters.board);
        state.boards.insert(
            num_key(board_id),
            Board { id: board_id, name: b.name.clone(), kind: b.r#type.clone(), project_id: project },
        );
        for s in &b.sprints {
            let id = JiraState::next(&mut state.counters.sprint);
            let started = s.started.as_deref().and_then(parse_ago).map(|d| now - d);
            let (start, end, complete) = match s.state {
                SprintState::Future => (None, None, None),
                SprintState::Active => {
                    let st = started.unwrap_or(now - Duration::days(3));
                    (Some(st), Some(st + Duration::days(s.days)), None)
                }
                SprintState::Closed => {
                    let st = started.unwrap_or(now - Duration::days(s.days * 2));
                    (Some(st), Some(st + Duration::days(s.days)), Some(st + Duration::days(s.days)))
                }
            };
            sprint_ids.insert(s.name.clone(), id);
            state.sprints.insert(
                num_key(id),
                Sprint {
                    id,
                    name: s.name.clone(),
                    state: s.state,
                    board_id,
                    goal: s.goal.clone(),
                    start,
                    end,
                    complete,
                    created: start.unwrap_or(now) - Duration::days(1),
                },
            );
        }
    }

    // Issues, in order, so keys are predictable (ENG-1, ENG-2, …).
    for (n, f) in section.issues.iter().enumerate() {
        let project = state
            .project(&f.project)
            .map(|p| p.id.clone())
            .ok_or_else(|| invalid(fixture, format!("issue '{}' names unknown project '{}'", f.summary, f.project)))?;
        let issue_type = state
            .issue_type_by_name(&f.r#type)
            .map(|t| t.id.clone())
            .ok_or_else(|| invalid(fixture, format!("issue '{}': unknown type '{}'", f.summary, f.r#type)))?;
        let reporter = person(&f.reporter)?;
        let created = now - f.ago.as_deref().and_then(parse_ago).unwrap_or_else(|| Duration::days(30))
            + Duration::seconds(n as i64);
        let id = insert_issue(
            &mut state,
            NewIssue {
                project_id: &project,
                issue_type: &issue_type,
                summary: f.summary.clone(),
                reporter: Some(reporter.clone()),
                creator: &reporter,
                now: created,
            },
        )
        .ok_or_else(|| invalid(fixture, "project vanished".into()))?;
        let Some(mut issue) = state.issues.get(&id).cloned() else { continue };
        issue.description = f.description.as_deref().map(adf::from_wiki);
        if let Some(s) = &f.status {
            let st = state
                .status_by_name(s)
                .cloned()
                .ok_or_else(|| invalid(fixture, format!("issue '{}': unknown status '{s}'", f.summary)))?;
            issue.status = st.id.clone();
            if st.category == CAT_DONE {
                issue.resolution = Some("10000".into());
                issue.resolution_date = Some(created + Duration::days(1));
            }
            issue.status_changed = created + Duration::hours(1);
        }
        if let Some(p) = &f.priority {
            issue.priority = Some(
                state
                    .priority_by_name(p)
                    .map(|x| x.id.clone())
                    .ok_or_else(|| invalid(fixture, format!("issue '{}': unknown priority '{p}'", f.summary)))?,
            );
        }
        if let Some(a) = &f.assignee {
            issue.assignee = Some(person(a)?);
        }
        issue.labels = f.labels.clone();
        issue.components = f.components.clone();
        issue.duedate = f.due.clone();
        if let Some(parent) = &f.parent {
            issue.parent = Some(
                state
                    .issue(parent)
                    .map(|p| p.id.clone())
                    .ok_or_else(|| invalid(fixture, format!("issue '{}': unknown parent '{parent}'", f.summary)))?,
            );
        }
        if let Some(sp) = f.story_points {
            issue.custom.insert(STORY_POINTS_FIELD.into(), json!(sp));
        }
        for s in &f.sprints {
            issue.sprints.push(
                *sprint_ids
                    .get(s)
                    .ok_or_else(|| invalid(fixture, format!("issue '{}': unknown sprint '{s}'", f.summary)))?,
            );
        }
        for w in &f.watchers {
            let w = person(w)?;
            if !issue.watchers.contains(&w) {
                issue.watchers.push(w);
            }
        }
        let mut last = issue.status_changed;
        for c in &f.comments {
            let author = person(&c.from)?;
            let at = c.ago.as_deref().and_then(parse_ago).map_or(created + Duration::hours(2), |d| now - d);
            last = last.max(at);
            let cid = (10_000 + JiraState::next(&mut state.counters.comment) - 1).to_string();
            state.comments.insert(
                cid.clone(),
                Comment {
                    id: cid.clone(),
                    issue_id: id.clone(),
                    author: author.clone(),
                    update_author: author,
                    body: adf::from_wiki(&c.text),
                    created: at,
                    updated: at,
                    visibility: None,
                },
            );
            issue.comments.push(cid);
        }
        issue.updated = last.max(issue.created);
        let status_name = state.status(&issue.status).map(|s| s.name.clone());
        let initial_id = state.projects.get(&project).map(|p| p.workflow.initial.clone()).unwrap_or_default();
        let moved = issue.status != initial_id;
        state.issues.insert(id.clone(), issue.clone());
        if moved {
            let initial = state.status(&initial_id).map(|s| s.name.clone());
            state.record_history(
                &id,
                &reporter,
                issue.status_changed,
                vec![item_ids(
                    "status",
                    "status",
                    initial.map(|n| (initial_id.clone(), n)),
                    status_name.map(|n| (issue.status.clone(), n)),
                )],
            );
        }
    }

    // Links.
    for l in &section.links {
        let type_id = state
            .link_types
            .values()
            .find(|t| t.name.eq_ignore_ascii_case(&l.r#type))
            .map(|t| t.id.clone())
            .ok_or_else(|| invalid(fixture, format!("unknown link type '{}'", l.r#type)))?;
        let outward = state.issue(&l.from).map(|i| i.id.clone());
        let inward = state.issue(&l.to).map(|i| i.id.clone());
        let (Some(outward), Some(inward)) = (outward, inward) else {
            return Err(invalid(fixture, format!("link {} → {} names an unknown issue", l.from, l.to)));
        };
        add_link(&mut state, &type_id, &inward, &outward);
    }
    Ok(state)
}

/// Links two issues (`outward` is the source: "outward blocks inward").
pub fn add_link(state: &mut JiraState, type_id: &str, inward: &str, outward: &str) -> String {
    let id = (10_000 + JiraState::next(&mut state.counters.link) - 1).to_string();
    state.links.insert(
        id.clone(),
        IssueLink { id: id.clone(), type_id: type_id.into(), inward: inward.into(), outward: outward.into() },
    );
    for side in [inward, outward] {
        if let Some(mut i) = state.issues.get(side).cloned() {
            if !i.links.contains(&id) {
                i.links.push(id.clone());
            }
            state.issues.insert(side.to_string(), i);
        }
    }
    id
}

/// Projects and issues for a fixture without a `jira:` section: ENG, OPS and HR,
/// a board with an active sprint, and one issue reported by each person.
fn generated(fixture: &Fixture, state: &mut JiraState, account: &HashMap<&str, String>, now: DateTime<Utc>) {
    let Some(first) = fixture.people.first().and_then(|p| account.get(p.key.as_str())).cloned() else { return };
    let projects = [("ENG", "Engineering"), ("OPS", "Operations"), ("HR", "People")];
    let ids: Vec<String> =
        projects.iter().map(|(k, n)| add_project(state, k, n, &first, &format!("{n} work"), vec![], vec![])).collect();
    let board = JiraState::next(&mut state.counters.board);
    state.boards.insert(
        num_key(board),
        Board { id: board, name: "ENG board".into(), kind: "scrum".into(), project_id: ids[0].clone() },
    );
    let sprint = JiraState::next(&mut state.counters.sprint);
    state.sprints.insert(
        num_key(sprint),
        Sprint {
            id: sprint,
            name: "ENG Sprint 1".into(),
            state: SprintState::Active,
            board_id: board,
            goal: String::new(),
            start: Some(now - Duration::days(3)),
            end: Some(now + Duration::days(11)),
            complete: None,
            created: now - Duration::days(4),
        },
    );
    let statuses = ["10000", "10001", "10002"];
    for (i, p) in fixture.people.iter().enumerate() {
        let Some(reporter) = account.get(p.key.as_str()).cloned() else { continue };
        let project = &ids[i % ids.len()];
        let created = now - Duration::minutes((fixture.people.len() - i) as i64);
        let Some(id) = insert_issue(
            state,
            NewIssue {
                project_id: project,
                issue_type: if i % 4 == 0 { "10002" } else { "10001" },
                summary: format!("{} request from {}", p.department, p.full_name()),
                reporter: Some(reporter.clone()),
                creator: &reporter,
                now: created,
            },
        ) else {
            continue;
        };
        if let Some(mut issue) = state.issues.get(&id).cloned() {
            issue.status = statuses[i % 3].to_string();
            if i % 3 == 2 {
                issue.resolution = Some("10000".into());
                issue.resolution_date = Some(created);
            }
            issue.assignee = Some(reporter);
            issue.priority = Some(((i % 5) + 1).to_string());
            if i % ids.len() == 0 && i % 2 == 0 {
                issue.sprints.push(sprint);
            }
            state.issues.insert(id, issue);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ago_durations() {
        assert_eq!(parse_ago("3d"), Some(Duration::days(3)));
        assert_eq!(parse_ago("2w"), Some(Duration::weeks(2)));
        assert_eq!(parse_ago("x"), None);
        assert_eq!(parse_ago("5y"), None);
    }

    #[test]
    fn account_ids_look_like_atlassians() {
        let mut ids = IdGen::new(7);
        let id = account_id(&mut ids);
        assert!(id.starts_with("712020:") && id.len() == 7 + 36, "{id}");
    }
}
