//! `--shard auto/N` reads the shard's index from the process environment, where
//! Kubernetes puts it (JOB_COMPLETION_INDEX). The only test of this binary, so setting
//! the variable races no other test.

use clap::Parser;
use dtu_evaluator::cli::EvalArgs;
use dtu_evaluator::shard::JOB_INDEX_ENV;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    run: EvalArgs,
}

#[test]
fn auto_takes_the_index_from_job_completion_index() {
    let args = Cli::try_parse_from(["dtu-eval", "--scenarios", "s", "--agent", "a", "--shard", "auto/7"]).unwrap().run;

    // SAFETY: this binary's only test; nothing else reads the environment meanwhile.
    unsafe { std::env::set_var(JOB_INDEX_ENV, "4") };
    let shard = args.options().unwrap().shard.unwrap();
    assert_eq!((shard.index, shard.count), (4, 7));

    unsafe { std::env::set_var(JOB_INDEX_ENV, "7") };
    let e = args.options().unwrap_err().to_string();
    assert!(e.contains("JOB_COMPLETION_INDEX=\"7\" is not an index from 0 to 6"), "{e}");

    unsafe { std::env::remove_var(JOB_INDEX_ENV) };
    let e = args.options().unwrap_err().to_string();
    assert!(e.contains("JOB_COMPLETION_INDEX is not set") && e.contains("--shard I/7"), "{e}");

    // A fixed index ignores the variable.
    unsafe { std::env::set_var(JOB_INDEX_ENV, "1") };
    let fixed = Cli::try_parse_from(["dtu-eval", "--scenarios", "s", "--agent", "a", "--shard", "2/3"]).unwrap().run;
    let shard = fixed.options().unwrap().shard.unwrap();
    assert_eq!((shard.index, shard.count), (2, 3));
    let e = Cli::try_parse_from(["dtu-eval", "--scenarios", "s", "--shard", "3/3"]).err().unwrap().to_string();
    assert!(e.contains("index 3 is not below the shard count 3"), "{e}");
}
