//! Universes: isolated worlds, each with its own state, clock, journal, chaos rules
//! and credentials. State is persistent, so snapshot, fork and reset are pointer copies.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use parking_lot::{Mutex, RwLock};
use serde::{Deserialize, Serialize};

use crate::chaos::RuleSet;
use crate::clock::{Clock, ClockState};
use crate::ids::IdGen;
use crate::journal::Journal;
use crate::limits::Buckets;
use crate::store::{AnyStore, CollectionDiff, Store};

/// Who a credential speaks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Principal {
    pub service: String,
    /// The twin's name for the credential's kind (`bot`, `user`, `app`, `api_token`).
    pub kind: String,
    /// The id of the user, bot or app it acts as.
    pub subject: String,
}

/// A minted credential and the prefix it was minted with (kept so a fork re-mints alike).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Credential {
    pub token: String,
    pub prefix: String,
    pub principal: Principal,
}

/// All twins' state plus the id generator: what a snapshot captures.
#[derive(Debug, Clone)]
pub struct World {
    stores: Vec<Box<dyn AnyStore>>,
    pub ids: IdGen,
}

impl World {
    pub fn new(stores: Vec<Box<dyn AnyStore>>, ids: IdGen) -> Self {
        Self { stores, ids }
    }

    pub fn store<S: Store>(&self) -> Option<&S> {
        self.stores.iter().find_map(|s| s.as_any().downcast_ref::<S>())
    }

    pub fn store_mut<S: Store>(&mut self) -> Option<(&mut S, &mut IdGen)> {
        let ids = &mut self.ids;
        self.stores.iter_mut().find_map(|s| s.as_any_mut().downcast_mut::<S>()).map(|s| (s, ids))
    }

    pub fn stores(&self) -> impl Iterator<Item = &dyn AnyStore> {
        self.stores.iter().map(|s| s.as_ref())
    }

    /// Records held by every twin: what the state budget counts.
    pub fn record_count(&self) -> usize {
        self.stores.iter().map(|s| s.record_count()).sum()
    }

    /// What changed from `earlier` to `self`, per service and collection.
    pub fn diff_from(&self, earlier: &World) -> BTreeMap<String, BTreeMap<String, CollectionDiff>> {
        self.stores
            .iter()
            .filter_map(|now| {
                let before = earlier.stores.iter().find(|s| s.service() == now.service())?;
                let diff = now.diff_from(before.as_ref());
                (!diff.is_empty()).then(|| (now.service().to_string(), diff))
            })
            .collect()
    }
}

/// What [`Universe::write_staged`] gives back from a change that went through.
pub struct Staged<S, R> {
    /// The closure's value.
    pub value: R,
    /// The twin's state as it was, and as the change left it.
    pub before: S,
    pub after: S,
}

/// A named snapshot.
#[derive(Debug, Clone)]
pub struct Snapshot {
    pub world: World,
    pub created_at: DateTime<Utc>,
}

/// What happened to a universe as a whole, for twins that hold live connections into it
/// (Slack's Socket Mode): they watch it to close those connections on a reset or delete.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Lifecycle {
    /// How many times the universe has been reset.
    pub resets: u64,
    pub deleted: bool,
}

/// The most snapshots one universe keeps.
pub const MAX_SNAPSHOTS: usize = 256;

/// The most revoked tokens one universe remembers.
pub const MAX_REVOKED: usize = 10_000;

