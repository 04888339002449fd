//! twin-core: what every DTU twin shares.
//!
//! A [`Core`] holds the twins, the universes and the global chaos rules. Each twin
//! implements [`Twin`] and keeps its state in a [`store::Store`]; the core routes
//! every request to a universe, runs chaos and rate limits, journals it, and serves
//! the control plane under `/_dtu/`.

pub mod chaos;
pub mod clock;
pub mod control;
pub mod dispatch;
pub mod error;
pub mod fixture;
pub mod ids;
pub mod journal;
pub mod jwt;
pub mod limits;
pub mod metrics;
pub mod outbound;
pub mod serve;
pub mod store;
pub mod twin;
pub mod universe;
pub mod wire;

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use dashmap::DashMap;
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

pub use error::ControlError;
pub use fixture::{Fixture, FixtureError, FixtureLibrary};
pub use store::{AnyCollection, Collection, Store};
pub use twin::{ControlCtx, Coverage, Fault, RateLimit, RequestCtx, Twin};
pub use universe::{Principal, SeedCtx, Universe, World};

use clock::ClockState;
use ids::{seed_from_str, IdGen};
use universe::{mint_token, valid_universe_id, Credential, TokenIndex, UniverseParts};

/// The version of the export format.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone)]
pub struct Config {
    /// Journal entries kept per universe.
    pub journal_cap: usize,
    /// Answer with each vendor's rate limits.
    pub realistic_limits: bool,
    pub max_universes: usize,
    /// The largest request body any port accepts.
    pub max_body_bytes: usize,
    /// Seeds the id generators of universes created without a seed of their own.
    pub seed: u64,
    /// Who may use the control plane.
    pub control_access: ControlAccess,
    /// The most records (messages, users, issues, files, …, over every twin) one
    /// universe may hold; past it, writes that would add more are refused as each
    /// vendor refuses a full quota. Transient structures are bounded separately.
    pub state_budget_records: usize,
}

/// The default state budget: far beyond any scenario, and about 2 GB of Slack messages.
pub const DEFAULT_STATE_BUDGET_RECORDS: usize = 2_000_000;

/// Who may use the control plane (`/_dtu/`, on every port). It can rewrite any
/// universe, so `dtu serve` and `dtu eval` always require the admin token; `Open` is
/// for in-process tests and for `dtu serve --open-control-plane` on loopback.
#[derive(Clone, PartialEq, Eq)]
pub enum ControlAccess {
    /// Only requests with `Authorization: Bearer <token>`.
    AdminToken(String),
    Open,
}

impl std::fmt::Debug for ControlAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the token itself (Config is logged).
        match self {
            Self::AdminToken(_) => f.write_str("AdminToken(..)"),
            Self::Open => f.write_str("Open"),
        }
    }
}

impl ControlAccess {
    /// A fresh admin token: 32 random bytes, hex, with a prefix that names it.
    pub fn mint() -> Self {
        let bytes: [u8; 32] = rand::random();
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        Self::AdminToken(format!("dtu-admin-{hex}"))
    }

    pub fn token(&self) -> Option<&str> {
        match self {
            Self::AdminToken(t) => Some(t),
            Self::Open => None,
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            journal_cap: 10_000,
            realistic_limits: false,
            max_universes: 10_000,
            max_body_bytes: 32 * 1024 * 1024,
            seed: 0,
            control_access: ControlAccess::Open,
            state_budget_records: DEFAULT_STATE_BUDGET_RECORDS,
        }
    }
}

/// A fixture named, or given inline.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum FixtureRef {
    Name(String),
    Inline(Box<Value>),
}

/// The body of `POST /_dtu/universes`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateUniverse {
    pub id: Option<String>,
    pub fixture: Option<FixtureRef>,
    pub from: Option<String>,
    pub snapshot: Option<String>,
    pub seed: Option<u64>,
}

/// A universe's full state, as `export` gives it and `import` takes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    pub schema_version: u32,
    pub id: String,
    pub fixture: String,
    pub exported_at: DateTime<Utc>,
    pub clock: ClockState,
    pub ids: IdGen,
    pub services: BTreeMap<String, Value>,
}

pub struct Core {
    pub config: Config,
    pub twins: Vec<Arc<dyn Twin>>,
    pub fixtures: FixtureLibrary,
    pub default_fixture: String,
    /// Rules that apply to every universe.
    pub chaos: chaos::RuleSet,
    pub metrics: metrics::Metrics,
    universes: DashMap<String, Arc<Universe>>,
    tokens: TokenIndex,
    /// `control` and each service → the base URL it listens on (set once bound).
    endpoints: RwLock<BTreeMap<String, String>>,
    universe_ids: Mutex<IdGen>,
}

