//! Getting events to the app. Each universe has a [`Hub`]: a bounded outbox of events,
//! its Socket Mode connections and their single-use tickets, and a dispatcher task that
//! sends each event over Socket Mode (when on) or POSTs it to the request URL, with
//! Slack's acks, timeouts and retries.
//!
//! A write does not build its events: it records the change (the states before and after,
//! two O(1) persistent copies) and the hub derives the events when something will take
//! them: at once when a socket is connected or a request URL is set, else when a socket
//! connects or the control plane shows the outbox. A write nobody listens to costs a
//! queue push, which keeps `chat.postMessage` near the speed of a read.
//!
//! Hubs are runtime state, not workspace state: snapshots and exports carry the app's
//! settings (in `SlackState::apps`) but not the events in flight. A reset or a delete of
//! the universe empties the outbox and disconnects every socket (`link_disabled`).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Duration;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde_json::{json, Value};
use tokio::sync::{mpsc, oneshot, Notify};
use tokio::time::Instant;
use twin_core::ids::{seed_from_str, IdGen};
use twin_core::universe::StoreMissing;
use twin_core::Universe;

use crate::app::{post_signed, Outcome};
use crate::events::{self, Event};
use crate::model::{App, DeliverySettings, SlackState};

/// Events kept per universe, delivered or not; the oldest finished ones go first.
pub const OUTBOX_CAP: usize = 256;
/// Socket Mode connections per app (Slack's limit).
pub const MAX_CONNECTIONS: usize = 10;
/// Redeliveries of an unacknowledged Socket Mode envelope.
pub const MAX_SOCKET_RETRIES: u32 = 3;
/// Unused tickets kept per universe; how long one stays valid.
pub const MAX_TICKETS: usize = 32;
pub const TICKET_TTL: Duration = Duration::from_secs(60);
/// `response_url`s kept per universe; Slack's last 30 minutes and take 5 answers.
pub const MAX_RESPONSE_URLS: usize = 256;
pub const RESPONSE_URL_TTL: Duration = Duration::from_secs(30 * 60);
/// How long a trigger id opens a modal (Slack: 3 seconds, on the universe clock).
pub const TRIGGER_TTL: chrono::TimeDelta = chrono::TimeDelta::seconds(3);
const MAX_TRIGGERS: usize = 1000;

/// Why a trigger id opens nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TriggerRefused {
    Invalid,
    Expired,
    Used,
}
pub const RESPONSE_URL_USES: u32 = 5;
/// How long an event waits for a Socket Mode connection before it is dropped.
pub const PENDING_TTL: Duration = Duration::from_secs(120);
/// Messages queued for one socket before it counts as stuck.
const CONNECTION_QUEUE: usize = 64;
/// HTTP deliveries in flight at once per universe.
const HTTP_CONCURRENCY: usize = 16;
/// Delivery attempts remembered per event.
const MAX_ATTEMPTS_SHOWN: usize = 8;
const NO_SOCKET: &str = "no Socket Mode connection came to take it";

/// How the app answered a person's interaction, for a caller waiting on it (a modal's
/// submission keeps the person waiting for the app's `response_action`).
#[derive(Debug, Clone, PartialEq)]
pub enum Answer {
    /// Acknowledged, with the payload the ack carried (`None` for an empty ack).
    Acked(Option<Value>),
    /// Not acknowledged: the ack window passed, or the HTTP request failed.
    Failed(String),
}

/// Where an event goes, decided when it is raised.
#[derive(Debug, Clone)]
enum Route {
    Socket { ack_timeout: Duration },
    Http { url: String, secret: String, settings: DeliverySettings },
    Nowhere,
}

impl Route {
    fn name(&self) -> &'static str {
        match self {
            Route::Socket { .. } => "socket_mode",
            Route::Http { .. } => "http",
            Route::Nowhere => "none",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Status {
    /// Waiting to be sent (again) from `not_before` on.
    Pending {
        not_before: Instant,
    },
    /// Sent; for Socket Mode, waiting for its ack until `deadline`.
    InFlight {
        deadline: Instant,
        connection: Option<u64>,
    },
    Delivered,
    Failed(String),
    /// Never sent: no connection came, or no destination was configured.
    Dropped(String),
}

impl Status {
    fn name(&self) -> &'static str {
        match self {
            Status::Pending { .. } => "pending",
            Status::InFlight { .. } => "in_flight",
            Status::Delivered => "delivered",
            Status::Failed(_) => "failed",
            Status::Dropped(_) => "dropped",
        }
    }

    fn finished(&self) -> bool {
        matches!(self, Status::Delivered | Status::Failed(_) | Status::Dropped(_))
    }
}

/// What an outbox entry carries: an Events API event, or a person's slash command or
/// interaction. Slack never redelivers the last two (the person sees an error after
/// 3 s instead), and an app's answer to them may carry a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelope {
    Events,
    SlashCommands,
    Interactive,
}

