//! Fixture → domain: every person is a user with a My Drive (root folder), an access
//! token and a refresh token; every group a Google group (`{key}@{domain}`, the same
//! members as in Okta); the service account; and the `google:` section's folders,
//! files, shares and shared drives (`department_drives: true` gives each department
//! one, its members writers and its manager an organizer).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, Utc};
use serde::Deserialize;
use twin_core::fixture::PersonStatus;
use twin_core::ids::IdGen;
use twin_core::store::Collection;
use twin_core::{Fixture, FixtureError, Principal, SeedCtx};

use crate::drive::model::{
    Blob, Content, DriveState, EditorContent, File, Grantee, Md5, Permission, Revision, Role, SharedDrive, DOCUMENT,
    FOLDER, SPREADSHEET,
};
use crate::ids;
use crate::model::{GoogleState, Group, OAuthClient, RefreshToken, ServiceAccount, User, DEFAULT_STORAGE_CAP};

pub const TOKEN_PREFIX: &str = "ya29.";

/// Up to this many people, each gets a seeded access token (the manifest's
/// `access_tokens`); beyond it, only the admin does.
pub const PER_PERSON_TOKENS_MAX: usize = 200;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    /// Whose token is the manifest's `access_token` (default: the first active admin, else the first active person).
    #[serde(default)]
    admin: Option<String>,
    #[serde(default)]
    storage_cap_bytes: Option<u64>,
    #[serde(default)]
    department_drives: bool,
    #[serde(default)]
    shared_drives: Vec<DriveFixture>,
    #[serde(default)]
    files: Vec<FileFixture>,
    /// Scale tests: this many small text files in each active person's My Drive
    /// (a `Generated` folder; every fifth file readable and findable by the domain).
    #[serde(default)]
    generated_files_per_person: usize,
}

