//! The `ea-usage-archiver` binary: allocator settings, flags, logging, the async runtime, the
//! command, the exit code. `src/main.rs` only calls [`main`].

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;

/// Runs the binary and returns its exit code.
pub fn main() -> ExitCode {
    crate::alloc_tuning::tune(); // before any thread starts
    let cli = Cli::parse();
    crate::tls::install_crypto_provider();
    crate::logging::init(cli.log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(crate::commands::run(cli));
    // Everything the command awaited has ended; a blocking read still stuck in the kernel (a
    // hung network mount under a local exports root) must not hold the exit after a signal.
    runtime.shutdown_timeout(std::time::Duration::from_secs(5));
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