impl Envelope {
    /// The Socket Mode envelope `type`.
    fn socket_type(self) -> &'static str {
        match self {
            Envelope::Events => "events_api",
            Envelope::SlashCommands => "slash_commands",
            Envelope::Interactive => "interactive",
        }
    }

    fn redelivered(self) -> bool {
        self == Envelope::Events
    }

    /// The HTTP body and its content type: events are JSON; slash commands are a form
    /// of their fields; interactions are a form with the JSON in `payload`.
    fn http_body(self, payload: &Value) -> (String, &'static str) {
        const FORM: &str = "application/x-www-form-urlencoded";
        match self {
            Envelope::Events => (payload.to_string(), "application/json"),
            Envelope::SlashCommands => {
                let mut form = form_urlencoded::Serializer::new(String::new());
                for (key, value) in payload.as_object().into_iter().flatten() {
                    match value {
                        Value::String(text) => form.append_pair(key, text),
                        other => form.append_pair(key, &other.to_string()),
                    };
                }
                (form.finish(), FORM)
            }
            Envelope::Interactive => {
                let body = form_urlencoded::Serializer::new(String::new())
                    .append_pair("payload", &payload.to_string())
                    .finish();
                (body, FORM)
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    seq: u64,
    event_id: String,
    envelope_id: String,
    envelope: Envelope,
    kind: String,
    created_at: DateTime<Utc>,
    created: Instant,
    payload: Arc<Value>,
    route: Route,
    status: Status,
    /// Deliveries made so far.
    attempts: u32,
    /// The reason of the next retry (`X-Slack-Retry-Reason`, Socket Mode `retry_reason`).
    retry_reason: Option<&'static str>,
    history: Vec<Value>,
}

impl Entry {
    fn note(&mut self, what: Value) {
        if self.history.len() >= MAX_ATTEMPTS_SHOWN {
            self.history.remove(0);
        }
        self.history.push(what);
    }

    fn view(&self) -> Value {
        let error = match &self.status {
            Status::Failed(e) | Status::Dropped(e) => Some(e.clone()),
            _ => None,
        };
        json!({
            "seq": self.seq,
            "event_id": self.event_id,
            "envelope_id": self.envelope_id,
            "type": self.kind,
            "created_at": self.created_at,
            "route": self.route.name(),
            "status": self.status.name(),
            "attempts": self.attempts,
            "error": error,
            "deliveries": self.history,
            "payload": *self.payload,
        })
    }
}

/// What a socket task is told to send.
#[derive(Debug)]
pub enum Outgoing {
    Text(String),
}

struct Connection {
    id: u64,
    tx: mpsc::Sender<Outgoing>,
}

/// A Socket Mode connection's end of the hub.
pub struct Link {
    pub id: u64,
    pub rx: mpsc::Receiver<Outgoing>,
    pub num_connections: usize,
}

/// Where a `response_url` answers: the conversation and person of the command or
/// interaction, and for an interaction the message it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseTarget {
    pub channel: String,
    pub user: String,
    pub message_ts: Option<String>,
    pub uses: u32,
}

/// Why a `response_url` no longer answers (Slack's texts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseRefused {
    Expired,
    Used,
}

/// A write whose events are not derived yet.
struct Change {
    before: SlackState,
    after: SlackState,
    actor: Option<String>,
    now: DateTime<Utc>,
    at: Instant,
}

struct HubState {
    /// Event, envelope and ticket ids: runtime ids, so they take none from the workspace.
    ids: IdGen,
    next_seq: u64,
    /// Writes not yet turned into events, oldest first (at most `OUTBOX_CAP`).
    changes: VecDeque<Change>,
    outbox: VecDeque<Entry>,
    /// Events pushed out of a full outbox before they were delivered (a change pushed
    /// out before anything listened counts once, its events never having been made).
    evicted: u64,
    connections: Vec<Connection>,
    next_connection: u64,
    round_robin: usize,
    tickets: VecDeque<(String, Instant)>,
    responses: VecDeque<(String, ResponseTarget, Instant)>,
    /// Trigger ids handed out with interactions: (id, the person, when on the universe
    /// clock, used).
    triggers: VecDeque<(String, String, DateTime<Utc>, bool)>,
    /// Callers waiting for the app's answer to an interaction, by envelope id.
    waiters: Vec<(String, oneshot::Sender<Answer>)>,
    http_in_flight: usize,
    /// Bumped on reset, so answers to requests from before it are ignored.
    generation: u64,
}

pub struct Hub {
    universe: Weak<Universe>,
    universe_id: String,
    state: Mutex<HubState>,
    wake: Notify,
    running: AtomicBool,
}

/// The hub of a universe, created on first use; it lives in the universe's runtime
/// values, so it goes when the universe does.
pub fn hub(universe: &Arc<Universe>) -> Arc<Hub> {
    universe.runtime(|| Hub {
        universe: Arc::downgrade(universe),
        universe_id: universe.id.clone(),
        state: Mutex::new(HubState {
            ids: IdGen::new(seed_from_str(&universe.id) ^ 0x0e7e_1175),
            next_seq: 0,
            changes: VecDeque::new(),
            outbox: VecDeque::new(),
            evicted: 0,
            connections: Vec::new(),
            next_connection: 0,
            round_robin: 0,
            tickets: VecDeque::new(),
            responses: VecDeque::new(),
            triggers: VecDeque::new(),
            waiters: Vec::new(),
            http_in_flight: 0,
            generation: 0,
        }),
        wake: Notify::new(),
        running: AtomicBool::new(false),
    })
}

/// Changes the workspace all or nothing ([`Universe::write_staged`]) and records the
/// change for its events: how the Web API's methods, due scheduled work and the people
/// simulated on the control plane write (writes that raise no events, such as app
/// settings, use `Universe::write`).
pub fn write_and_publish<R, E>(
    universe: &Arc<Universe>,
    actor: Option<&str>,
    now: DateTime<Utc>,
    f: impl FnOnce(&mut SlackState, &mut IdGen) -> Result<R, E>,
) -> Result<Result<R, E>, StoreMissing> {
    let staged = universe.write_staged::<SlackState, _, _>(f)?;
    Ok(staged.map(|staged| {
        publish_change(universe, staged.before, staged.after, actor, now);
        staged.value
    }))
}

/// Records a change for its events.
fn publish_change(
    universe: &Arc<Universe>,
    before: SlackState,
    after: SlackState,
    actor: Option<&str>,
    now: DateTime<Utc>,
) {
    if universe.is_deleted() {
        return;
    }
    hub(universe).record(Change { before, after, actor: actor.map(str::to_string), now, at: Instant::now() });
}

