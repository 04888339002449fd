//! Fixture → org state: every person becomes a user (`active`, `suspended`,
//! `deprovisioned` map to ACTIVE, SUSPENDED, DEPROVISIONED), every group an Okta
//! group (the fixture's `everyone` group is Okta's built-in Everyone group), and
//! the `okta:` section's apps become applications assigned to their groups.

use std::collections::HashMap;

use chrono::Duration;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use twin_core::fixture::PersonStatus;
use twin_core::{Fixture, FixtureError, Principal, SeedCtx};

use crate::api::apps::{build_app, AppInput};
use crate::ids::okta_id;
use crate::model::{AppGroup, Group, GroupType, Membership, OktaState, User, UserStatus};

/// The password every seeded user signs in with unless the fixture says otherwise.
pub const DEFAULT_PASSWORD: &str = "Tw1n-Passw0rd!";

/// The prefix of the seeded API token (Okta API tokens start with `00`).
pub const API_TOKEN_PREFIX: &str = "00";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    /// The person whose API token the manifest gives (default: the first active
    /// member of the `admins` group, else the first active person).
    #[serde(default)]
    admin: Option<String>,
    /// Every seeded user's password.
    #[serde(default)]
    password: Option<String>,
    /// Failed sign-ins before a user is locked out.
    #[serde(default)]
    max_attempts: Option<u32>,
    #[serde(default)]
    apps: Vec<AppFixture>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AppFixture {
    label: String,
    sign_on_mode: String,
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    redirect_uris: Vec<String>,
    #[serde(default)]
    grant_types: Vec<String>,
}

fn invalid(fixture: &Fixture, message: String) -> FixtureError {
    FixtureError::Service { fixture: fixture.name.clone(), service: "okta", message }
}

