//! `dtu serve`: every twin on 127.0.0.1 with the default universe.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{json, Value};
use twin_core::chaos::RuleSpec;
use twin_core::{Config, ControlAccess, Core, CreateUniverse, Fixture, FixtureLibrary};

/// The default fixture, built in so `dtu serve` works from any directory.
const DEFAULT_FIXTURE: &str = include_str!("../fixtures/default.yaml");

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Control port; twins take the next ports (slack +1, okta +2, jira +3, google +4). 0 picks free ports.
    #[arg(long, default_value_t = 8700)]
    port_base: u16,
    /// Write the default universe's manifest (base URLs, credentials) here as JSON once every port listens.
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// The fixture of the default universe (YAML). Default: the built-in fixtures/default.yaml.
    #[arg(long)]
    fixture: Option<PathBuf>,
    /// Also offer every *.yaml fixture of this directory by name to `POST /_dtu/universes`.
    #[arg(long)]
    fixtures_dir: Option<PathBuf>,
    /// A chaos profile installed as global rules at start: a YAML file (`rules: [...]`),
    /// or the name of one in ./chaos (`--chaos flaky-slack`).
    #[arg(long)]
    chaos: Option<PathBuf>,
    /// Answer with each vendor's real rate limits (token buckets per universe, principal and tier).
    #[arg(long)]
    realistic_limits: bool,
    /// Journal entries kept per universe.
    #[arg(long, default_value_t = 10_000)]
    journal_cap: usize,
    /// Seed of the id and token generators.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// The most universes that may exist at once.
    #[arg(long, default_value_t = 10_000)]
    max_universes: usize,
    /// The most records (messages, users, files, …) one universe may hold; past it, writes
    /// that would add more are refused as each vendor refuses a full quota.
    #[arg(long, default_value_t = twin_core::DEFAULT_STATE_BUDGET_RECORDS)]
    state_budget: usize,
    /// The control plane's admin token (`Authorization: Bearer <token>`). Default: a
    /// fresh random token each start, printed below and written to --manifest.
    #[arg(long, env = "DTU_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Serve the control plane without the admin token, for local tinkering. Only with
    /// a loopback --bind; cross-site browser requests are refused all the same.
    #[arg(long, conflicts_with = "admin_token")]
    open_control_plane: bool,
    /// An evaluation's --out directory the dashboard may show (repeatable). The
    /// dashboard reads no other directory.
    #[arg(long = "eval-dir", value_name = "PATH")]
    eval_dirs: Vec<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    Fixture(#[from] twin_core::FixtureError),
    #[error("cannot listen: {0}")]
    Bind(std::io::Error),
    #[error("chaos profile {path}: {message}")]
    Chaos { path: String, message: String },
    #[error("cannot write the manifest {path}: {source}")]
    Manifest { path: String, source: std::io::Error },
    #[error("the default universe: {0}")]
    Universe(#[from] twin_core::ControlError),
    #[error("cannot start the runtime: {0}")]
    Runtime(std::io::Error),
    #[error(transparent)]
    Dashboard(#[from] crate::dashboard::DashboardError),
    #[error("{0}")]
    Usage(String),
}

#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct ChaosProfile {
    #[serde(default)]
    #[allow(dead_code)]
    description: Option<String>,
    rules: Vec<RuleSpec>,
}

fn fixture_library(args: &ServeArgs) -> Result<(FixtureLibrary, String), ServeError> {
    let mut library = FixtureLibrary::default();
    library.insert("default", Fixture::from_yaml("fixtures/default.yaml", DEFAULT_FIXTURE)?);
    library.insert("large", Fixture::large());
    if let Some(dir) = &args.fixtures_dir {
        library.load_dir(dir)?;
    }
    let default = match &args.fixture {
        Some(path) => {
            let fixture = Fixture::from_file(path)?;
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("custom").to_string();
            library.insert(&name, fixture);
            name
        }
        None => "default".to_string(),
    };
    Ok((library, default))
}

/// A profile given by path, or by bare name from ./chaos.
fn chaos_profile_path(given: &Path) -> PathBuf {
    let by_name = Path::new("chaos").join(given).with_extension("yaml");
    if !given.exists() && given.components().count() == 1 && by_name.exists() {
        by_name
    } else {
        given.to_path_buf()
    }
}

fn install_chaos(core: &Core, given: &Path) -> Result<usize, ServeError> {
    let path = &chaos_profile_path(given);
    let err = |message: String| ServeError::Chaos { path: path.display().to_string(), message };
    let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
    let profile: ChaosProfile = serde_yaml_ng::from_str(&text).map_err(|e| err(e.to_string()))?;
    let count = profile.rules.len();
    for rule in profile.rules {
        core.chaos.add(rule, &core.services()).map_err(|e| err(e.to_string()))?;
    }
    Ok(count)
}

fn write_manifest(path: &Path, manifest: &Value) -> Result<(), ServeError> {
    let err = |source| ServeError::Manifest { path: path.display().to_string(), source };
    // Written to a temporary file and renamed, so a reader never sees half a manifest.
    let tmp = path.with_extension("json.tmp");
    let text = serde_json::to_string_pretty(manifest).unwrap_or_default();
    std::fs::write(&tmp, text).map_err(err)?;
    std::fs::rename(&tmp, path).map_err(err)
}

fn banner(manifest: &Value, bind: IpAddr) -> String {
    let s = |v: &Value| v.as_str().unwrap_or("").to_string();
    let mut out = format!("DTU {} — the Digital Twin Universe\n", env!("CARGO_PKG_VERSION"));
    if !bind.is_loopback() {
        out += &format!(
            "  WARNING: listening on {bind}, beyond this machine; the URLs below name 127.0.0.1.\n  \
             Anyone who can reach these ports reaches the twins; the control plane needs the admin token.\n"
        );
    }
    out += &format!("  control plane  {}\n", s(&manifest["control_url"]));
    match manifest["admin_token"].as_str() {
        Some(token) => out += &format!("    admin_token  {token}   (Authorization: Bearer …)\n"),
        None => out += "    admin_token  none: --open-control-plane (loopback only)\n",
    }
    let dashboard = s(&manifest["control_url"]).trim_end_matches("/_dtu/").to_string();
    match manifest["admin_token"].as_str() {
        Some(_) => out += &format!("    dashboard    {dashboard}/   (any user name, the admin token as password)\n"),
        None => out += &format!("    dashboard    {dashboard}/\n"),
    }
    if let Some(slack) = manifest.get("slack") {
        out += "\n  Slack    WebClient(token=..., base_url=...)  /  new WebClient(token, {slackApiUrl})\n";
        out += &format!("    base_url     {}\n", s(&slack["base_url"]));
        out += &format!("    bot_token    {}\n", s(&slack["bot_token"]));
        out += &format!("    user_token   {}\n", s(&slack["user_token"]));
        out += &format!("    app_token    {}\n", s(&slack["app_token"]));
        out += &format!("    client_id    {}\n", s(&slack["client_id"]));
        out += &format!("    client_secret {}\n", s(&slack["client_secret"]));
        out += &format!("    authorize    {}\n", s(&slack["oauth_authorize_url"]));
    }
    if let Some(okta) = manifest.get("okta") {
        out += "\n  Okta     OKTA_CLIENT_ORGURL / OKTA_CLIENT_TOKEN (Python SDK on http: OKTA_TESTING_TESTINGDISABLEHTTPSCHECK=true)\n";
        out += &format!("    org_url      {}\n", s(&okta["org_url"]));
        out += &format!("    api_token    {}\n", s(&okta["api_token"]));
    }
    if let Some(jira) = manifest.get("jira") {
        out += "\n  Jira     JIRA(server, basic_auth=(email, api_token))  /  createCloudClient({host, auth: {type: 'basic', email, apiToken}})\n";
        out += &format!("    base_url     {}\n", s(&jira["base_url"]));
        out += &format!("    email        {}\n", s(&jira["email"]));
        out += &format!("    api_token    {}\n", s(&jira["api_token"]));
        out += &format!("    bearer_token {}\n", s(&jira["bearer_token"]));
    }
    if let Some(google) = manifest.get("google") {
        out += "\n  Google   build('drive', 'v3', credentials=..., discoveryServiceUrl=...)  /  google.drive({version: 'v3', auth, rootUrl})\n";
        out += &format!("    endpoint       {}\n", s(&google["endpoint"]));
        out += &format!("    drive_endpoint {}\n", s(&google["drive_endpoint"]));
        out += &format!("    discovery      {}\n", s(&google["discovery_urls"]["drive"]));
        out += &format!("    discovery v2   {}   (PyDrive2)\n", s(&google["discovery_urls"]["drive_v2"]));
        out += &format!("    access_token   {}   ({})\n", s(&google["access_token"]), s(&google["user"]));
        out += &format!(
            "    token_uri      {}   (service account key: the manifest's google.service_account)\n",
            s(&google["token_uri"])
        );
    }
    out += "\n  universe 'default' (fixture ";
    out += &s(&manifest["fixture"]);
    out += "); Ctrl-C stops.\n";
    out
}

pub fn run(args: ServeArgs) -> Result<(), ServeError> {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().map_err(ServeError::Runtime)?;
    runtime.block_on(serve(args))
}

/// The control plane's access rule: a token (given or minted), or open on loopback only.
fn control_access(args: &ServeArgs) -> Result<ControlAccess, ServeError> {
    if args.open_control_plane {
        if !args.bind.is_loopback() {
            return Err(ServeError::Usage(format!(
                "--open-control-plane is for loopback only; bound to {} the control plane always needs the admin token",
                args.bind
            )));
        }
        return Ok(ControlAccess::Open);
    }
    match &args.admin_token {
        Some(token) if token.len() < 16 || !token.bytes().all(|b| b.is_ascii_graphic()) => Err(ServeError::Usage(
            "--admin-token (DTU_ADMIN_TOKEN) must be at least 16 printable characters without spaces".into(),
        )),
        Some(token) => Ok(ControlAccess::AdminToken(token.clone())),
        None => Ok(ControlAccess::mint()),
    }
}

async fn serve(args: ServeArgs) -> Result<(), ServeError> {
    let (fixtures, default_fixture) = fixture_library(&args)?;
    let control_access = control_access(&args)?;
    let config = Config {
        control_access,
        state_budget_records: args.state_budget.max(1),
        journal_cap: args.journal_cap.max(1),
        realistic_limits: args.realistic_limits,
        max_universes: args.max_universes.max(1),
        seed: args.seed,
        ..Config::default()
    };
    let core = Arc::new(Core::new(config, crate::twins::all(), fixtures, &default_fixture));
    if let Some(path) = &args.chaos {
        let n = install_chaos(&core, path)?;
        tracing::info!(rules = n, "chaos profile installed");
    }
    let universe = core.create_universe(CreateUniverse { id: Some("default".into()), ..Default::default() })?;
    for dir in &args.eval_dirs {
        if !dir.is_dir() {
            return Err(ServeError::Usage(format!("--eval-dir {}: not a directory", dir.display())));
        }
    }
    let dashboard = crate::dashboard::Dashboard::new(core.clone(), args.eval_dirs.clone(), Path::new("chaos"))?;
    let control = twin_core::serve::control_router_with(core.clone(), dashboard.router());
    let bound =
        twin_core::serve::bind_all_with(&core, args.bind, args.port_base, control).await.map_err(ServeError::Bind)?;
    let shutdown = shutdown_signal();
    let mut manifest = core.universe_object(&universe);
    // The manifest is the harness's: it alone carries the admin token (the universe
    // object that the control plane serves, and that agents' settings come from, does not).
    manifest["admin_token"] = json!(core.config.control_access.token());
    manifest["bind"] = json!(args.bind.to_string());
    if let Some(path) = &args.manifest {
        write_manifest(path, &manifest)?;
    }
    if !args.bind.is_loopback() {
        tracing::warn!(bind = %args.bind, "listening beyond loopback");
    }
    println!("{}", banner(&manifest, args.bind));
    let ports = Value::from(bound.iter().map(|b| json!({"name": b.name, "url": b.base_url()})).collect::<Vec<_>>());
    tracing::info!(%ports, "listening");
    twin_core::serve::run(bound, shutdown).await;
    Ok(())
}

/// Ctrl-C or SIGTERM. The handlers are installed when this is called, not when the
/// future is first polled: a harness that signals as soon as the manifest appears must
/// find them in place (the manifest is written after this call).
fn shutdown_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let interrupt = signal(SignalKind::interrupt());
        let terminate = signal(SignalKind::terminate());
        async move {
            match (interrupt, terminate) {
                (Ok(mut i), Ok(mut t)) => {
                    tokio::select! {
                        _ = i.recv() => {},
                        _ = t.recv() => {},
                    }
                }
                _ => {
                    let _ = tokio::signal::ctrl_c().await;
                }
            }
        }
    }
    #[cfg(not(unix))]
    async {
        let _ = tokio::signal::ctrl_c().await;
    }
}
