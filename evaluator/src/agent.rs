//! Running the agent under test: one child process per run, in its own process
//! group, with a cleared environment, the intent on stdin, a hard timeout that ends
//! the whole group, and bounded capture of what it prints.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::process::Command;

/// How much of each output stream a run keeps: its first and its last bytes.
pub const CAPTURE_HEAD: usize = 8 * 1024;
pub const CAPTURE_TAIL: usize = 8 * 1024;
/// How long a group gets between SIGTERM and SIGKILL.
const GRACE: Duration = Duration::from_millis(500);
/// How long output is still read after the group is gone.
const DRAIN: Duration = Duration::from_secs(2);

/// Host variables an agent gets (everything else is cleared).
const INHERITED: [&str; 6] = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TERM"];
/// Host variables a child never gets: the control plane's admin token and where to find it.
const WITHHELD: [&str; 3] = ["DTU_ADMIN_TOKEN", "DTU_CONTROL_URL", "DTU_MANIFEST"];

/// How to start the agent.
#[derive(Debug, Clone)]
pub struct AgentCommand {
    /// Run with `sh -c`.
    pub command: String,
    /// Working directory (default: the evaluator's).
    pub cwd: Option<PathBuf>,
    /// Further host variables passed through by name (e.g. an LLM API key).
    pub pass_env: Vec<String>,
    /// Keep the whole host environment (the factory's coder and build steps; never
    /// the agent under test).
    pub inherit_env: bool,
}

/// What became of one agent process.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct AgentOutcome {
    pub exit_code: Option<i32>,
    pub signal: Option<i32>,
    pub timed_out: bool,
    pub duration_ms: f64,
    pub stdout: String,
    pub stderr: String,
    pub stdout_bytes: u64,
    pub stderr_bytes: u64,
    /// Set when the process could not be started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spawn_error: Option<String>,
}

impl AgentOutcome {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0) && !self.timed_out && self.spawn_error.is_none()
    }

    pub fn describe(&self) -> String {
        if let Some(e) = &self.spawn_error {
            return format!("could not start: {e}");
        }
        if self.timed_out {
            return format!("timed out after {:.1} s; its process group was killed", self.duration_ms / 1000.0);
        }
        match (self.exit_code, self.signal) {
            (Some(0), _) => "exited 0".into(),
            (Some(c), _) => format!("exited {c}"),
            (None, Some(s)) => format!("killed by signal {s}"),
            (None, None) => "ended without a status".into(),
        }
    }
}

/// A sink for live agent output lines (`--passthrough`).
pub type Echo = Arc<dyn Fn(&str) + Send + Sync>;

/// Keeps the first [`CAPTURE_HEAD`] and last [`CAPTURE_TAIL`] bytes of a stream.
#[derive(Default)]
struct Capture {
    head: Vec<u8>,
    tail: std::collections::VecDeque<u8>,
    total: u64,
}

impl Capture {
    fn push(&mut self, bytes: &[u8]) {
        self.total += bytes.len() as u64;
        let room = CAPTURE_HEAD.saturating_sub(self.head.len());
        let (h, t) = bytes.split_at(room.min(bytes.len()));
        self.head.extend_from_slice(h);
        for b in t {
            if self.tail.len() == CAPTURE_TAIL {
                self.tail.pop_front();
            }
            self.tail.push_back(*b);
        }
    }

    fn text(&self) -> String {
        let mut out = String::from_utf8_lossy(&self.head).into_owned();
        let kept = (self.head.len() + self.tail.len()) as u64;
        if self.total > kept {
            out.push_str(&format!("\n[… {} bytes omitted …]\n", self.total - kept));
        }
        let tail: Vec<u8> = self.tail.iter().copied().collect();
        out.push_str(&String::from_utf8_lossy(&tail));
        out
    }
}