pub fn seed(fixture: &Fixture, ctx: &mut SeedCtx<'_>) -> Result<OktaState, FixtureError> {
    let section: Section = match fixture.section("okta") {
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| invalid(fixture, e.to_string()))?,
        None => Section::default(),
    };
    let now = ctx.now;
    let mut state = OktaState::new(&fixture.company.name, ctx.ids);
    let password = section.password.clone().unwrap_or_else(|| DEFAULT_PASSWORD.to_string());

    // Users: ids first, so managers can be referred to by id.
    let user_ids: HashMap<&str, String> =
        fixture.people.iter().map(|p| (p.key.as_str(), okta_id(ctx.ids, "00u"))).collect();
    let epoch = now - Duration::days(400);
    for (i, person) in fixture.people.iter().enumerate() {
        let Some(id) = user_ids.get(person.key.as_str()).cloned() else { continue };
        let created = epoch + Duration::minutes(i as i64);
        let status = match person.status {
            PersonStatus::Active => UserStatus::Active,
            PersonStatus::Suspended => UserStatus::Suspended,
            PersonStatus::Deprovisioned => UserStatus::Deprovisioned,
        };
        let changed = if status == UserStatus::Active { created } else { now - Duration::days(30) };
        let mut profile = Map::new();
        profile.insert("firstName".into(), json!(person.first_name));
        profile.insert("lastName".into(), json!(person.last_name));
        profile.insert("mobilePhone".into(), person.phone.as_ref().map_or(Value::Null, |p| json!(p)));
        profile.insert("secondEmail".into(), Value::Null);
        profile.insert("login".into(), json!(person.email));
        profile.insert("email".into(), json!(person.email));
        profile.insert("displayName".into(), json!(person.full_name()));
        if !person.title.is_empty() {
            profile.insert("title".into(), json!(person.title));
        }
        if !person.department.is_empty() {
            profile.insert("department".into(), json!(person.department));
        }
        profile.insert("timezone".into(), json!(person.timezone));
        profile.insert("organization".into(), json!(fixture.company.name));
        if let Some(m) = person.manager.as_deref().and_then(|k| fixture.person(k)) {
            profile.insert("manager".into(), json!(m.full_name()));
            profile.insert("managerId".into(), json!(user_ids.get(m.key.as_str())));
        }
        let user = User {
            id: id.clone(),
            status,
            created,
            activated: (status != UserStatus::Deprovisioned).then_some(created),
            status_changed: Some(changed),
            last_login: None,
            last_updated: changed,
            password_changed: Some(created),
            profile,
            password: Some(password.clone()),
            recovery_question: None,
            provider: "OKTA".into(),
            type_id: state.user_type_id.clone(),
            failed_logins: 0,
            rendered: Default::default(),
        };
        state.users.insert(id, user);
    }

    // Groups.
    let mut group_ids: HashMap<&str, String> = HashMap::new();
    let mut have_everyone = false;
    for (i, g) in fixture.groups.iter().enumerate() {
        let builtin = !have_everyone && (g.key == "everyone" || g.name.eq_ignore_ascii_case("everyone"));
        have_everyone |= builtin;
        let id = okta_id(ctx.ids, "00g");
        let created = epoch + Duration::minutes(i as i64);
        let mut profile = Map::new();
        profile.insert("name".into(), json!(if builtin { "Everyone" } else { g.name.as_str() }));
        profile.insert("description".into(), json!(g.description));
        state.groups.insert(
            id.clone(),
            Group {
                id: id.clone(),
                created,
                last_updated: created,
                last_membership_updated: created,
                kind: if builtin { GroupType::BuiltIn } else { GroupType::OktaGroup },
                profile,
            },
        );
        if !builtin {
            for member in &g.members {
                let uid = user_ids
                    .get(member.as_str())
                    .cloned()
                    .ok_or_else(|| invalid(fixture, format!("group '{}' names unknown person '{member}'", g.key)))?;
                state.memberships.insert(
                    format!("{id}:{uid}"),
                    Membership { group_id: id.clone(), user_id: uid, created, via_rule: None },
                );
            }
        }
        group_ids.insert(g.key.as_str(), id);
    }
    if !have_everyone {
        let id = okta_id(ctx.ids, "00g");
        let mut profile = Map::new();
        profile.insert("name".into(), json!("Everyone"));
        profile.insert("description".into(), json!("All users in your organization"));
        state.groups.insert(
            id.clone(),
            Group {
                id,
                created: epoch,
                last_updated: epoch,
                last_membership_updated: epoch,
                kind: GroupType::BuiltIn,
                profile,
            },
        );
    }

    // Applications.
    for (i, a) in section.apps.iter().enumerate() {
        let input = AppInput {
            label: a.label.clone(),
            sign_on_mode: a.sign_on_mode.clone(),
            url: a.url.clone(),
            redirect_uris: a.redirect_uris.clone(),
            grant_types: a.grant_types.clone(),
        };
        let created = epoch + Duration::hours(i as i64);
        let app =
            build_app(&input, ctx.ids, created).map_err(|e| invalid(fixture, format!("app '{}': {e}", a.label)))?;
        let app_id = app.id.clone();
        state.apps.insert(app_id.clone(), app);
        for (priority, key) in a.groups.iter().enumerate() {
            let gid = group_ids
                .get(key.as_str())
                .ok_or_else(|| invalid(fixture, format!("app '{}' names unknown group '{key}'", a.label)))?;
            state.app_groups.insert(
                format!("{app_id}:{gid}"),
                AppGroup {
                    app_id: app_id.clone(),
                    group_id: gid.clone(),
                    priority: priority as i64,
                    last_updated: created,
                    profile: json!({}),
                },
            );
        }
        for key in &a.users {
            let uid = user_ids
                .get(key.as_str())
                .ok_or_else(|| invalid(fixture, format!("app '{}' names unknown person '{key}'", a.label)))?;
            let login = state.users.get(uid).map(|u| u.login().to_string()).unwrap_or_default();
            state.app_users.insert(
                format!("{app_id}:{uid}"),
                crate::model::AppUser {
                    app_id: app_id.clone(),
                    user_id: uid.clone(),
                    created,
                    last_updated: created,
                    credentials: json!({"userName": login}),
                    profile: json!({}),
                },
            );
        }
    }

    // The policies and zones a new org has (after the groups: they name Everyone).
    // Their ids come from a generator of their own, derived from the org's id, so
    // adding them shifts no id the universe's generator hands out afterwards.
    let mut own_ids = twin_core::ids::IdGen::new(
        state.org_id.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)),
    );
    let max_attempts = section.max_attempts.map_or(10, |n| n.max(1));
    crate::policy::seed_defaults(&mut state, &mut own_ids, epoch, max_attempts);
    crate::security::seed_zones(&mut state, &mut own_ids, epoch);
    crate::authenticators::seed(&mut state, &mut own_ids, epoch);

    // The admin whose API token the manifest gives.
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
    state.admin_user_id = admin_key.and_then(|k| user_ids.get(k.as_str()).cloned()).unwrap_or_default();
    let token = ctx.mint(
        API_TOKEN_PREFIX,
        Principal { service: "okta".into(), kind: "api_token".into(), subject: state.admin_user_id.clone() },
    );
    crate::api::authservers::seed_default_server(&mut state, ctx.ids, now);
    // The token's user is a super admin: the token acts with that user's roles.
    if !state.admin_user_id.is_empty() {
        // Its ids come from a generator of their own, so seeding roles leaves the ids the
        // universe's shared generator hands the other twins as they were.
        let mut own = twin_core::ids::IdGen::new(twin_core::ids::seed_from_str(&state.admin_user_id));
        crate::api::roles::seed_admin(&mut state, &mut own, &token, now);
    }
    Ok(state)
}