impl Core {
    pub fn new(config: Config, twins: Vec<Arc<dyn Twin>>, fixtures: FixtureLibrary, default_fixture: &str) -> Self {
        let seed = config.seed;
        Self {
            config,
            twins,
            fixtures,
            default_fixture: default_fixture.to_string(),
            chaos: chaos::RuleSet::default(),
            metrics: metrics::Metrics::default(),
            universes: DashMap::new(),
            tokens: TokenIndex::default(),
            endpoints: RwLock::new(BTreeMap::new()),
            universe_ids: Mutex::new(IdGen::new(seed ^ 0x5eed)),
        }
    }

    pub fn services(&self) -> Vec<&'static str> {
        self.twins.iter().map(|t| t.service()).collect()
    }

    pub fn twin(&self, service: &str) -> Option<&Arc<dyn Twin>> {
        self.twins.iter().find(|t| t.service() == service)
    }

    pub fn set_endpoint(&self, name: &str, base_url: String) {
        self.endpoints.write().insert(name.to_string(), base_url);
    }

    pub fn endpoint(&self, name: &str) -> Option<String> {
        self.endpoints.read().get(name).cloned()
    }

    pub fn universe(&self, id: &str) -> Result<Arc<Universe>, ControlError> {
        self.universes.get(id).map(|u| u.clone()).ok_or_else(|| ControlError::UnknownUniverse(id.to_string()))
    }

    pub fn universe_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.universes.iter().map(|u| u.key().clone()).collect();
        ids.sort();
        ids
    }

    pub fn universe_count(&self) -> usize {
        self.universes.len()
    }

    /// The universe that minted `token`, if it is alive.
    pub fn universe_of_token(&self, token: &str) -> Option<Arc<Universe>> {
        let id = self.tokens.universe_of(token)?;
        self.universes.get(&id).map(|u| u.clone())
    }

    fn resolve_fixture(&self, fixture: Option<FixtureRef>) -> Result<Arc<Fixture>, ControlError> {
        match fixture {
            None => Ok(self.fixtures.get(&self.default_fixture)?),
            Some(FixtureRef::Name(name)) => Ok(self.fixtures.get(&name)?),
            Some(FixtureRef::Inline(value)) => Ok(Arc::new(Fixture::from_value(*value)?)),
        }
    }

    /// Creates a universe from a fixture, or forks one (from its current state or a snapshot).
    pub fn create_universe(&self, req: CreateUniverse) -> Result<Arc<Universe>, ControlError> {
        if self.universes.len() >= self.config.max_universes {
            return Err(ControlError::LimitReached(format!(
                "at most {} universes may exist at once; delete some first",
                self.config.max_universes
            )));
        }
        let id = match req.id {
            Some(id) if !valid_universe_id(&id) => {
                return Err(ControlError::BadRequest("id must be 1-64 characters of a-z, 0-9, - and _".to_string()))
            }
            Some(id) => id,
            None => loop {
                let candidate = format!("u-{}", self.universe_ids.lock().hex(10));
                if !self.universes.contains_key(&candidate) {
                    break candidate;
                }
            },
        };
        if self.universes.contains_key(&id) {
            return Err(ControlError::Conflict(format!("a universe with id '{id}' exists already")));
        }
        if req.snapshot.is_some() && req.from.is_none() {
            return Err(ControlError::BadRequest("snapshot needs from: the universe it belongs to".into()));
        }
        let seed = req.seed.unwrap_or(self.config.seed);
        let mut tokens = IdGen::new(seed_from_str(&id) ^ seed.rotate_left(17));
        let parts = match req.from {
            Some(from) => {
                if req.fixture.is_some() {
                    return Err(ControlError::BadRequest("give either fixture or from, not both".into()));
                }
                let parent = self.universe(&from)?;
                let world = match &req.snapshot {
                    Some(name) => {
                        parent.snapshot(name).ok_or_else(|| ControlError::UnknownSnapshot(name.clone()))?.world
                    }
                    None => parent.world(),
                };
                // A fork gets credentials of its own for the same principals.
                let credentials = parent
                    .credentials()
                    .into_iter()
                    .map(|c| Credential { token: mint_token(&mut tokens, &c.prefix, &id), ..c })
                    .collect();
                UniverseParts {
                    id: id.clone(),
                    fixture_name: parent.fixture_name.clone(),
                    origin: world.clone(),
                    world,
                    clock: parent.clock.state(),
                    credentials,
                    // An explicit seed gives the fork draws of its own (one per repetition of
                    // a scenario); otherwise it draws as its parent does.
                    chaos_seed: req.seed.map_or(parent.chaos_draws().seed, |s| s ^ 0xc4a05),
                    tokens,
                    journal_cap: self.config.journal_cap,
                }
            }
            None => {
                let fixture = self.resolve_fixture(req.fixture)?;
                let mut ids = IdGen::new(seed);
                let mut minted = Vec::new();
                let mut stores = Vec::with_capacity(self.twins.len());
                let mut ctx = universe::SeedCtx {
                    now: Utc::now(),
                    ids: &mut ids,
                    tokens: &mut tokens,
                    universe_id: &id,
                    minted: &mut minted,
                };
                for twin in &self.twins {
                    stores.push(twin.seed(&fixture, &mut ctx)?);
                }
                let world = World::new(stores, ids);
                UniverseParts {
                    id: id.clone(),
                    fixture_name: fixture.name.clone(),
                    origin: world.clone(),
                    world,
                    clock: ClockState::Running { offset_us: 0 },
                    credentials: minted,
                    chaos_seed: seed ^ 0xc4a05,
                    tokens,
                    journal_cap: self.config.journal_cap,
                }
            }
        };
        let universe = Arc::new(Universe::new(parts));
        for c in universe.credentials() {
            self.tokens.insert(c.token, &id);
        }
        // Two creates may race for one id: the second loses and leaves nothing behind.
        match self.universes.entry(id.clone()) {
            dashmap::Entry::Occupied(_) => {
                for c in universe.credentials() {
                    self.tokens.remove(&c.token);
                }
                return Err(ControlError::Conflict(format!("a universe with id '{id}' exists already")));
            }
            dashmap::Entry::Vacant(slot) => {
                slot.insert(universe.clone());
            }
        }
        self.metrics.universes.set(self.universes.len() as i64);
        Ok(universe)
    }

    pub fn delete_universe(&self, id: &str) -> Result<(), ControlError> {
        let (_, universe) = self.universes.remove(id).ok_or_else(|| ControlError::UnknownUniverse(id.to_string()))?;
        universe.mark_deleted();
        for c in universe.credentials() {
            self.tokens.remove(&c.token);
        }
        for token in universe.revoked_tokens() {
            self.tokens.remove(&token);
        }
        self.metrics.universes.set(self.universes.len() as i64);
        Ok(())
    }

    /// Mints a credential at run time (an OAuth token, a new API token).
    pub fn mint_credential(&self, universe: &Universe, prefix: &str, principal: Principal) -> String {
        let token = universe.add_credential(prefix, principal);
        self.tokens.insert(token.clone(), &universe.id);
        token
    }

    /// Revokes a credential. The token keeps routing to its universe, where the request
    /// context marks it `credential_revoked`, so the twin can answer as its vendor does.
    pub fn revoke_credential(&self, universe: &Universe, token: &str) -> bool {
        let (revoked, dropped) = universe.revoke(token);
        if let Some(old) = dropped {
            self.tokens.remove(&old);
        }
        revoked
    }

    /// The universe object: what the manifest and `GET /_dtu/universes/{id}` show.
    pub fn universe_object(&self, universe: &Universe) -> Value {
        let mut object = json!({
            "id": universe.id,
            "fixture": universe.fixture_name,
            "created_at": universe.created_at,
            "control_url": self.endpoint("control").map(|c| format!("{c}/_dtu/")),
        });
        for twin in &self.twins {
            if let Some(base) = self.endpoint(twin.service()) {
                object[twin.service()] = twin.manifest(universe, &base);
            }
        }
        object
    }

    pub fn export(&self, universe: &Universe) -> Result<Export, ControlError> {
        let world = universe.world();
        let mut services = BTreeMap::new();
        for store in world.stores() {
            let state = store
                .export()
                .map_err(|e| ControlError::BadRequest(format!("{} state cannot be exported: {e}", store.service())))?;
            services.insert(store.service().to_string(), state);
        }
        Ok(Export {
            schema_version: SCHEMA_VERSION,
            id: universe.id.clone(),
            fixture: universe.fixture_name.clone(),
            exported_at: universe.now(),
            clock: universe.clock.state(),
            ids: world.ids,
            services,
        })
    }

    /// Replaces a universe's state with an export's. All or nothing.
    pub fn import(&self, universe: &Universe, export: Export) -> Result<(), ControlError> {
        if export.schema_version != SCHEMA_VERSION {
            return Err(ControlError::BadRequest(format!(
                "schema_version {} is not supported (this server reads {SCHEMA_VERSION})",
                export.schema_version
            )));
        }
        let mut services = export.services;
        let mut stores = Vec::with_capacity(self.twins.len());
        for twin in &self.twins {
            let state = services.remove(twin.service()).ok_or_else(|| {
                ControlError::BadRequest(format!("the export has no state for service '{}'", twin.service()))
            })?;
            let store = twin
                .import(state)
                .map_err(|e| ControlError::BadRequest(format!("services.{}: {e}", twin.service())))?;
            stores.push(store);
        }
        if let Some(extra) = services.keys().next() {
            return Err(ControlError::BadRequest(format!("service '{extra}' is not a twin here")));
        }
        universe.replace_world(World::new(stores, export.ids));
        universe.clock.restore(export.clock);
        Ok(())
    }
}
