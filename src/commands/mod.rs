//! The subcommands. Each takes its parsed flags, checks them into its config (`crate::config`),
//! runs, prints its report on stdout and returns the process exit code.
//!
//! | command | file |
//! |---|---|
//! | `archive` | `archive.rs` |
//! | `verify` | `verify.rs` |
//! | `history`, `diff`, `restore` | `versions.rs` |
//! | `simulate`, `demo`, `sim-totals`, `bench-parse` (feature `sim`) | `tools.rs` |

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

#[cfg(feature = "sim")]
pub(crate) use archive::archive_with;

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> i32 {
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
        Command::SimTotals(args) => tools::sim_totals(&args),
        #[cfg(feature = "sim")]
        Command::BenchParse(args) => tools::bench_parse(&args),
    }
}
