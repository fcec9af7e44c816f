//! The subcommands. Each takes its parsed flags, checks them into its config (`crate::config`),
//! runs and prints its report on stdout. Each returns a [`Result`]: `Ok` with the exit code its
//! report calls for (a failed partition, a `verify` mismatch), or the error that stopped it,
//! which [`run`] alone turns into the message (the whole cause chain, logged and on stderr) and
//! the exit code. Nothing below prints an error itself.
//!
//! | command | file |
//! |---|---|
//! | `archive` | `archive.rs` |
//! | `verify` | `verify.rs` |
//! | `history`, `diff`, `restore` | `versions.rs` |
//! | `simulate`, `demo` (feature `sim`); `sim-totals`, `bench-parse` (test-only feature `test-hooks`) | `tools.rs` |

/// `println!` that never panics: a reader that closed stdout (`| head`) is not an error.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

mod archive;
#[cfg(feature = "sim")]
mod tools;
mod verify;
mod versions;

use crate::cli::{Cli, Command};
use crate::error::RunError;

#[cfg(feature = "sim")]
pub(crate) use archive::archive_with;

/// What a command that ran to its end reports: the exit code its report calls for.
type Done = Result<i32, RunError>;

/// Runs the parsed command line and returns the process exit code.
pub async fn run(cli: Cli) -> i32 {
    match dispatch(cli).await {
        Ok(code) => code,
        Err(e) => {
            let chain = e.chain();
            tracing::error!(error = %chain, "run failed");
            eprintln!("error: {chain}");
            e.exit_code()
        }
    }
}

async fn dispatch(cli: Cli) -> Done {
    match cli.command {
        Command::Archive(args) => archive::archive(&args).await,
        Command::Verify(args) => verify::verify(&args).await,
        Command::History(args) => versions::history(&args).await,
        Command::Diff(args) => versions::diff(&args).await,
        Command::Restore(args) => versions::restore(&args).await,
        #[cfg(feature = "sim")]
        Command::Simulate(args) => tools::simulate(&args).await,
        #[cfg(feature = "sim")]
        Command::Demo(args) => tools::demo(&args).await,
        #[cfg(feature = "sim")]
        Command::SimulateExports(args) => tools::simulate_exports(&args),
        #[cfg(feature = "test-hooks")]
        Command::SimTotals(args) => tools::sim_totals(&args),
        #[cfg(feature = "test-hooks")]
        Command::BenchParse(args) => tools::bench_parse(&args),
    }
}