#[derive(Debug, thiserror::Error)]
#[error("service state '{0}' is not registered in this universe")]
pub struct StoreMissing(pub &'static str);

pub struct Universe {
    pub id: String,
    pub fixture_name: String,
    pub created_at: DateTime<Utc>,
    pub clock: Clock,
    pub journal: Journal,
    pub chaos: RuleSet,
    pub buckets: Buckets,
    world: RwLock<World>,
    /// Held by every writer of `world` for the whole of its change, while the `world`
    /// lock itself is held only to swap the result in: see [`Universe::write_staged`].
    writer: Mutex<()>,
    /// The state it was created with: what reset goes back to and `diff` starts from.
    origin: World,
    origin_clock: ClockState,
    snapshots: Mutex<BTreeMap<String, Snapshot>>,
    credentials: RwLock<indexmap::IndexMap<String, Credential>>,
    /// Tokens revoked through a twin (oldest dropped past [`MAX_REVOKED`]), so the twin
    /// can answer with its vendor's "revoked" error rather than "invalid".
    revoked: Mutex<indexmap::IndexSet<String>>,
    /// Draws for chaos probabilities: separate from `World::ids` so that injecting
    /// faults never changes which ids a run mints.
    chaos_draws: Mutex<IdGen>,
    /// Secrets of the tokens this universe mints.
    tokens: Mutex<IdGen>,
    deleted: AtomicBool,
    lifecycle: tokio::sync::watch::Sender<Lifecycle>,
    /// Twins' per-universe runtime state (open sockets, delivery queues): one value per
    /// type, not part of snapshots or exports, dropped with the universe.
    runtime: Mutex<std::collections::HashMap<std::any::TypeId, Arc<dyn std::any::Any + Send + Sync>>>,
    /// Where a twin's writing requests wait their turn (see [`Universe::write_turn`]).
    write_turns: Arc<tokio::sync::Mutex<()>>,
    /// The state budget's last count of records (`NOT_COUNTED` until the first) and the
    /// writes since it (see [`Universe::at_record_budget`]).
    records_counted: AtomicUsize,
    writes_since_count: AtomicU32,
}

/// The most records one write may add, as the state budget's skipped recounts assume
/// (Jira's bulk create of 50 issues, the largest, adds a few hundred).
const MAX_RECORDS_PER_WRITE: usize = 10_000;
/// A universe far below its budget is recounted at least once per this many writes.
const RECOUNT_EVERY: u32 = 64;
const NOT_COUNTED: usize = usize::MAX;

impl std::fmt::Debug for Universe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Universe").field("id", &self.id).finish_non_exhaustive()
    }
}

/// What a twin's `seed` gets: the fixture's clock, the id generator, and a way to mint credentials.
pub struct SeedCtx<'a> {
    pub now: DateTime<Utc>,
    pub ids: &'a mut IdGen,
    pub(crate) tokens: &'a mut IdGen,
    pub(crate) universe_id: &'a str,
    pub(crate) minted: &'a mut Vec<Credential>,
}

impl SeedCtx<'_> {
    /// Mints a credential `{prefix}{universe}-{secret}` for `principal`.
    pub fn mint(&mut self, prefix: &str, principal: Principal) -> String {
        let token = mint_token(self.tokens, prefix, self.universe_id);
        self.minted.push(Credential { token: token.clone(), prefix: prefix.to_string(), principal });
        token
    }
}

pub(crate) fn mint_token(tokens: &mut IdGen, prefix: &str, universe_id: &str) -> String {
    format!("{prefix}{universe_id}-{}", tokens.lower_alnum(24))
}

/// The parts a new universe is made of.
pub struct UniverseParts {
    pub id: String,
    pub fixture_name: String,
    pub world: World,
    pub origin: World,
    pub clock: ClockState,
    pub credentials: Vec<Credential>,
    pub chaos_seed: u64,
    pub tokens: IdGen,
    pub journal_cap: usize,
}

impl Universe {
    pub fn new(parts: UniverseParts) -> Self {
        let clock = Clock::new(parts.clock);
        Self {
            id: parts.id,
            fixture_name: parts.fixture_name,
            created_at: clock.now(),
            clock,
            journal: Journal::new(parts.journal_cap),
            chaos: RuleSet::default(),
            buckets: Buckets::default(),
            world: RwLock::new(parts.world),
            writer: Mutex::new(()),
            origin: parts.origin,
            origin_clock: parts.clock,
            snapshots: Mutex::new(BTreeMap::new()),
            credentials: RwLock::new(parts.credentials.into_iter().map(|c| (c.token.clone(), c)).collect()),
            revoked: Mutex::new(indexmap::IndexSet::new()),
            chaos_draws: Mutex::new(IdGen::new(parts.chaos_seed)),
            tokens: Mutex::new(parts.tokens),
            deleted: AtomicBool::new(false),
            lifecycle: tokio::sync::watch::Sender::new(Lifecycle::default()),
            runtime: Mutex::new(std::collections::HashMap::new()),
            write_turns: Arc::new(tokio::sync::Mutex::new(())),
            records_counted: AtomicUsize::new(NOT_COUNTED),
            writes_since_count: AtomicU32::new(0),
        }
    }

