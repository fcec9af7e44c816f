//! `history`, `diff` and `restore`: a month's versions listed, compared and brought back.

use crate::cli::{DiffArgs, HistoryArgs, OutputFormat, RestoreArgs};
use crate::config::versions::{DiffConfig, HistoryConfig, MonthConfig, RestoreConfig};
use crate::error::{RunError, exit};
use crate::sink::layout::data_path;
use crate::sink::read::{Footer, read_footer};
use crate::sink::{Lake, history, open_lake};
use crate::versions::diff::{compare, group};
use crate::versions::{self, VersionInfo};

fn open(month: &MonthConfig) -> Result<Lake, RunError> {
    Ok(open_lake(&month.dest, false)?)
}

fn print_json(v: &impl serde::Serialize) {
    outln!(
        "{}",
        serde_json::to_string_pretty(v).expect("report serializes")
    );
}

/// `history`.
pub(super) async fn history(args: &HistoryArgs) -> super::Done {
    let cfg = HistoryConfig::from_args(args)?;
    let lake = open(&cfg.month)?;
    let key = &cfg.month.key;
    let list = versions::list(&lake, key).await?;
    match cfg.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "dest": lake.url.as_str(),
            "enrollment": key.enrollment,
            "month": key.month_label(),
            "versions": list,
        })),
        OutputFormat::Text => print_history(&list, &key.month_label()),
    }
    Ok(exit::OK)
}

fn print_history(list: &[VersionInfo], month: &str) {
    let dash = || "-".to_string();
    outln!(
        "{:<52} {:<7} {:<20} {:<4} {:>9} {:>28} {:>11}  source",
        "version",
        "current",
        "pulled_at",
        "api",
        "rows",
        "cost",
        "bytes"
    );
    for v in list {
        outln!(
            "{:<52} {:<7} {:<20} {:<4} {:>9} {:>28} {:>11}  {}{}",
            v.version,
            if v.current { "yes" } else { "" },
            v.facts.pulled_at.clone().unwrap_or_else(dash),
            v.facts.api_version.clone().unwrap_or_else(dash),
            v.facts.rows.map(|n| n.to_string()).unwrap_or_else(dash),
            v.facts.cost_total.clone().unwrap_or_else(dash),
            v.bytes,
            v.facts.source.clone().unwrap_or_else(dash),
            v.facts
                .restored_from
                .as_ref()
                .map(|r| format!(" (restored from {r})"))
                .unwrap_or_default()
        );
    }
    outln!("{} version(s) of {month}", list.len());
}

/// `diff`.
pub(crate) async fn diff(args: &DiffArgs) -> super::Done {
    let cfg = DiffConfig::from_args(args)?;
    let lake = open(&cfg.month)?;
    let key = &cfg.month.key;
    let current = read_footer(&lake, &data_path(&lake.prefix, key)).await?;
    let kept = history::versions(&lake, key).await?;
    let current_id = history::id_of(&current);
    let to = cfg.to.clone().or(current_id.clone()).ok_or_else(|| {
        crate::config::bad(
            "--month",
            format!("{} has no current version", key.month_label()),
        )
    })?;
    // Default --from: the newest history version older than --to.
    let from = cfg
        .from
        .clone()
        .or_else(|| {
            kept.iter()
                .rev()
                .map(|(id, _)| id.clone())
                .find(|id| *id != to && (Some(&to) == current_id.as_ref() || *id < to))
        })
        .ok_or_else(|| {
            crate::config::bad(
                "--from",
                format!(
                    "{} has no earlier version to compare with (run `history`)",
                    key.month_label()
                ),
            )
        })?;
    let mut sides = Vec::new();
    for (flag, id) in [("--from", &from), ("--to", &to)] {
        let path = history::locate(&lake, key, id, &current)
            .await?
            .ok_or_else(|| {
                crate::config::bad(
                    flag,
                    format!(
                        "{id:?} is not a version of {} (run `history`)",
                        key.month_label()
                    ),
                )
            })?;
        let unreadable = |source: crate::text::BoxError| RunError::Unreadable {
            what: format!("{flag} {id}: not a readable version"),
            source,
        };
        let size = match read_footer(&lake, &path).await? {
            Footer::Found { size, .. } => size,
            Footer::Unreadable { .. } => {
                return Err(unreadable("its Parquet footer cannot be read".into()));
            }
            Footer::Missing => return Err(unreadable("the object is gone".into())),
        };
        let g = group(&lake, &path, size, &cfg.by)
            .await
            .map_err(|e| unreadable(e.into()))?;
        sides.push(g);
    }
    let (groups, total) = compare(&sides[0], &sides[1], &cfg.by);
    match cfg.format {
        OutputFormat::Json => print_json(&serde_json::json!({
            "enrollment": key.enrollment,
            "month": key.month_label(),
            "from": from,
            "to": to,
            "by": cfg.by,
            "groups": groups,
            "total": total,
        })),
        OutputFormat::Text => {
            outln!(
                "{} {}: {from} -> {to}, by {}",
                key.enrollment,
                key.month_label(),
                cfg.by.join(", ")
            );
            let widths: Vec<usize> = cfg
                .by
                .iter()
                .map(|c| {
                    groups
                        .iter()
                        .map(|g| g.key[c].as_str().unwrap_or("(null)").chars().count())
                        .chain([c.len(), "total".len()])
                        .max()
                        .unwrap_or(8)
                        .min(64)
                })
                .collect();
            let mut head = String::new();
            for (c, w) in cfg.by.iter().zip(&widths) {
                head.push_str(&format!("{c:<w$} "));
            }
            outln!(
                "{head}{:>8} {:>8} {:>26} {:>26} {:>26}",
                "rows_bef",
                "rows_aft",
                "cost_before",
                "cost_after",
                "cost_delta"
            );
            for g in &groups {
                let mut line = String::new();
                for (c, w) in cfg.by.iter().zip(&widths) {
                    let v = g.key[c].as_str().unwrap_or("(null)");
                    line.push_str(&format!("{v:<w$} "));
                }
                outln!(
                    "{line}{:>8} {:>8} {:>26} {:>26} {:>26}",
                    g.rows_before,
                    g.rows_after,
                    g.cost_before,
                    g.cost_after,
                    g.cost_delta
                );
            }
            let pad: usize = widths.iter().map(|w| w + 1).sum();
            outln!(
                "{:<pad$}{:>8} {:>8} {:>26} {:>26} {:>26}",
                "total",
                total.rows_before,
                total.rows_after,
                total.cost_before,
                total.cost_after,
                total.cost_delta
            );
            outln!("{} group(s) changed", groups.len());
        }
    }
    Ok(exit::OK)
}

/// `restore`.
pub(super) async fn restore(args: &RestoreArgs) -> super::Done {
    let cfg = RestoreConfig::from_args(args)?;
    let lake = open(&cfg.month)?;
    let cancel = crate::cancel::on_signals().map_err(RunError::Signals)?;
    let run_id = crate::app::new_run_id();
    let key = &cfg.month.key;
    let r = versions::restore::restore(&versions::restore::RestoreJob {
        lake: &lake,
        key,
        version: &cfg.version,
        run_id: &run_id,
        lease_ttl: cfg.lease_ttl,
        history_keep: cfg.history_keep,
        write: &cfg.write,
        cancel: &cancel,
    })
    .await?;
    print_json(&serde_json::json!({
        "run_id": run_id,
        "enrollment": key.enrollment,
        "month": key.month_label(),
        "restored": r,
    }));
    Ok(exit::OK)
}
