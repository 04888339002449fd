//! The org's security objects beside policies: network zones, trusted origins and
//! identity providers (with the users linked to them). No HTTP here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use twin_core::ids::IdGen;

use crate::ids::okta_id;
use crate::model::OktaState;

/// A network zone: `IP` (gateways and proxies) or `DYNAMIC` (locations, ASNs, proxy type).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NetworkZone {
    pub id: String,
    pub name: String,
    /// `IP` or `DYNAMIC`.
    pub kind: String,
    pub status: String,
    /// `POLICY` or `BLOCKLIST`.
    pub usage: String,
    /// The org's own LegacyIpZone and BlockedIpZone: never deleted.
    pub system: bool,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub gateways: Value,
    pub proxies: Value,
    pub locations: Value,
    pub asns: Value,
    pub proxy_type: Value,
}

/// An origin the org trusts for CORS, redirects or iframe embedding.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrustedOrigin {
    pub id: String,
    pub name: String,
    pub origin: String,
    pub scopes: Value,
    pub status: String,
    pub created: DateTime<Utc>,
    pub created_by: String,
    pub last_updated: DateTime<Utc>,
    pub last_updated_by: String,
}

/// An identity provider: its protocol and policy are kept as the vendor's JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdentityProvider {
    pub id: String,
    /// `SAML2`, `OIDC`, `GOOGLE`, `MICROSOFT`, `FACEBOOK`, `LINKEDIN`, …
    pub kind: String,
    pub name: String,
    pub status: String,
    pub issuer_mode: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub protocol: Value,
    pub policy: Value,
    pub properties: Value,
}

/// A user linked to an identity provider, keyed `{idpId}:{userId}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdpLink {
    pub idp_id: String,
    pub user_id: String,
    pub external_id: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
}

/// An X.509 signing certificate uploaded for identity providers to trust, keyed by `kid`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdpKey {
    pub kid: String,
    pub created: DateTime<Utc>,
    pub last_updated: DateTime<Utc>,
    pub x5c: Vec<String>,
    pub n: String,
    pub e: String,
    pub x5t_s256: String,
    pub expires_at: DateTime<Utc>,
}

/// The zones every org has: LegacyIpZone (for policies) and BlockedIpZone (a blocklist), both empty.
pub fn seed_zones(s: &mut OktaState, ids: &mut IdGen, now: DateTime<Utc>) {
    for (name, usage) in [("LegacyIpZone", "POLICY"), ("BlockedIpZone", "BLOCKLIST")] {
        let id = okta_id(ids, "nzo");
        s.zones.insert(
            id.clone(),
            NetworkZone {
                id,
                name: name.into(),
                kind: "IP".into(),
                status: "ACTIVE".into(),
                usage: usage.into(),
                system: true,
                created: now,
                last_updated: now,
                gateways: json!([]),
                proxies: json!([]),
                locations: Value::Null,
                asns: Value::Null,
                proxy_type: Value::Null,
            },
        );
    }
}