    /// A turn to write: requests that will write this universe's state queue here,
    /// in order, before they take its lock. One waiting here yields its worker thread,
    /// which serves other connections meanwhile; one waiting on the lock itself would
    /// park the thread, and with many writers of one universe the threads took turns
    /// parking instead of working. Purely a schedule: the lock alone keeps the state
    /// consistent, and a writer without a turn is still correct.
    pub async fn write_turn(&self) -> tokio::sync::OwnedMutexGuard<()> {
        self.write_turns.clone().lock_owned().await
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// This universe's base on a twin's origin (`http://127.0.0.1:8702/u/{id}`): the form
    /// for URLs fetched without a credential to route by (upload links, OAuth endpoints).
    pub fn url_on(&self, origin: &str) -> String {
        format!("{}/u/{}", origin.trim_end_matches('/'), self.id)
    }

    /// Reads a twin's state under the universe's read lock.
    pub fn read<S: Store, R>(&self, f: impl FnOnce(&S) -> R) -> Result<R, StoreMissing> {
        let world = self.world.read();
        world.store::<S>().map(f).ok_or(StoreMissing(S::SERVICE))
    }

    /// Changes a twin's state in place, holding the writer mutex and the write lock
    /// throughout (readers wait for the closure; see [`Universe::write_staged`] for a
    /// change that keeps them reading). The closure gets the universe's id generator
    /// too, so ids stay deterministic.
    pub fn write<S: Store, R>(&self, f: impl FnOnce(&mut S, &mut IdGen) -> R) -> Result<R, StoreMissing> {
        let _writer = self.writer.lock();
        let mut world = self.world.write();
        self.writes_since_count.fetch_add(1, Ordering::Relaxed);
        world.store_mut::<S>().map(|(s, ids)| f(s, ids)).ok_or(StoreMissing(S::SERVICE))
    }

    /// Changes a twin's state all or nothing, without holding up its readers: the
    /// closure works on an O(1) copy of the state and of the id generator, which
    /// replace the originals only when it returns `Ok`. Meanwhile readers go on reading
    /// the current state; only the final swap takes the write lock. (With `write`, every
    /// read waits out the closure, and under load a writer's few microseconds made
    /// readers spin and park.) Writers still run one at a time.
    ///
    /// On success gives the closure's value with the state from before and after.
    pub fn write_staged<S: Store, R, E>(
        &self,
        f: impl FnOnce(&mut S, &mut IdGen) -> Result<R, E>,
    ) -> Result<Result<Staged<S, R>, E>, StoreMissing> {
        let _writer = self.writer.lock();
        let (mut draft, mut ids) = {
            let world = self.world.read();
            let state = world.store::<S>().ok_or(StoreMissing(S::SERVICE))?;
            (state.clone(), world.ids)
        };
        let value = match f(&mut draft, &mut ids) {
            Ok(value) => value,
            Err(e) => return Ok(Err(e)),
        };
        let after = draft.clone();
        let before = {
            let mut world = self.world.write();
            let (state, world_ids) = world.store_mut::<S>().ok_or(StoreMissing(S::SERVICE))?;
            *world_ids = ids;
            self.writes_since_count.fetch_add(1, Ordering::Relaxed);
            std::mem::replace(state, draft)
        };
        Ok(Ok(Staged { value, before, after }))
    }

    /// Whether the universe holds `budget` records or more. Counting every twin's
    /// collections costs about a microsecond on each growing request, so a universe
    /// that cannot have reached its budget since the last count (each write adds at most
    /// `MAX_RECORDS_PER_WRITE`) is not counted again, for up to `RECOUNT_EVERY` writes.
    pub fn at_record_budget(&self, budget: usize) -> bool {
        let counted = self.records_counted.load(Ordering::Relaxed);
        let writes = self.writes_since_count.load(Ordering::Relaxed);
        let most = (writes as usize).saturating_mul(MAX_RECORDS_PER_WRITE).saturating_add(counted);
        if counted != NOT_COUNTED && writes < RECOUNT_EVERY && most < budget {
            return false;
        }
        let world = self.world.read();
        let now = world.record_count();
        // Under the read lock no write runs, so the count and the reset agree.
        self.writes_since_count.store(0, Ordering::Relaxed);
        self.records_counted.store(now, Ordering::Relaxed);
        now >= budget
    }

    /// Records held by every twin, read under the read lock (no copy of the world).
    pub fn record_count(&self) -> usize {
        self.world.read().record_count()
    }

    /// The current state: an O(1) copy.
    pub fn world(&self) -> World {
        self.world.read().clone()
    }

    pub fn origin(&self) -> &World {
        &self.origin
    }

    pub fn replace_world(&self, world: World) {
        let _writer = self.writer.lock();
        *self.world.write() = world;
        self.records_counted.store(NOT_COUNTED, Ordering::Relaxed);
    }

    pub fn reset(&self) {
        self.replace_world(self.origin.clone());
        self.clock.restore(self.origin_clock);
        self.journal.clear();
        self.buckets.clear();
        self.lifecycle.send_modify(|l| l.resets += 1);
    }

    /// Resets and deletion, as they happen.
    /// The universe's runtime value of type `T`, made by `init` on first use.
    pub fn runtime<T: std::any::Any + Send + Sync>(&self, init: impl FnOnce() -> T) -> Arc<T> {
        let key = std::any::TypeId::of::<T>();
        let mut values = self.runtime.lock();
        if let Some(existing) = values.get(&key).cloned() {
            // Keyed by the type, so this always succeeds.
            if let Ok(value) = existing.downcast::<T>() {
                return value;
            }
        }
        let value = Arc::new(init());
        values.insert(key, value.clone());
        value
    }

    pub fn lifecycle(&self) -> tokio::sync::watch::Receiver<Lifecycle> {
        self.lifecycle.subscribe()
    }

    pub fn take_snapshot(&self, name: &str) -> Result<Snapshot, SnapshotError> {
        let mut snapshots = self.snapshots.lock();
        if !snapshots.contains_key(name) && snapshots.len() >= MAX_SNAPSHOTS {
            return Err(SnapshotError::TooMany);
        }
        let snapshot = Snapshot { world: self.world(), created_at: self.now() };
        snapshots.insert(name.to_string(), snapshot.clone());
        Ok(snapshot)
    }

    /// A snapshot by name; `initial` is the state the universe was created with.
    pub fn snapshot(&self, name: &str) -> Option<Snapshot> {
        if name == "initial" {
            return Some(Snapshot { world: self.origin.clone(), created_at: self.created_at });
        }
        self.snapshots.lock().get(name).cloned()
    }

    pub fn snapshot_list(&self) -> Vec<(String, DateTime<Utc>)> {
        self.snapshots.lock().iter().map(|(n, s)| (n.clone(), s.created_at)).collect()
    }

    pub fn credentials(&self) -> Vec<Credential> {
        self.credentials.read().values().cloned().collect()
    }

    /// The first credential of `service` of this kind (e.g. the Slack bot token).
    pub fn credential_of(&self, service: &str, kind: &str) -> Option<String> {
        self.credentials
            .read()
            .values()
            .find(|c| c.principal.service == service && c.principal.kind == kind)
            .map(|c| c.token.clone())
    }

    pub fn principal(&self, token: &str) -> Option<Principal> {
        self.credentials.read().get(token).map(|c| c.principal.clone())
    }

    /// Mints and keeps a new credential for `principal`.
    pub(crate) fn add_credential(&self, prefix: &str, principal: Principal) -> String {
        let token = mint_token(&mut self.tokens.lock(), prefix, &self.id);
        let credential = Credential { token: token.clone(), prefix: prefix.to_string(), principal };
        self.credentials.write().insert(token.clone(), credential);
        token
    }

    /// Revokes a credential; returns false when it was not a live credential here.
    /// Returns the token that fell out of the revoked list, if one did.
    pub(crate) fn revoke(&self, token: &str) -> (bool, Option<String>) {
        if self.credentials.write().shift_remove(token).is_none() {
            return (false, None);
        }
        let mut revoked = self.revoked.lock();
        revoked.insert(token.to_string());
        let dropped = if revoked.len() > MAX_REVOKED { revoked.shift_remove_index(0) } else { None };
        (true, dropped)
    }

    pub fn is_revoked(&self, token: &str) -> bool {
        self.revoked.lock().contains(token)
    }

    pub(crate) fn revoked_tokens(&self) -> Vec<String> {
        self.revoked.lock().iter().cloned().collect()
    }

    pub fn chaos_draw(&self) -> f64 {
        self.chaos_draws.lock().next_f64()
    }

    pub fn chaos_draws(&self) -> IdGen {
        *self.chaos_draws.lock()
    }

    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Acquire)
    }

    pub(crate) fn mark_deleted(&self) {
        self.deleted.store(true, Ordering::Release);
        self.lifecycle.send_modify(|l| l.deleted = true);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("a universe keeps at most {MAX_SNAPSHOTS} snapshots")]
    TooMany,
}

