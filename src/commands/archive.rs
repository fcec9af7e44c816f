//! `archive`.

use std::io::Write;

use tracing::error;

use crate::app::{RunSummary, run_archive};
use crate::cli::ArchiveArgs;
use crate::config::{ArchiveConfig, today_utc};
use crate::error::RunError;

fn print_summary(summary: &RunSummary) {
    let json = serde_json::to_string_pretty(summary).expect("summary serializes");
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{json}");
}

pub(crate) async fn archive_with(
    args: &ArchiveArgs,
    env: &crate::config::archive::CredentialEnv,
) -> Result<RunSummary, RunError> {
    let cfg = ArchiveConfig::from_args(args, env, today_utc())?;
    let cancel = crate::cancel::on_signals()
        .map_err(|e| RunError::Internal(format!("cannot listen for signals: {e}")))?;
    run_archive(cfg, cancel).await
}

pub(super) async fn archive(args: &ArchiveArgs) -> i32 {
    match archive_with(args, &crate::config::archive::CredentialEnv::from_process()).await {
        Ok(summary) => {
            print_summary(&summary);
            summary.exit_code()
        }
        Err(e) => {
            error!(error = %e.chain(), "run failed");
            eprintln!("error: {}", e.chain());
            e.exit_code()
        }
    }
}