/// The most generated files a fixture may ask for.
pub const MAX_GENERATED_FILES: usize = 1_000_000;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DriveFixture {
    name: String,
    #[serde(default)]
    members: Vec<ShareFixture>,
    #[serde(default)]
    files: Vec<FileFixture>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileFixture {
    /// The owner's person key (ignored in shared drives).
    #[serde(default)]
    owner: Option<String>,
    /// `Folder/Sub/name.ext`; a trailing `/` makes a folder. Missing folders are created.
    path: String,
    #[serde(default)]
    content: Option<String>,
    /// A MIME type, or `document` / `spreadsheet` for Google editor files.
    #[serde(default)]
    mime_type: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    starred: bool,
    #[serde(default)]
    share: Vec<ShareFixture>,
    #[serde(default)]
    properties: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ShareFixture {
    #[serde(default)]
    person: Option<String>,
    #[serde(default)]
    group: Option<String>,
    #[serde(default)]
    domain: bool,
    #[serde(default)]
    anyone: bool,
    role: String,
    #[serde(default)]
    discoverable: bool,
}

fn invalid(fixture: &Fixture, message: String) -> FixtureError {
    FixtureError::Service { fixture: fixture.name.clone(), service: "google", message }
}

pub fn service_account_email(domain: &str) -> String {
    let project = domain.split('.').next().unwrap_or("dtu");
    format!("dtu-drive@{project}-dtu.iam.gserviceaccount.com")
}

/// A domain with no people, for tests.
pub fn empty_state(domain: &str, company: &str) -> GoogleState {
    let project = domain.split('.').next().unwrap_or("dtu");
    GoogleState {
        domain: domain.to_string(),
        company: company.to_string(),
        admin: String::new(),
        users: Collection::default(),
        groups: Collection::default(),
        refresh_tokens: Collection::default(),
        grants: Collection::default(),
        client: OAuthClient {
            client_id: "407408718192-dtu.apps.googleusercontent.com".into(),
            client_secret: "GOCSPX-dtu-twin-client-secret".into(),
        },
        service_account: ServiceAccount {
            email: service_account_email(domain),
            client_id: "104226190573416790522".into(),
            project_id: format!("{project}-dtu"),
        },
        storage_cap: DEFAULT_STORAGE_CAP,
        drive: DriveState::default(),
    }
}

fn root_folder(id: &str, owner: &str, at: DateTime<Utc>) -> File {
    File {
        id: id.to_string(),
        name: "My Drive".into(),
        mime_type: FOLDER.into(),
        description: None,
        parents: vec![],
        owner: Some(owner.to_string()),
        drive_id: None,
        starred: false,
        trashed: false,
        explicitly_trashed: false,
        trashed_time: None,
        trashing_user: None,
        properties: BTreeMap::new(),
        app_properties: BTreeMap::new(),
        created_time: at,
        modified_time: at,
        version: 1,
        last_modifying_user: Some(owner.to_string()),
        permissions: vec![],
        content: Content::None,
        revisions: vec![],
        original_filename: None,
        writers_can_share: true,
        copy_requires_writer_permission: false,
        is_root: true,
        shortcut_target: None,
    }
}

/// A person to add: email, key, given and family name, active.
struct NewUser<'a>(&'a str, &'a str, &'a str, &'a str, bool);

fn add_user(s: &mut GoogleState, ids: &mut IdGen, new: NewUser<'_>, at: DateTime<Utc>) -> User {
    let NewUser(email, key, given, family, active) = new;
    let root_id = ids::drive_id(ids);
    let user = User {
        email: email.to_ascii_lowercase(),
        key: key.to_string(),
        given_name: given.to_string(),
        family_name: family.to_string(),
        permission_id: ids::permission_id(ids),
        root_id: root_id.clone(),
        active,
        sub: format!("1{:020}", ids.next_u64()),
    };
    s.users.insert(user.email.clone(), user.clone());
    s.drive.files.insert(root_id.clone(), root_folder(&root_id, &user.email, at));
    user
}

pub fn seed(fixture: &Fixture, ctx: &mut SeedCtx<'_>) -> Result<GoogleState, FixtureError> {
    let section: Section = match fixture.section("google") {
        Some(v) => serde_json::from_value(v.clone()).map_err(|e| invalid(fixture, e.to_string()))?,
        None => Section::default(),
    };
    let domain = fixture.company.domain.to_ascii_lowercase();
    let mut s = empty_state(&domain, &fixture.company.name);
    if let Some(cap) = section.storage_cap_bytes {
        s.storage_cap = cap;
    }
    let epoch = ctx.now - Duration::days(30);
    let mut emails: HashMap<&str, String> = HashMap::new();
    for (i, p) in fixture.people.iter().enumerate() {
        let active = p.status == PersonStatus::Active;
        let at = epoch + Duration::seconds(i as i64);
        let user = add_user(&mut s, ctx.ids, NewUser(&p.email, &p.key, &p.first_name, &p.last_name, active), at);
        emails.insert(p.key.as_str(), user.email.clone());
        let refresh = format!("1//0{}", ctx.ids.lower_alnum(40));
        s.refresh_tokens.insert(
            refresh.clone(),
            RefreshToken {
                token: refresh,
                client_id: s.client.client_id.clone(),
                user: user.email.clone(),
                scopes: vec!["https://www.googleapis.com/auth/drive".into(), "openid".into(), "email".into()],
            },
        );
        if fixture.people.len() <= PER_PERSON_TOKENS_MAX {
            let principal = Principal { service: "google".into(), kind: "access_token".into(), subject: user.email };
            ctx.mint(TOKEN_PREFIX, principal);
        }
    }
    let sa_email = s.service_account.email.clone();
    add_user(&mut s, ctx.ids, NewUser(&sa_email, "", "", "", true), epoch);
    for g in &fixture.groups {
        let members = g.members.iter().filter_map(|m| emails.get(m.as_str()).cloned()).collect();
        let email = format!("{}@{domain}", g.key);
        let pid = ids::permission_id(ctx.ids);
        s.groups.insert(email.clone(), Group { email, name: g.name.clone(), members, permission_id: pid });
    }
    // The admin: named, else the first active member of `admins`, else the first active person.
    let admin = match &section.admin {
        Some(key) => emails
            .get(key.as_str())
            .cloned()
            .ok_or_else(|| invalid(fixture, format!("admin '{key}' is not a person")))?,
        None => fixture
            .groups
            .iter()
            .find(|g| g.key == "admins")
            .and_then(|g| {
                g.members.iter().find(|m| fixture.person(m).is_some_and(|p| p.status == PersonStatus::Active))
            })
            .or_else(|| fixture.people.iter().find(|p| p.status == PersonStatus::Active).map(|p| &p.key))
            .and_then(|k| emails.get(k.as_str()).cloned())
            .unwrap_or_default(),
    };
    if fixture.people.len() > PER_PERSON_TOKENS_MAX && !admin.is_empty() {
        // A large domain: only the admin gets a seeded token (a fork re-mints every
        // credential, so per-person tokens would make forks cost O(people)); others
        // sign in through the service account or their refresh tokens.
        let principal = Principal { service: "google".into(), kind: "access_token".into(), subject: admin.clone() };
        ctx.mint(TOKEN_PREFIX, principal);
    }
    s.admin = admin;

    let mut builder = Builder { s, emails: &emails, fixture, now: ctx.now, clock: epoch };
    let mut drives: Vec<DriveFixture> = section.shared_drives;
    if section.department_drives {
        let mut departments: Vec<&str> =
            fixture.people.iter().map(|p| p.department.as_str()).filter(|d| !d.is_empty()).collect();
        departments.sort_unstable();
        departments.dedup();
        for d in departments {
            if drives.iter().any(|x| x.name == d) {
                continue;
            }
            let people: Vec<&twin_core::fixture::Person> =
                fixture.people.iter().filter(|p| p.department == d).collect();
            let mut members: Vec<ShareFixture> = people
                .iter()
                .map(|p| ShareFixture {
                    person: Some(p.key.clone()),
                    group: None,
                    domain: false,
                    anyone: false,
                    role: "writer".into(),
                    discoverable: false,
                })
                .collect();
            // The department head (the one whose manager is outside it) organizes it.
            if let Some(head) = people
                .iter()
                .find(|p| p.manager.as_deref().and_then(|m| fixture.person(m)).is_none_or(|m| m.department != d))
            {
                if let Some(m) = members.iter_mut().find(|m| m.person.as_deref() == Some(head.key.as_str())) {
                    m.role = "organizer".into();
                }
            }
            drives.push(DriveFixture { name: d.to_string(), members, files: vec![] });
        }
    }
    for d in &drives {
        builder.drive(ctx.ids, d)?;
    }
    for f in &section.files {
        builder.file(ctx.ids, f, None)?;
    }
    let per_person = section.generated_files_per_person;
    if per_person.saturating_mul(fixture.people.len()) > MAX_GENERATED_FILES {
        return Err(invalid(fixture, format!("at most {MAX_GENERATED_FILES} generated files")));
    }
    if per_person > 0 {
        builder.generate(ctx.ids, per_person);
    }
    let mut s = builder.s;
    s.drive.next_change = 1;
    s.drive.changes = Collection::default();
    Ok(s)
}

struct Builder<'a> {
    s: GoogleState,
    emails: &'a HashMap<&'a str, String>,
    fixture: &'a Fixture,
    now: DateTime<Utc>,
    clock: DateTime<Utc>,
}

impl Builder<'_> {
    fn tick(&mut self) -> DateTime<Utc> {
        self.clock = (self.clock + Duration::minutes(7)).min(self.now);
        self.clock
    }

    fn email(&self, key: &str) -> Result<String, FixtureError> {
        self.emails.get(key).cloned().ok_or_else(|| invalid(self.fixture, format!("unknown person '{key}'")))
    }

    fn permission(&self, ids: &mut IdGen, share: &ShareFixture) -> Result<Permission, FixtureError> {
        let role =
            Role::parse(&share.role).ok_or_else(|| invalid(self.fixture, format!("unknown role '{}'", share.role)))?;
        let (grantee, email, domain) = match (&share.person, &share.group, share.domain, share.anyone) {
            (Some(p), None, false, false) => (Grantee::User, Some(self.email(p)?), None),
            (None, Some(g), false, false) => {
                let email = format!("{g}@{}", self.s.domain);
                if !self.s.groups.contains_key(&email) {
                    return Err(invalid(self.fixture, format!("unknown group '{g}'")));
                }
                (Grantee::Group, Some(email), None)
            }
            (None, None, true, false) => (Grantee::Domain, None, Some(self.s.domain.clone())),
            (None, None, false, true) => (Grantee::Anyone, None, None),
            _ => {
                return Err(invalid(self.fixture, "a share names exactly one of person, group, domain, anyone".into()))
            }
        };
        let id =
            crate::drive::permission_id_for(&self.s, grantee, email.as_deref(), domain.as_deref(), share.discoverable)
                .unwrap_or_else(|| ids::permission_id(ids));
        Ok(Permission {
            id,
            grantee,
            role,
            email,
            domain,
            allow_file_discovery: share.discoverable && matches!(grantee, Grantee::Domain | Grantee::Anyone),
            expiration_time: None,
            pending_owner: false,
        })
    }

    fn drive(&mut self, ids: &mut IdGen, d: &DriveFixture) -> Result<(), FixtureError> {
        let id = ids::drive_id(ids);
        let permissions = d.members.iter().map(|m| self.permission(ids, m)).collect::<Result<Vec<_>, _>>()?;
        let at = self.tick();
        self.s.drive.drives.insert(
            id.clone(),
            SharedDrive {
                id: id.clone(),
                name: d.name.clone(),
                created_time: at,
                permissions,
                hidden: false,
                request_id: None,
                color_rgb: None,
            },
        );
        for f in &d.files {
            self.file(ids, f, Some(&id))?;
        }
        Ok(())
    }

    /// The folder at `path` under `parent`, created as needed.
    fn folder(
        &mut self,
        ids: &mut IdGen,
        owner: Option<&str>,
        drive: Option<&str>,
        parent: String,
        name: &str,
    ) -> String {
        if let Some(f) = self
            .s
            .drive
            .files
            .values()
            .find(|f| f.is_folder() && f.name == name && f.parents.first() == Some(&parent) && !f.is_root)
        {
            return f.id.clone();
        }
        let id = ids::file_id(ids);
        let at = self.tick();
        let mut f = root_folder(&id, owner.unwrap_or(""), at);
        f.is_root = false;
        f.name = name.to_string();
        f.parents = vec![parent];
        f.owner = owner.map(str::to_string);
        f.drive_id = drive.map(str::to_string);
        self.s.drive.files.insert(id.clone(), f);
        id
    }

    fn file(&mut self, ids: &mut IdGen, spec: &FileFixture, drive: Option<&str>) -> Result<(), FixtureError> {
        let owner = match (drive, &spec.owner) {
            (Some(_), _) => None,
            (None, Some(o)) => Some(self.email(o)?),
            (None, None) => return Err(invalid(self.fixture, format!("file '{}' has no owner", spec.path))),
        };
        let mut parent = match (drive, &owner) {
            (Some(d), _) => d.to_string(),
            (None, Some(o)) => self.s.user(o).map(|u| u.root_id.clone()).unwrap_or_default(),
            (None, None) => String::new(),
        };
        let is_folder = spec.path.ends_with('/');
        let trimmed = spec.path.trim_end_matches('/');
        let mut segments: Vec<&str> = trimmed.split('/').filter(|s| !s.is_empty()).collect();
        let Some(name) = segments.pop() else { return Err(invalid(self.fixture, "a file has an empty path".into())) };
        for seg in segments {
            parent = self.folder(ids, owner.as_deref(), drive, parent, seg);
        }
        let permissions = spec.share.iter().map(|sh| self.permission(ids, sh)).collect::<Result<Vec<_>, _>>()?;
        let id = if is_folder {
            self.folder(ids, owner.as_deref(), drive, parent, name)
        } else {
            let mime = match spec.mime_type.as_deref() {
                Some("document") => DOCUMENT.to_string(),
                Some("spreadsheet") => SPREADSHEET.to_string(),
                Some(m) => m.to_string(),
                None => guess_mime(name).to_string(),
            };
            let id = if mime == DOCUMENT || mime == SPREADSHEET { ids::editor_file_id(ids) } else { ids::file_id(ids) };
            let at = self.tick();
            let mut f = root_folder(&id, owner.as_deref().unwrap_or(""), at);
            f.is_root = false;
            f.name = name.to_string();
            f.mime_type = mime.clone();
            f.parents = vec![parent];
            f.owner = owner.clone();
            f.drive_id = drive.map(str::to_string);
            let text = spec.content.clone().unwrap_or_default();
            if mime == DOCUMENT || mime == SPREADSHEET {
                f.content = Content::Editor(EditorContent::Text(text));
            } else {
                let bytes = text.into_bytes();
                let blob = Blob::new(bytes);
                let md5 = Md5::of(&blob);
                self.s.drive.bytes_used += blob.len();
                f.revisions.push(Revision {
                    id: ids::revision_id(ids),
                    mime_type: mime,
                    modified_time: at,
                    md5: md5.clone(),
                    last_modifying_user: owner.clone(),
                    keep_forever: false,
                    original_filename: Some(name.to_string()),
                    bytes: blob.clone(),
                });
                f.original_filename = Some(name.to_string());
                f.content = Content::Blob { bytes: blob, md5 };
            }
            self.s.drive.files.insert(id.clone(), f);
            id
        };
        if let Some(mut f) = self.s.drive.files.get(&id).cloned() {
            f.permissions.extend(permissions);
            f.starred = spec.starred;
            f.description = spec.description.clone().or(f.description);
            f.properties.extend(spec.properties.clone());
            self.s.drive.files.insert(id, f);
        }
        Ok(())
    }
}