/// The shared `Arc` form used everywhere.
pub type UniverseRef = Arc<Universe>;

/// Universe ids: what a client may name in a path, a header or a request.
pub fn valid_universe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Which universe every token belongs to, for routing by credential.
#[derive(Default)]
pub struct TokenIndex {
    by_token: dashmap::DashMap<String, String>,
}

impl TokenIndex {
    pub fn universe_of(&self, token: &str) -> Option<String> {
        self.by_token.get(token).map(|u| u.clone())
    }

    pub fn insert(&self, token: String, universe: &str) {
        self.by_token.insert(token, universe.to_string());
    }

    pub fn remove(&self, token: &str) {
        self.by_token.remove(token);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_universe(id: &str) -> Universe {
        universe_of(id, World::new(Vec::new(), IdGen::new(0)))
    }

    fn universe_of(id: &str, world: World) -> Universe {
        Universe::new(UniverseParts {
            id: id.into(),
            fixture_name: "f".into(),
            origin: world.clone(),
            world,
            clock: ClockState::Running { offset_us: 0 },
            credentials: Vec::new(),
            chaos_seed: 0,
            tokens: IdGen::new(1),
            journal_cap: 10,
        })
    }

    /// A writer waits while another holds its turn, and goes once that turn ends; the
    /// turns of two universes are apart.
    #[tokio::test]
    async fn writers_take_turns_per_universe() {
        let (a, b) = (Arc::new(test_universe("a")), test_universe("b"));
        let first = a.write_turn().await;
        let waiting = {
            let a = a.clone();
            tokio::spawn(async move {
                let _turn = a.write_turn().await;
            })
        };
        // Another universe's turn is free meanwhile.
        drop(b.write_turn().await);
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "a second writer went while the first held its turn");
        drop(first);
        tokio::time::timeout(std::time::Duration::from_secs(5), waiting)
            .await
            .expect("the second writer goes once the first turn ends")
            .expect("task");
    }