/// Whether the app takes events at all (Socket Mode on, or a request URL set).
fn takes_events(app: &App) -> bool {
    app.socket_mode || app.request_url.is_some()
}

/// Where the app's events go, by its settings in `state`.
fn route_of(app: &App) -> Route {
    if app.socket_mode {
        Route::Socket { ack_timeout: Duration::from_millis(app.delivery.ack_timeout_ms) }
    } else if let Some(url) = &app.request_url {
        Route::Http { url: url.clone(), secret: app.signing_secret.clone(), settings: app.delivery.clone() }
    } else {
        Route::Nowhere
    }
}

/// A fresh default app for states that have none (imports from before apps existed).
fn app_of(state: &SlackState) -> Option<App> {
    if let Some(app) = state.app() {
        return Some(app.clone());
    }
    let bot = state.bot()?;
    let mut secrets = IdGen::new(seed_from_str(&bot.app_id));
    Some(crate::app::default_app(&bot.app_id, &mut secrets))
}

fn uuid(ids: &mut IdGen) -> String {
    let h = ids.hex(32);
    format!("{}-{}-4{}-a{}-{}", &h[..8], &h[8..12], &h[13..16], &h[17..20], &h[20..32])
}

impl Hub {
    /// Queues a change; wakes the dispatcher only when something takes events now.
    fn record(self: &Arc<Self>, change: Change) {
        let app = change.after.app();
        // A change to uploaded bytes is settled at once, so that no waiting change keeps
        // a replaced or deleted upload (up to 1 MiB) alive; such writes are rare.
        let bytes_changed = !change.before.file_contents.ptr_eq(&change.after.file_contents);
        let (listening, gone) = {
            let mut st = self.state.lock();
            let listening =
                app.is_some_and(|a| if a.socket_mode { !st.connections.is_empty() } else { takes_events(a) });
            let gone = if st.changes.len() >= OUTBOX_CAP { st.changes.pop_front() } else { None };
            if gone.as_ref().is_some_and(|g| g.after.app().is_some_and(takes_events)) {
                st.evicted += 1;
            }
            st.changes.push_back(change);
            if bytes_changed {
                Self::settle(&mut st);
            }
            (listening, gone)
        };
        // Freeing an old change's states is the costly part: not under the lock.
        drop(gone);
        if listening {
            self.wake.notify_one();
            self.ensure_running();
        }
    }

    /// Turns the recorded changes into outbox entries, in order.
    fn settle(st: &mut HubState) {
        while let Some(c) = st.changes.pop_front() {
            let now_micros = u64::try_from(c.now.timestamp_micros()).unwrap_or(0);
            let events = events::derive(&c.before, &c.after, c.actor.as_deref(), now_micros);
            if !events.is_empty() {
                Self::enqueue(st, &c.after, events, c.now, c.at);
            }
        }
    }

    /// Adds the events the app subscribes to, raised at `at`, to the outbox.
    fn enqueue(st: &mut HubState, state: &SlackState, events: Vec<Event>, now: DateTime<Utc>, at: Instant) {
        let Some(app) = app_of(state) else { return };
        let route = route_of(&app);
        {
            for event in events.into_iter().filter(|e| app.event_types.iter().any(|t| t == e.subscription)) {
                let (event_id, envelope_id) = (st.ids.upper_id("Ev", 10), uuid(&mut st.ids));
                let payload = events::envelope(state, &app, &event, &event_id, now.timestamp());
                let status = match route {
                    Route::Nowhere => Status::Dropped("socket mode is off and no request URL is set".into()),
                    // Derived late, after its wait for a connection was over.
                    Route::Socket { .. } if at.elapsed() >= PENDING_TTL => Status::Dropped(NO_SOCKET.into()),
                    _ => Status::Pending { not_before: at },
                };
                st.next_seq += 1;
                let entry = Entry {
                    seq: st.next_seq,
                    event_id,
                    envelope_id,
                    envelope: Envelope::Events,
                    kind: event.kind().to_string(),
                    created_at: now,
                    created: at,
                    payload: Arc::new(payload),
                    route: route.clone(),
                    status,
                    attempts: 0,
                    retry_reason: None,
                    history: Vec::new(),
                };
                Self::push(st, entry);
            }
        }
    }

    /// Adds to the outbox, making room by dropping the oldest finished event (or, when
    /// none is finished, the oldest one).
    fn push(st: &mut HubState, entry: Entry) {
        if st.outbox.len() >= OUTBOX_CAP {
            let victim = st.outbox.iter().position(|e| e.status.finished()).unwrap_or(0);
            if let Some(gone) = st.outbox.remove(victim) {
                if !gone.status.finished() {
                    st.evicted += 1;
                    if matches!(gone.status, Status::InFlight { .. }) && matches!(gone.route, Route::Http { .. }) {
                        st.http_in_flight = st.http_in_flight.saturating_sub(1);
                    }
                }
            }
        }
        st.outbox.push_back(entry);
    }

    /// Starts the dispatcher, once, when there is a runtime to run it on.
    fn ensure_running(self: &Arc<Self>) {
        if self.running.swap(true, Ordering::AcqRel) {
            return;
        }
        let (Ok(handle), Some(universe)) = (tokio::runtime::Handle::try_current(), self.universe.upgrade()) else {
            self.running.store(false, Ordering::Release);
            return;
        };
        let lifecycle = universe.lifecycle();
        let deleted = universe.is_deleted();
        drop(universe);
        if deleted {
            self.shut_down();
            return;
        }
        handle.spawn(dispatch(self.clone(), lifecycle));
    }

    /// A single-use Socket Mode ticket naming this universe (`{universe}-{secret}`).
    pub fn mint_ticket(self: &Arc<Self>) -> String {
        let now = Instant::now();
        let mut st = self.state.lock();
        st.tickets.retain(|(_, at)| now.duration_since(*at) < TICKET_TTL);
        while st.tickets.len() >= MAX_TICKETS {
            st.tickets.pop_front();
        }
        let secret = st.ids.lower_alnum(32);
        let ticket = format!("{}-{secret}", self.universe_id);
        st.tickets.push_back((ticket.clone(), now));
        ticket
    }