async fn capture<R: AsyncRead + Unpin>(mut reader: R, echo: Option<(Echo, &'static str)>) -> Capture {
    let mut cap = Capture::default();
    let mut buf = [0u8; 8192];
    let mut pending = Vec::new();
    loop {
        match reader.read(&mut buf).await {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                cap.push(&buf[..n]);
                if let Some((echo, prefix)) = &echo {
                    pending.extend_from_slice(&buf[..n]);
                    while let Some(i) = pending.iter().position(|b| *b == b'\n') {
                        let line: Vec<u8> = pending.drain(..=i).collect();
                        echo(&format!("{prefix}{}", String::from_utf8_lossy(&line).trim_end()));
                    }
                    if pending.len() > 4096 {
                        echo(&format!("{prefix}{}", String::from_utf8_lossy(&pending)));
                        pending.clear();
                    }
                }
            }
        }
    }
    if let Some((echo, prefix)) = &echo {
        if !pending.is_empty() {
            echo(&format!("{prefix}{}", String::from_utf8_lossy(&pending)));
        }
    }
    cap
}

/// Process groups of agents running now, so an interrupted evaluation can end them
/// (they are in their own groups, so the terminal's Ctrl-C does not reach them).
static RUNNING: std::sync::Mutex<std::collections::BTreeSet<u32>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// Kills every agent process group still running; returns how many there were.
pub fn kill_all_running() -> usize {
    let groups: Vec<u32> = match RUNNING.lock() {
        Ok(mut g) => std::mem::take(&mut *g).into_iter().collect(),
        Err(_) => return 0,
    };
    for pid in &groups {
        signal_group(*pid, libc::SIGKILL);
    }
    groups.len()
}

fn track(pid: u32, running: bool) {
    if let Ok(mut g) = RUNNING.lock() {
        if running {
            g.insert(pid);
        } else {
            g.remove(&pid);
        }
    }
}

/// Sends `signal` to every process of the group led by `pid`.
fn signal_group(pid: u32, signal: i32) {
    let Ok(pgid) = i32::try_from(pid) else { return };
    if pgid <= 1 {
        return;
    }
    // SAFETY: kill(2) takes plain integers and touches no memory of ours; a negative
    // pid addresses the process group the child leads (it was spawned with
    // process_group(0)). Errors such as ESRCH (group already gone) are ignored.
    unsafe {
        libc::kill(-pgid, signal);
    }
}