    #[test]
    fn runtime_values_are_one_per_type_and_per_universe() {
        let (a, b) = (test_universe("a"), test_universe("b"));
        let counter = a.runtime(|| std::sync::atomic::AtomicU32::new(7));
        counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let again = a.runtime(|| std::sync::atomic::AtomicU32::new(0));
        assert_eq!(again.load(std::sync::atomic::Ordering::Relaxed), 8);
        assert_eq!(b.runtime(|| std::sync::atomic::AtomicU32::new(1)).load(std::sync::atomic::Ordering::Relaxed), 1);
        assert_eq!(*a.runtime(|| String::from("text")), "text");
    }

    #[test]
    fn lifecycle_reports_resets_and_deletion() {
        let universe = test_universe("u");
        let mut watch = universe.lifecycle();
        assert!(!watch.has_changed().unwrap());
        universe.reset();
        assert!(watch.has_changed().unwrap());
        assert_eq!(*watch.borrow_and_update(), Lifecycle { resets: 1, deleted: false });
        universe.mark_deleted();
        assert!(watch.borrow_and_update().deleted);
    }
    #[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
    struct Notes {
        notes: crate::store::Collection<String>,
    }

    impl Store for Notes {
        const SERVICE: &'static str = "notes";
        fn collections(&self) -> Vec<(&'static str, &dyn crate::store::AnyCollection)> {
            vec![("notes", &self.notes)]
        }
    }

