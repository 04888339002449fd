//! The Google Workspace domain of a universe: its people and groups (the fixture's,
//! the same as Okta's), the OAuth clients and refresh tokens of Google sign-in, and
//! each product's state (`drive`; Docs and Sheets stand on Drive's files). Plain
//! Rust, no HTTP. Everything, uploaded bytes included, lives in persistent maps.

use serde::{Deserialize, Serialize};
use twin_core::store::{AnyCollection, Collection, Store};

use crate::drive::model::DriveState;

/// The bytes uploads may hold in one universe unless the fixture says otherwise.
pub const DEFAULT_STORAGE_CAP: u64 = 64 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    pub email: String,
    /// The fixture's person key (empty for the service account).
    pub key: String,
    pub given_name: String,
    pub family_name: String,
    /// Drive's stable numeric id of this user in permissions.
    pub permission_id: String,
    /// The id of the user's My Drive root folder.
    pub root_id: String,
    pub active: bool,
    /// The numeric `sub` of Google sign-in.
    pub sub: String,
}

impl User {
    pub fn display_name(&self) -> String {
        let name = format!("{} {}", self.given_name, self.family_name);
        let name = name.trim();
        if name.is_empty() {
            self.email.clone()
        } else {
            name.to_string()
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    pub email: String,
    pub name: String,
    /// Member emails.
    pub members: Vec<String>,
    pub permission_id: String,
}

/// A refresh token of Google sign-in, held for `user` by an OAuth client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefreshToken {
    pub token: String,
    pub client_id: String,
    pub user: String,
    pub scopes: Vec<String>,
}

/// The OAuth client of the domain's installed app (the manifest names its id and secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OAuthClient {
    pub client_id: String,
    pub client_secret: String,
}

/// The service account: its email, OAuth client id and the id of its key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceAccount {
    pub email: String,
    pub client_id: String,
    pub project_id: String,
}

/// An access token the twin minted, with what it was granted for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessGrant {
    pub token: String,
    pub user: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

/// Exported with the derived `editor_views` beside its fields (see `Serialize` below).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct GoogleState {
    pub domain: String,
    pub company: String,
    /// The person the manifest's `access_token` acts as.
    pub admin: String,
    pub users: Collection<User>,
    pub groups: Collection<Group>,
    pub refresh_tokens: Collection<RefreshToken>,
    pub grants: Collection<AccessGrant>,
    pub client: OAuthClient,
    pub service_account: ServiceAccount,
    /// Uploaded bytes a universe may hold (answered as the storage quota error past it).
    pub storage_cap: u64,
    pub drive: DriveState,
}

/// The fields, then `editor_views` ([`crate::views`]): what each document and
/// spreadsheet shows, for scenario checks. Derived, so an import ignores it.
impl Serialize for GoogleState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut out = s.serialize_struct("GoogleState", 13)?;
        out.serialize_field("domain", &self.domain)?;
        out.serialize_field("company", &self.company)?;
        out.serialize_field("admin", &self.admin)?;
        out.serialize_field("users", &self.users)?;
        out.serialize_field("groups", &self.groups)?;
        out.serialize_field("refresh_tokens", &self.refresh_tokens)?;
        out.serialize_field("grants", &self.grants)?;
        out.serialize_field("client", &self.client)?;
        out.serialize_field("service_account", &self.service_account)?;
        out.serialize_field("storage_cap", &self.storage_cap)?;
        out.serialize_field("drive", &self.drive)?;
        out.serialize_field("editor_views", &crate::views::editor_views(&self.drive))?;
        out.end()
    }
}

impl Store for GoogleState {
    const SERVICE: &'static str = "google";

    fn collections(&self) -> Vec<(&'static str, &dyn AnyCollection)> {
        let mut out: Vec<(&'static str, &dyn AnyCollection)> = vec![
            ("users", &self.users),
            ("groups", &self.groups),
            ("refresh_tokens", &self.refresh_tokens),
            ("grants", &self.grants),
        ];
        out.extend(self.drive.collections());
        out
    }
}

impl GoogleState {
    pub fn user(&self, email: &str) -> Option<&User> {
        self.users.get(&email.to_ascii_lowercase())
    }

    /// The groups `email` belongs to (the fixture's groups, as in Okta).
    pub fn groups_of(&self, email: &str) -> impl Iterator<Item = &Group> {
        let email = email.to_ascii_lowercase();
        self.groups.values().filter(move |g| g.members.contains(&email))
    }

    pub fn domain_of(email: &str) -> &str {
        email.rsplit_once('@').map_or("", |(_, d)| d)
    }
}
