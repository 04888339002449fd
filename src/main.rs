//! `dtu`: the Digital Twin Universe command line.

use dtu::serve;

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
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("DTU_LOG").unwrap_or_else(|_| "warn".into()))
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Serve(args) => serve::run(args),
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
