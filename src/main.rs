//! `ea-usage-archiver`: parse flags, set up logging, run, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use ea_usage_archiver::{cli::Cli, commands, logging};

fn main() -> ExitCode {
    ea_usage_archiver::alloc_tuning::tune();
    let cli = Cli::parse();
    logging::init(cli.log_format);
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
    let code = runtime.block_on(commands::run(cli));
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