    /// Uses up a ticket: true once per valid, unexpired ticket.
    pub fn redeem(&self, ticket: &str) -> bool {
        let now = Instant::now();
        let mut st = self.state.lock();
        let Some(i) = st.tickets.iter().position(|(t, _)| t == ticket) else { return false };
        st.tickets.remove(i).is_some_and(|(_, at)| now.duration_since(at) < TICKET_TTL)
    }

    /// Registers a Socket Mode connection; `Err(n)` when `n` are open already.
    pub fn connect(self: &Arc<Self>) -> Result<Link, usize> {
        let link = {
            let mut st = self.state.lock();
            st.connections.retain(|c| !c.tx.is_closed());
            if st.connections.len() >= MAX_CONNECTIONS {
                return Err(st.connections.len());
            }
            st.next_connection += 1;
            let id = st.next_connection;
            let (tx, rx) = mpsc::channel(CONNECTION_QUEUE);
            st.connections.push(Connection { id, tx });
            Link { id, rx, num_connections: st.connections.len() }
        };
        self.wake.notify_one();
        self.ensure_running();
        Ok(link)
    }

    /// A connection went away: what it had not acknowledged goes to another one.
    pub fn disconnect(&self, id: u64) {
        let now = Instant::now();
        let mut st = self.state.lock();
        st.connections.retain(|c| c.id != id);
        for e in st.outbox.iter_mut() {
            if let Status::InFlight { connection: Some(c), .. } = e.status {
                if c == id {
                    e.status = Status::InFlight { deadline: now, connection: None };
                }
            }
        }
        drop(st);
        self.wake.notify_one();
    }

    /// An ack from the app, with the response it carries (to a slash command or an
    /// interaction), if any.
    pub fn ack(&self, envelope_id: &str, payload: Option<&Value>) -> bool {
        let mut st = self.state.lock();
        let Some(e) = st.outbox.iter_mut().find(|e| e.envelope_id == envelope_id) else { return false };
        if matches!(e.route, Route::Socket { .. }) && !e.status.finished() {
            e.status = Status::Delivered;
            match payload {
                Some(p) if e.envelope != Envelope::Events => e.note(json!({"ack": true, "response": p})),
                _ => e.note(json!({"ack": true})),
            }
            if e.envelope != Envelope::Events {
                let answer = Answer::Acked(payload.filter(|p| !p.is_null()).cloned());
                Self::answer(&mut st, envelope_id, answer);
            }
        }
        true
    }

    /// Tells whoever waits for the app's answer to `envelope_id` (once).
    fn answer(st: &mut HubState, envelope_id: &str, answer: Answer) {
        if let Some(i) = st.waiters.iter().position(|(id, _)| id == envelope_id) {
            let (_, tx) = st.waiters.swap_remove(i);
            // The waiter may have given up already: nothing to tell then.
            let _ = tx.send(answer);
        }
    }

    /// Queues a person's slash command or interaction for the app; gives its envelope id
    /// and route (`socket_mode` or `http`). `None` when the app takes neither (nothing
    /// would reach it).
    pub fn interact(
        self: &Arc<Self>,
        state: &SlackState,
        envelope: Envelope,
        kind: &str,
        payload: Value,
        now: DateTime<Utc>,
    ) -> Option<(String, &'static str)> {
        self.queue_interaction(state, envelope, kind, payload, now, None)
    }

    /// As [`Hub::interact`], and gives a receiver of the app's answer (its ack and what
    /// the ack carried, or why none came); the caller bounds its wait.
    pub fn interact_awaiting(
        self: &Arc<Self>,
        state: &SlackState,
        kind: &str,
        payload: Value,
        now: DateTime<Utc>,
    ) -> Option<(String, &'static str, oneshot::Receiver<Answer>)> {
        let (tx, rx) = oneshot::channel();
        let (id, route) = self.queue_interaction(state, Envelope::Interactive, kind, payload, now, Some(tx))?;
        Some((id, route, rx))
    }

    fn queue_interaction(
        self: &Arc<Self>,
        state: &SlackState,
        envelope: Envelope,
        kind: &str,
        payload: Value,
        now: DateTime<Utc>,
        waiter: Option<oneshot::Sender<Answer>>,
    ) -> Option<(String, &'static str)> {
        let route = route_of(&app_of(state)?);
        if matches!(route, Route::Nowhere) {
            return None;
        }
        let route_name = route.name();
        let envelope_id = {
            let mut st = self.state.lock();
            // Events of earlier writes go first.
            Self::settle(&mut st);
            st.next_seq += 1;
            let envelope_id = uuid(&mut st.ids);
            let entry = Entry {
                seq: st.next_seq,
                event_id: String::new(),
                envelope_id: envelope_id.clone(),
                envelope,
                kind: kind.to_string(),
                created_at: now,
                created: Instant::now(),
                payload: Arc::new(payload),
                route,
                status: Status::Pending { not_before: Instant::now() },
                attempts: 0,
                retry_reason: None,
                history: Vec::new(),
            };
            Self::push(&mut st, entry);
            if let Some(tx) = waiter {
                st.waiters.retain(|(_, w)| !w.is_closed());
                st.waiters.push((envelope_id.clone(), tx));
            }
            envelope_id
        };
        self.wake.notify_one();
        self.ensure_running();
        Some((envelope_id, route_name))
    }

