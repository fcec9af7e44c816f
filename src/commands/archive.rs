//! `archive`.

use std::io::Write;

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
    let cancel = crate::cancel::on_signals().map_err(RunError::Signals)?;
    run_archive(cfg, cancel).await
}

pub(super) async fn archive(args: &ArchiveArgs) -> super::Done {
    let summary =
        archive_with(args, &crate::config::archive::CredentialEnv::from_process()).await?;
    print_summary(&summary);
    Ok(summary.exit_code())
}
