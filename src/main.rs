//! `dtu`: the Digital Twin Universe command line.

use dtu::{control_cli, serve};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "dtu", version, about = "DTU, the Digital Twin Universe: behaviour-faithful twins of SaaS APIs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve every twin with a default universe.
    Serve(serve::ServeArgs),
    /// Run scenarios against an agent and score it (`dtu eval compare A.json B.json` compares two runs).
    Eval(dtu_evaluator::cli::EvalCommand),
    /// Iterate coder → build → eval → feedback until satisfaction reaches a threshold.
    Factory(dtu_evaluator::factory::FactoryArgs),
    /// Universes of a running `dtu serve`: list, create, fork, delete, reset, snapshot, restore, export, import, diff.
    Universe {
        #[command(flatten)]
        target: control_cli::Target,
        #[command(subcommand)]
        command: control_cli::UniverseCommand,
    },
    /// A universe's request journal (`--follow` to keep watching).
    Journal {
        #[command(flatten)]
        target: control_cli::Target,
        #[command(flatten)]
        args: control_cli::JournalArgs,
    },
    /// Chaos rules: list, add, rm, apply a profile.
    Chaos {
        #[command(flatten)]
        target: control_cli::Target,
        #[command(subcommand)]
        command: control_cli::ChaosCommand,
    },
    /// A universe's clock: get, set (freeze, thaw), advance.
    Clock {
        #[command(flatten)]
        target: control_cli::Target,
        #[command(subcommand)]
        command: control_cli::ClockCommand,
    },
    /// A universe's state: its collections and record counts (--json for the records).
    State {
        #[command(flatten)]
        target: control_cli::Target,
        #[command(flatten)]
        args: control_cli::StateArgs,
    },
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("DTU_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Universe { target, command } => control(control_cli::universe(&target, command)),
        Command::Journal { target, args } => control(control_cli::journal(&target, args)),
        Command::Chaos { target, command } => control(control_cli::chaos(&target, command)),
        Command::Clock { target, command } => control(control_cli::clock(&target, command)),
        Command::State { target, args } => control(control_cli::state(&target, args)),
        Command::Eval(cmd) => return dtu_evaluator::cli::eval_main(cmd, dtu::twins::all()),
        Command::Factory(args) => return dtu_evaluator::cli::factory_main(args, dtu::twins::all()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("dtu: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

/// A control command's failure, as `dtu serve`'s are shown.
fn control(result: Result<(), control_cli::CliError>) -> Result<(), serve::ServeError> {
    result.map_err(|e| serve::ServeError::Usage(e.to_string()))
}