    fn notes_universe(notes: usize) -> Universe {
        let mut store = Notes::default();
        for n in 0..notes {
            store.notes.insert(format!("n{n}"), String::new());
        }
        universe_of("u", World::new(vec![Box::new(store)], IdGen::new(0)))
    }

    fn add_note(u: &Universe, id: &str) {
        u.write::<Notes, _>(|s, _| s.notes.insert(id.into(), String::new())).expect("store");
    }

    /// The budget is met at exactly `budget` records, however recent the last count:
    /// writes since it are assumed to have added records, and a reset or restore
    /// forgets it.
    #[test]
    fn the_record_budget_holds_exactly_with_skipped_recounts() {
        let u = notes_universe(3);
        assert!(!u.at_record_budget(5));
        add_note(&u, "a");
        assert!(!u.at_record_budget(5));
        add_note(&u, "b");
        assert!(u.at_record_budget(5), "5 records meet a budget of 5");
        // Far below a large budget, writes skip counting; the answer stays right.
        let big = notes_universe(0);
        for n in 0..200 {
            assert!(!big.at_record_budget(1_000_000));
            add_note(&big, &format!("x{n}"));
        }
        assert!(big.at_record_budget(200), "200 notes meet a budget of 200");
        // A restore that adds records without a write is counted afresh.
        let restored = notes_universe(0);
        assert!(!restored.at_record_budget(50));
        restored.replace_world(notes_universe(60).world());
        assert!(restored.at_record_budget(50));
        restored.reset();
        assert!(!restored.at_record_budget(50));
    }

    /// A staged write is seen whole or not at all: readers see the state from before
    /// while its closure runs, a failed one changes neither state nor ids, and one that
    /// goes through swaps in the state and ids it made and counts for the budget.
    #[test]
    fn staged_writes_are_all_or_nothing_and_never_hold_up_readers() {
        let u = notes_universe(2);
        assert!(!u.at_record_budget(3), "counted: 2 records");
        let failed = u
            .write_staged::<Notes, (), &str>(|s, ids| {
                s.notes.insert("half".into(), String::new());
                ids.next_u64();
                // A reader inside the closure is not blocked, and sees the old state.
                assert_eq!(u.read::<Notes, _>(|s| s.notes.len()).expect("store"), 2);
                Err("refused")
            })
            .expect("store");
        assert_eq!(failed.err(), Some("refused"));
        assert_eq!(u.read::<Notes, _>(|s| s.notes.len()).expect("store"), 2);
        assert_eq!(u.world().ids, IdGen::new(0), "a failed write draws no ids");

        let staged = u
            .write_staged::<Notes, _, ()>(|s, ids| {
                s.notes.insert("new".into(), String::new());
                Ok(ids.next_u64())
            })
            .expect("store")
            .expect("went through");
        let mut expected_ids = IdGen::new(0);
        assert_eq!(staged.value, expected_ids.next_u64());
        assert_eq!((staged.before.notes.len(), staged.after.notes.len()), (2, 3));
        assert!(u.read::<Notes, _>(|s| s.notes.contains_key("new")).expect("store"));
        assert_eq!(u.world().ids, expected_ids, "the ids drawn are kept");
        assert!(u.at_record_budget(3), "the staged write is counted");
    }
}