impl Builder<'_> {
    /// `per_person` small files in a `Generated` folder of each active person's My Drive.
    fn generate(&mut self, ids: &mut IdGen, per_person: usize) {
        const KINDS: [&str; 5] = ["Report", "Notes", "Plan", "Budget", "Minutes"];
        let text = b"Generated by the DTU fixture for scale tests.\n".to_vec();
        let blob = Blob::new(text);
        let md5 = Md5::of(&blob);
        let domain = self.s.domain.clone();
        let people: Vec<(String, String, String)> = self
            .fixture
            .people
            .iter()
            .filter(|p| p.status == PersonStatus::Active)
            .filter_map(|p| {
                let email = self.emails.get(p.key.as_str())?.clone();
                let root = self.s.user(&email)?.root_id.clone();
                Some((p.key.clone(), email, root))
            })
            .collect();
        for (key, email, root) in people {
            // Made directly: `folder` looks for an existing one, which would cost a scan per person.
            let folder = ids::file_id(ids);
            let at = self.tick();
            let mut dir = root_folder(&folder, &email, at);
            dir.is_root = false;
            dir.name = "Generated".into();
            dir.parents = vec![root];
            self.s.drive.files.insert(folder.clone(), dir);
            for i in 0..per_person {
                let id = ids::file_id(ids);
                let at = self.tick();
                let mut f = root_folder(&id, &email, at);
                f.is_root = false;
                f.name = format!("{} {i} {key}.txt", KINDS[i % KINDS.len()]);
                f.mime_type = "text/plain".into();
                f.parents = vec![folder.clone()];
                f.revisions.push(Revision {
                    id: ids::revision_id(ids),
                    mime_type: "text/plain".into(),
                    modified_time: at,
                    md5: md5.clone(),
                    last_modifying_user: Some(email.clone()),
                    keep_forever: false,
                    original_filename: None,
                    bytes: blob.clone(),
                });
                f.content = Content::Blob { bytes: blob.clone(), md5: md5.clone() };
                if i % 5 == 0 {
                    f.permissions.push(Permission {
                        id: crate::drive::permission_id_for(&self.s, Grantee::Domain, None, Some(&domain), true)
                            .unwrap_or_default(),
                        grantee: Grantee::Domain,
                        role: Role::Reader,
                        email: None,
                        domain: Some(domain.clone()),
                        allow_file_discovery: true,
                        expiration_time: None,
                        pending_owner: false,
                    });
                }
                self.s.drive.bytes_used += blob.len();
                self.s.drive.files.insert(id, f);
            }
        }
    }
}

fn guess_mime(name: &str) -> &'static str {
    match name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).as_deref() {
        Some("txt") => "text/plain",
        Some("md") => "text/markdown",
        Some("csv") => "text/csv",
        Some("json") => "application/json",
        Some("html") => "text/html",
        Some("pdf") => "application/pdf",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}