    /// The caller stopped waiting for the app's answer to `envelope_id` (the person saw
    /// Slack's error): an interaction not sent yet never will be, as on Slack.
    pub fn abandon(&self, envelope_id: &str) {
        let mut st = self.state.lock();
        st.waiters.retain(|(id, _)| id != envelope_id);
        if let Some(e) = st.outbox.iter_mut().find(|e| e.envelope_id == envelope_id) {
            if matches!(e.status, Status::Pending { .. }) {
                e.status = Status::Failed("not sent in time: the person's wait was over".into());
            }
        }
    }

    /// Queues events that are no change of state (a person opening the App Home), as
    /// the app subscribes to them; gives the ids of the events queued.
    pub fn raise(self: &Arc<Self>, state: &SlackState, events: Vec<Event>, now: DateTime<Utc>) -> Vec<String> {
        let ids = {
            let mut st = self.state.lock();
            // Events of earlier writes go first.
            Self::settle(&mut st);
            let before = st.next_seq;
            Self::enqueue(&mut st, state, events, now, Instant::now());
            st.outbox.iter().filter(|e| e.seq > before).map(|e| e.event_id.clone()).collect::<Vec<_>>()
        };
        self.wake.notify_one();
        self.ensure_running();
        ids
    }

    /// A `response_url` secret for `target`.
    pub fn response_secret(&self, target: ResponseTarget) -> String {
        let now = Instant::now();
        let mut st = self.state.lock();
        st.responses.retain(|(_, _, at)| now.duration_since(*at) < RESPONSE_URL_TTL);
        while st.responses.len() >= MAX_RESPONSE_URLS {
            st.responses.pop_front();
        }
        let secret = st.ids.lower_alnum(24);
        st.responses.push_back((secret.clone(), target, now));
        secret
    }

    /// Takes one use of a `response_url`.
    pub fn respond_to(&self, secret: &str) -> Result<ResponseTarget, ResponseRefused> {
        let now = Instant::now();
        let mut st = self.state.lock();
        let Some((_, target, at)) = st.responses.iter_mut().find(|(s, ..)| s == secret) else {
            return Err(ResponseRefused::Expired);
        };
        if now.duration_since(*at) >= RESPONSE_URL_TTL {
            return Err(ResponseRefused::Expired);
        }
        if target.uses >= RESPONSE_URL_USES {
            return Err(ResponseRefused::Used);
        }
        target.uses += 1;
        Ok(target.clone())
    }

    /// A fresh `trigger_id` (`{digits}.{digits}.{hex}`, as Slack's look) for an
    /// interaction of `user`: it opens one modal or dialog within [`TRIGGER_TTL`].
    pub fn trigger_id(&self, user: &str, now: DateTime<Utc>) -> String {
        let mut st = self.state.lock();
        let a = st.ids.next_u64() % 10_000_000_000_000;
        let b = st.ids.next_u64() % 10_000_000_000_000;
        let id = format!("{a}.{b}.{}", st.ids.hex(32));
        st.triggers.push_back((id.clone(), user.to_string(), now, false));
        while st.triggers.len() > MAX_TRIGGERS {
            st.triggers.pop_front();
        }
        id
    }

    /// Spends a trigger id: the person whose interaction it came from.
    pub fn use_trigger(&self, id: &str, now: DateTime<Utc>) -> Result<String, TriggerRefused> {
        let mut st = self.state.lock();
        let Some(entry) = st.triggers.iter_mut().find(|(t, ..)| t == id) else { return Err(TriggerRefused::Invalid) };
        if entry.3 {
            return Err(TriggerRefused::Used);
        }
        if now - entry.2 >= TRIGGER_TTL {
            return Err(TriggerRefused::Expired);
        }
        entry.3 = true;
        Ok(entry.1.clone())
    }

    pub fn connection_count(&self) -> usize {
        let mut st = self.state.lock();
        st.connections.retain(|c| !c.tx.is_closed());
        st.connections.len()
    }

    /// A url_verification challenge.
    pub fn challenge(&self) -> String {
        let mut st = self.state.lock();
        format!("{}{}", st.ids.upper_id("", 24), st.ids.lower_alnum(24))
    }

    /// The outbox as the control plane shows it.
    pub fn view(self: &Arc<Self>) -> Value {
        let (view, settled) = {
            let mut st = self.state.lock();
            let settled = !st.changes.is_empty();
            Self::settle(&mut st);
            st.connections.retain(|c| !c.tx.is_closed());
            let events: Vec<Value> = st.outbox.iter().map(Entry::view).collect();
            (json!({"connections": st.connections.len(), "evicted": st.evicted, "events": events}), settled)
        };
        if settled {
            // The new entries' waits (and their expiry) are the dispatcher's to keep.
            self.wake.notify_one();
            self.ensure_running();
        }
        view
    }

    /// The universe was reset: its events are gone and its sockets are told to go.
    fn reset(&self) {
        let mut st = self.state.lock();
        st.changes.clear();
        st.outbox.clear();
        st.tickets.clear();
        st.responses.clear();
        // Dropping a waiter's sender tells it the interaction is gone.
        st.waiters.clear();
        st.http_in_flight = 0;
        st.generation += 1;
        // Dropping the senders ends each socket task, which says `link_disabled`.
        st.connections.clear();
    }

    fn shut_down(self: &Arc<Self>) {
        self.reset();
    }

