//! Progress bars on a terminal: one line per month with pages, rows and the row rate. Without
//! a terminal on stderr (Airflow, cron, CI) there are no bars, only logs. Log lines are
//! printed through [`LogWriter`], which hides the bars while a line is written so the two
//! never interleave.

use std::io::{IsTerminal, Write};
use std::sync::OnceLock;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

static BARS: OnceLock<Option<MultiProgress>> = OnceLock::new();

/// Turns bars on when stderr is a terminal and `enabled` (text logs); call once at startup.
pub(crate) fn init(enabled: bool) {
    let _ = BARS.set((enabled && std::io::stderr().is_terminal()).then(MultiProgress::new));
}

fn bars() -> Option<&'static MultiProgress> {
    BARS.get().and_then(Option::as_ref)
}

/// A month's bar; cleared from the screen when dropped, whether the month succeeded or not.
pub(crate) struct MonthBar(ProgressBar);

impl Drop for MonthBar {
    fn drop(&mut self) {
        self.0.finish_and_clear();
    }
}

/// A bar for one month, or `None` when bars are off.
pub(crate) fn month_bar(label: &str) -> Option<MonthBar> {
    let multi = bars()?;
    let bar = multi.add(ProgressBar::new_spinner());
    bar.set_style(
        ProgressStyle::with_template("{spinner} {prefix:.bold} {msg} ({per_sec}, {elapsed})")
            .expect("valid template"),
    );
    bar.set_prefix(label.to_string());
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(MonthBar(bar))
}

/// Updates a month's bar after a page.
pub(crate) fn page_done(bar: Option<&MonthBar>, pages: u64, rows: u64, page_rows: u64) {
    if let Some(MonthBar(bar)) = bar {
        bar.inc(page_rows);
        bar.set_message(format!("{pages} pages, {rows} rows"));
    }
}

/// stderr, with the bars suspended while each log line is written.
#[derive(Clone, Copy, Default)]
pub(crate) struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // The whole line or an error: a short write would cut a log line.
        match bars() {
            Some(multi) => multi.suspend(|| std::io::stderr().write_all(buf))?,
            None => std::io::stderr().write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        std::io::stderr().flush()
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogWriter {
    type Writer = LogWriter;
    fn make_writer(&'a self) -> Self::Writer {
        LogWriter
    }
}