/// Runs the agent once: `env` on top of a cleared environment, `prompt` on stdin.
pub async fn run(
    cmd: &AgentCommand,
    env: &[(String, String)],
    prompt: &str,
    timeout: Duration,
    echo: Option<Echo>,
) -> AgentOutcome {
    let started = Instant::now();
    let mut command = Command::new("sh");
    command.arg("-c").arg(&cmd.command);
    if !cmd.inherit_env {
        command.env_clear();
        for name in INHERITED.iter().map(|s| s.to_string()).chain(cmd.pass_env.iter().cloned()) {
            if let Ok(v) = std::env::var(&name) {
                command.env(&name, v);
            }
        }
    }
    // The control plane's key never reaches an agent or a coder, even when asked for
    // by --agent-env or inherited whole.
    for name in WITHHELD {
        command.env_remove(name);
    }
    command.env("NO_PROXY", "127.0.0.1,localhost").env("no_proxy", "127.0.0.1,localhost");
    command.env("PYTHONUNBUFFERED", "1");
    for (k, v) in env {
        command.env(k, v);
    }
    if let Some(dir) = &cmd.cwd {
        command.current_dir(dir);
    }
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    command.process_group(0);
    command.kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            return AgentOutcome {
                spawn_error: Some(e.to_string()),
                duration_ms: started.elapsed().as_secs_f64() * 1000.0,
                ..Default::default()
            }
        }
    };
    let pid = child.id().unwrap_or(0);
    track(pid, true);
    if let Some(mut stdin) = child.stdin.take() {
        let prompt = prompt.to_string();
        tokio::spawn(async move {
            // An agent that never reads its stdin is fine.
            let _ = stdin.write_all(prompt.as_bytes()).await;
            let _ = stdin.shutdown().await;
        });
    }
    let out_echo = echo.clone().map(|e| (e, "  │ "));
    let err_echo = echo.map(|e| (e, "  ┆ "));
    let stdout = child.stdout.take().map(|s| tokio::spawn(capture(s, out_echo)));
    let stderr = child.stderr.take().map(|s| tokio::spawn(capture(s, err_echo)));

    let mut timed_out = false;
    let status = match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => status.ok(),
        Err(_) => {
            timed_out = true;
            signal_group(pid, libc::SIGTERM);
            match tokio::time::timeout(GRACE, child.wait()).await {
                Ok(s) => s.ok(),
                Err(_) => {
                    signal_group(pid, libc::SIGKILL);
                    child.wait().await.ok()
                }
            }
        }
    };
    // Whatever the agent left running in its group goes too.
    signal_group(pid, libc::SIGKILL);
    track(pid, false);
    let duration_ms = started.elapsed().as_secs_f64() * 1000.0;
    let collect = |h: Option<tokio::task::JoinHandle<Capture>>| async move {
        match h {
            Some(h) => tokio::time::timeout(DRAIN, h).await.ok().and_then(|r| r.ok()).unwrap_or_default(),
            None => Capture::default(),
        }
    };
    let (out, err) = (collect(stdout).await, collect(stderr).await);
    use std::os::unix::process::ExitStatusExt;
    AgentOutcome {
        exit_code: status.and_then(|s| s.code()),
        signal: status.and_then(|s| s.signal()),
        timed_out,
        duration_ms,
        stdout: out.text(),
        stderr: err.text(),
        stdout_bytes: out.total,
        stderr_bytes: err.total,
        spawn_error: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(s: &str) -> AgentCommand {
        AgentCommand { command: s.into(), cwd: None, pass_env: vec![], inherit_env: false }
    }

    #[tokio::test]
    async fn passes_prompt_env_and_exit_code() {
        let env = vec![("DTU_PROMPT".to_string(), "hello".to_string())];
        let out = run(
            &cmd("read line; echo \"got $line $DTU_PROMPT\"; echo oops >&2; exit 3"),
            &env,
            "hi\n",
            Duration::from_secs(10),
            None,
        )
        .await;
        assert_eq!(out.exit_code, Some(3));
        assert_eq!(out.stdout.trim(), "got hi hello");
        assert_eq!(out.stderr.trim(), "oops");
        assert!(!out.succeeded());
        assert_eq!(out.describe(), "exited 3");
    }

    #[tokio::test]
    async fn environment_is_cleared() {
        std::env::set_var("DTU_TEST_SECRET_SHOULD_NOT_LEAK", "x");
        let out =
            run(&cmd("echo \"[${DTU_TEST_SECRET_SHOULD_NOT_LEAK:-}]\""), &[], "", Duration::from_secs(10), None).await;
        assert_eq!(out.stdout.trim(), "[]");
        assert!(out.succeeded());
    }

    #[tokio::test]
    async fn timeout_kills_the_whole_group() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("survivor");
        // A grandchild that would write the marker after 2 s unless killed with the group.
        let script = format!("(sleep 2; touch {}) & sleep 30", marker.display());
        let started = Instant::now();
        let out = run(&cmd(&script), &[], "", Duration::from_millis(300), None).await;
        assert!(out.timed_out, "{out:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
        assert!(out.describe().contains("timed out"));
        tokio::time::sleep(Duration::from_millis(2500)).await;
        assert!(!marker.exists(), "a process of the group outlived the timeout");
    }

    #[tokio::test]
    async fn stragglers_are_killed_after_a_normal_exit() {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("straggler");
        let script = format!("(sleep 1; touch {}) >/dev/null 2>&1 & exit 0", marker.display());
        let out = run(&cmd(&script), &[], "", Duration::from_secs(10), None).await;
        assert!(out.succeeded(), "{out:?}");
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert!(!marker.exists());
    }

    #[tokio::test]
    async fn output_is_bounded() {
        let out = run(&cmd("head -c 100000 /dev/zero | tr '\\0' a"), &[], "", Duration::from_secs(10), None).await;
        assert_eq!(out.stdout_bytes, 100_000);
        assert!(out.stdout.len() < CAPTURE_HEAD + CAPTURE_TAIL + 100);
        assert!(out.stdout.contains("bytes omitted"));
    }

    #[tokio::test]
    async fn echo_sees_lines_and_missing_program_is_reported() {
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        let echo: Echo = Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_string()));
        let out = run(&cmd("echo a; echo b"), &[], "", Duration::from_secs(10), Some(echo)).await;
        assert!(out.succeeded());
        assert_eq!(lines.lock().unwrap().len(), 2);
        let out = run(&cmd("exec /nonexistent/agent"), &[], "", Duration::from_secs(10), None).await;
        assert_eq!(out.exit_code, Some(127));
    }
}