    /// Sends what is due; returns when to look again.
    fn pump(self: &Arc<Self>, now: Instant) -> Option<Instant> {
        let mut jobs = Vec::new();
        let mut next: Option<Instant> = None;
        let mut soon = |at: Instant| next = Some(next.map_or(at, |n: Instant| n.min(at)));
        {
            let mut guard = self.state.lock();
            let st = &mut *guard;
            Self::settle(st);
            st.connections.retain(|c| !c.tx.is_closed());
            for e in st.outbox.iter_mut() {
                match (&e.route, &e.status) {
                    (Route::Socket { .. }, Status::InFlight { deadline, .. }) if *deadline <= now => {
                        if !e.envelope.redelivered() {
                            e.status = Status::Failed("not acknowledged in time (never redelivered)".into());
                            let answer = Answer::Failed("the app did not acknowledge in time".into());
                            if let Some(i) = st.waiters.iter().position(|(id, _)| *id == e.envelope_id) {
                                let _ = st.waiters.swap_remove(i).1.send(answer);
                            }
                        } else if e.attempts > MAX_SOCKET_RETRIES {
                            e.status = Status::Failed(format!("not acknowledged after {} deliveries", e.attempts));
                        } else {
                            e.retry_reason = Some("timeout");
                            e.status = Status::Pending { not_before: now };
                        }
                    }
                    (Route::Socket { .. }, Status::InFlight { deadline, .. }) => soon(*deadline),
                    _ => {}
                }
                let Status::Pending { not_before } = e.status else { continue };
                if not_before > now {
                    soon(not_before);
                    continue;
                }
                match e.route.clone() {
                    Route::Socket { ack_timeout } => {
                        if st.connections.is_empty() {
                            let expires = e.created + PENDING_TTL;
                            if expires <= now {
                                e.status = Status::Dropped(NO_SOCKET.into());
                            } else {
                                soon(expires);
                            }
                            continue;
                        }
                        let text = json!({
                            "envelope_id": e.envelope_id,
                            "type": e.envelope.socket_type(),
                            "payload": *e.payload,
                            "accepts_response_payload": e.envelope != Envelope::Events,
                            "retry_attempt": e.attempts,
                            "retry_reason": e.retry_reason.unwrap_or(""),
                        })
                        .to_string();
                        let count = st.connections.len();
                        let mut sent_to = None;
                        for i in 0..count {
                            let c = &st.connections[(st.round_robin + i) % count];
                            if c.tx.try_send(Outgoing::Text(text.clone())).is_ok() {
                                sent_to = Some((c.id, (st.round_robin + i + 1) % count));
                                break;
                            }
                        }
                        match sent_to {
                            Some((id, rr)) => {
                                st.round_robin = rr;
                                e.attempts += 1;
                                e.note(json!({"at": Utc::now(), "via": "socket_mode", "connection": id,
                                              "retry_attempt": e.attempts - 1}));
                                let deadline = now + ack_timeout;
                                e.status = Status::InFlight { deadline, connection: Some(id) };
                                soon(deadline);
                            }
                            // Every socket is backed up: try again shortly.
                            None => soon(now + Duration::from_millis(50)),
                        }
                    }
                    Route::Http { url, secret, settings } => {
                        if st.http_in_flight >= HTTP_CONCURRENCY {
                            continue;
                        }
                        st.http_in_flight += 1;
                        let retry = (e.attempts > 0).then(|| (e.attempts, e.retry_reason.unwrap_or("http_error")));
                        e.attempts += 1;
                        e.status = Status::InFlight { deadline: now, connection: None };
                        let (body, content_type) = e.envelope.http_body(&e.payload);
                        jobs.push(HttpJob {
                            seq: e.seq,
                            generation: st.generation,
                            url,
                            secret,
                            body,
                            content_type,
                            retry,
                            timeout: Duration::from_millis(settings.http_timeout_ms),
                        });
                    }
                    Route::Nowhere => {}
                }
            }
        }
        for job in jobs {
            tokio::spawn(send_http(self.clone(), job));
        }
        next
    }

    /// Records how an HTTP attempt went and schedules the retry, if any.
    fn http_done(&self, seq: u64, generation: u64, outcome: Outcome) {
        let now = Instant::now();
        let mut st = self.state.lock();
        if st.generation != generation {
            return;
        }
        st.http_in_flight = st.http_in_flight.saturating_sub(1);
        let Some(e) = st.outbox.iter_mut().find(|e| e.seq == seq) else { return };
        let Route::Http { settings, .. } = &e.route else { return };
        let delays = settings.retry_delays_ms.clone();
        let at = Utc::now();
        match outcome {
            Outcome::Ok { status, body } => {
                let mut note = json!({"at": at, "via": "http", "status": status, "retry_num": e.attempts - 1});
                let mut response = None;
                if e.envelope != Envelope::Events && !body.is_empty() {
                    // The app's answer to a person: Slack shows it to them.
                    let answer: Value = serde_json::from_str(&body).unwrap_or(Value::String(body));
                    note["response"] = answer.clone();
                    response = Some(answer);
                }
                e.note(note);
                e.status = Status::Delivered;
                if e.envelope != Envelope::Events {
                    let id = e.envelope_id.clone();
                    Self::answer(&mut st, &id, Answer::Acked(response));
                }
            }
            Outcome::Failed { reason, no_retry, detail } => {
                e.note(json!({"at": at, "via": "http", "error": detail, "retry_num": e.attempts - 1}));
                let retries_done = (e.attempts as usize).saturating_sub(1);
                if !e.envelope.redelivered() {
                    e.status = Status::Failed(format!("{detail} (never redelivered)"));
                    let id = e.envelope_id.clone();
                    Self::answer(&mut st, &id, Answer::Failed(detail));
                } else if no_retry {
                    e.status = Status::Failed(format!("{detail}; the app sent X-Slack-No-Retry: 1"));
                } else if let Some(delay) = delays.get(retries_done) {
                    e.retry_reason = Some(reason);
                    e.status = Status::Pending { not_before: now + Duration::from_millis(*delay) };
                } else {
                    e.status = Status::Failed(format!("{detail} (after {} retries)", retries_done));
                }
            }
        }
        drop(st);
        self.wake.notify_one();
    }
}

struct HttpJob {
    seq: u64,
    generation: u64,
    url: String,
    secret: String,
    body: String,
    content_type: &'static str,
    retry: Option<(u32, &'static str)>,
    timeout: Duration,
}

async fn send_http(hub: Arc<Hub>, job: HttpJob) {
    let outcome = post_signed(&job.url, &job.secret, job.body, job.content_type, job.retry, job.timeout).await;
    hub.http_done(job.seq, job.generation, outcome);
}

/// The hub's task: sends what is due, and reacts to resets and the universe's end.
async fn dispatch(hub: Arc<Hub>, mut lifecycle: tokio::sync::watch::Receiver<twin_core::universe::Lifecycle>) {
    loop {
        let next = hub.pump(Instant::now());
        let sleep = tokio::time::sleep_until(next.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600)));
        tokio::select! {
            _ = hub.wake.notified() => {}
            _ = sleep => {}
            changed = lifecycle.changed() => {
                let deleted = changed.is_err() || lifecycle.borrow_and_update().deleted;
                if deleted {
                    break;
                }
                hub.reset();
            }
        }
    }
    hub.shut_down();
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use twin_core::{Config, Core, CreateUniverse, Fixture, FixtureLibrary};

    use super::*;
    use crate::SlackTwin;

    fn universe() -> (Arc<Core>, Arc<Universe>) {
        let mut library = FixtureLibrary::default();
        library.insert("small", Fixture::generated(6));
        let core = Arc::new(Core::new(Config::default(), vec![Arc::new(SlackTwin::new())], library, "small"));
        let universe = core.create_universe(CreateUniverse::default()).unwrap();
        (core, universe)
    }

    /// Queues already derived events, as a settled change would.
    fn publish(hub: &Arc<Hub>, state: &SlackState, events: Vec<Event>) {
        Hub::enqueue(&mut hub.state.lock(), state, events, Utc::now(), Instant::now());
    }

    fn message(state: &SlackState, text: &str) -> Vec<Event> {
        let general = state.channel_by_name("general").unwrap().id.clone();
        let author = state.users.values().find(|u| u.person_key.is_some()).unwrap().id.clone();
        let mut after = state.clone();
        let m = crate::model::Message { user: Some(author), text: text.into(), ..Default::default() };
        after
            .post(&general, crate::model::NewMessage { message: m, ..Default::default() }, 1_700_000_000_000_000)
            .unwrap();
        events::derive(state, &after, None, 1_700_000_000_000_000)
    }

    #[test]
    fn the_outbox_is_bounded_and_drops_finished_events_first() {
        let (_core, universe) = universe();
        let state = universe.read::<SlackState, _>(|s| s.clone()).unwrap();
        let hub = hub(&universe);
        let event = message(&state, "hello");
        assert_eq!(event.len(), 1);
        for _ in 0..OUTBOX_CAP + 40 {
            publish(&hub, &state, event.clone());
        }
        let view = hub.view();
        assert_eq!(view["events"].as_array().unwrap().len(), OUTBOX_CAP);
        assert_eq!(view["evicted"], 40);
        // the oldest went first
        assert_eq!(view["events"][0]["seq"], 41);
        // a finished event is dropped before an older pending one
        let first = view["events"][0]["envelope_id"].as_str().unwrap().to_string();
        let second = view["events"][1]["envelope_id"].as_str().unwrap().to_string();
        {
            let mut st = hub.state.lock();
            st.outbox[1].status = Status::Delivered;
        }
        publish(&hub, &state, event);
        let view = hub.view();
        let ids: Vec<&str> =
            view["events"].as_array().unwrap().iter().map(|e| e["envelope_id"].as_str().unwrap()).collect();
        assert!(ids.contains(&first.as_str()) && !ids.contains(&second.as_str()));
        assert_eq!(view["evicted"], 40);
        assert_eq!(view["events"][0]["payload"]["type"], "event_callback");
        assert!(view["events"][0]["payload"]["event_id"].as_str().unwrap().starts_with("Ev"));
    }

    /// A write nobody listens to is only recorded; its events are made when the outbox
    /// is looked at (or a socket connects), in order, and a flood keeps the newest.
    #[test]
    fn changes_become_events_only_when_something_looks() {
        let (_core, universe) = universe();
        let state = universe.read::<SlackState, _>(|s| s.clone()).unwrap();
        let hub = hub(&universe);
        let post = |text: &str| {
            let general = state.channel_by_name("general").unwrap().id.clone();
            let author = state.users.values().find(|u| u.person_key.is_some()).unwrap().id.clone();
            let mut after = state.clone();
            let m = crate::model::Message { user: Some(author), text: text.into(), ..Default::default() };
            after
                .post(&general, crate::model::NewMessage { message: m, ..Default::default() }, 1_700_000_000_000_000)
                .unwrap();
            publish_change(&universe, state.clone(), after, None, Utc::now());
        };
        post("first");
        {
            let st = hub.state.lock();
            assert_eq!((st.changes.len(), st.outbox.len()), (1, 0), "no events made on the write path");
        }
        let view = hub.view();
        assert_eq!(view["events"].as_array().unwrap().len(), 1);
        assert_eq!(view["events"][0]["status"], "pending");
        assert_eq!(view["events"][0]["payload"]["event"]["text"], "first");
        assert!(hub.state.lock().changes.is_empty());

        for i in 0..OUTBOX_CAP + 5 {
            post(&format!("flood {i}"));
        }
        let view = hub.view();
        let events = view["events"].as_array().unwrap();
        assert_eq!(events.len(), OUTBOX_CAP);
        assert_eq!(view["evicted"], 6, "5 changes pushed out unmade, and the first event");
        assert_eq!(events.last().unwrap()["payload"]["event"]["text"], format!("flood {}", OUTBOX_CAP + 4));

        // A change to uploaded bytes is settled at once: no waiting change holds old bytes.
        let mut after = state.clone();
        after.file_contents.insert("F1".into(), "aGVsbG8=".into());
        publish_change(&universe, state.clone(), after, None, Utc::now());
        assert!(hub.state.lock().changes.is_empty());
    }

    #[test]
    fn commands_and_interactions_post_as_forms_and_are_never_redelivered() {
        let payload = json!({"command": "/deploy", "text": "a b&c", "is_enterprise_install": "false"});
        let (body, kind) = Envelope::SlashCommands.http_body(&payload);
        assert_eq!(kind, "application/x-www-form-urlencoded");
        assert_eq!(body, "command=%2Fdeploy&is_enterprise_install=false&text=a+b%26c");
        let (body, _) = Envelope::Interactive.http_body(&json!({"type": "block_actions"}));
        assert_eq!(body, "payload=%7B%22type%22%3A%22block_actions%22%7D");
        assert_eq!(Envelope::Events.http_body(&payload).1, "application/json");

        let (_core, universe) = universe();
        let state = universe.read::<SlackState, _>(|s| s.clone()).unwrap();
        let hub = hub(&universe);
        let mut link = hub.connect().unwrap();
        let (id, route) = hub.interact(&state, Envelope::SlashCommands, "slash_command", payload, Utc::now()).unwrap();
        assert_eq!(route, "socket_mode");
        let mut now = Instant::now();
        let mut sent = Vec::new();
        for _ in 0..3 {
            hub.pump(now);
            while let Ok(Outgoing::Text(text)) = link.rx.try_recv() {
                sent.push(serde_json::from_str::<Value>(&text).unwrap());
            }
            now += Duration::from_secs(4);
        }
        assert_eq!(sent.len(), 1, "sent once, never again");
        assert_eq!(
            (sent[0]["type"].as_str(), sent[0]["accepts_response_payload"].as_bool()),
            (Some("slash_commands"), Some(true))
        );
        assert_eq!(sent[0]["envelope_id"], id.as_str());
        assert_eq!(hub.view()["events"][0]["status"], "failed");
    }

    #[test]
    fn response_urls_take_five_answers() {
        let (_core, universe) = universe();
        let hub = hub(&universe);
        let target = ResponseTarget { channel: "C1".into(), user: "U1".into(), message_ts: None, uses: 0 };
        let secret = hub.response_secret(target.clone());
        for used in 1..=RESPONSE_URL_USES {
            assert_eq!(hub.respond_to(&secret), Ok(ResponseTarget { uses: used, ..target.clone() }));
        }
        assert_eq!(hub.respond_to(&secret), Err(ResponseRefused::Used));
        assert_eq!(hub.respond_to("nope"), Err(ResponseRefused::Expired));
    }

    #[test]
    fn tickets_are_single_use_and_name_their_universe() {
        let (_core, universe) = universe();
        let hub = hub(&universe);
        let ticket = hub.mint_ticket();
        assert!(ticket.starts_with(&format!("{}-", universe.id)));
        assert!(hub.redeem(&ticket));
        assert!(!hub.redeem(&ticket));
        assert!(!hub.redeem("nope"));
        let tickets: Vec<String> = (0..MAX_TICKETS + 5).map(|_| hub.mint_ticket()).collect();
        assert!(!hub.redeem(&tickets[0]), "the oldest ticket is forgotten past the cap");
        assert!(hub.redeem(&tickets[MAX_TICKETS + 4]));
        assert_ne!(tickets[1], tickets[2]);
    }

    #[test]
    fn one_hub_per_live_universe() {
        let (core, universe) = universe();
        assert!(Arc::ptr_eq(&hub(&universe), &hub(&universe)));
        let other = core.create_universe(CreateUniverse { id: Some("other".into()), ..Default::default() }).unwrap();
        assert!(!Arc::ptr_eq(&hub(&universe), &hub(&other)));
    }

    #[test]
    fn connections_are_capped_and_acks_deliver() {
        let (_core, universe) = universe();
        let state = universe.read::<SlackState, _>(|s| s.clone()).unwrap();
        let hub = hub(&universe);
        let links: Vec<Link> = (0..MAX_CONNECTIONS).map(|_| hub.connect().unwrap()).collect();
        assert_eq!(links.last().unwrap().num_connections, MAX_CONNECTIONS);
        assert_eq!(hub.connect().err(), Some(MAX_CONNECTIONS));
        publish(&hub, &state, message(&state, "hi"));
        hub.pump(Instant::now());
        let view = hub.view();
        assert_eq!(view["events"][0]["status"], "in_flight");
        let envelope = view["events"][0]["envelope_id"].as_str().unwrap().to_string();
        assert!(hub.ack(&envelope, None));
        assert_eq!(hub.view()["events"][0]["status"], "delivered");
        drop(links);
        assert_eq!(hub.connection_count(), 0);
    }

    #[test]
    fn unacked_envelopes_are_redelivered_with_a_higher_retry_attempt() {
        let (_core, universe) = universe();
        let state = universe.read::<SlackState, _>(|s| s.clone()).unwrap();
        let hub = hub(&universe);
        let mut link = hub.connect().unwrap();
        publish(&hub, &state, message(&state, "hi"));
        let mut now = Instant::now();
        let mut attempts = Vec::new();
        for _ in 0..=MAX_SOCKET_RETRIES + 1 {
            hub.pump(now);
            while let Ok(Outgoing::Text(text)) = link.rx.try_recv() {
                let v: Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["type"], "events_api");
                assert_eq!(v["accepts_response_payload"], false);
                attempts.push((v["retry_attempt"].as_u64().unwrap(), v["retry_reason"].as_str().unwrap().to_string()));
            }
            now += Duration::from_secs(4);
        }
        assert_eq!(
            attempts,
            [(0, "".to_string()), (1, "timeout".into()), (2, "timeout".into()), (3, "timeout".into())]
        );
        assert_eq!(hub.view()["events"][0]["status"], "failed");
    }
}
