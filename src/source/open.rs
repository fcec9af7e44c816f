//! The sources as peers: one [`Source`] per run, built from its [`SourceSpec`], opened once per
//! month into a stream of raw pages. The orchestration asks only "the pages of this month";
//! which API, paging scheme or file layout produces them is decided here.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::cost_details::{CostDetailsSettings, CostDetailsSource};
use super::endpoint::Endpoint;
use super::exports::source::{ExportsSettings, ExportsSource, RootProblem};
use super::http::{HttpSettings, HttpSource};
use super::paging::Chain;
use super::{PageStream, Secret, SourceError, replay};
use crate::period::Period;

/// A source as configured (checked, nothing opened).
#[derive(Debug, Clone)]
pub(crate) enum SourceSpec {
    /// The EA Reporting API over HTTP.
    EaApi {
        /// The key.
        key: Secret,
        /// HTTP settings.
        http: HttpSettings,
    },
    /// The Cost Management Cost Details API.
    CostDetails {
        /// The bearer token, when given; else the Azure credential chain's.
        token: Option<Secret>,
        /// Its settings.
        settings: CostDetailsSettings,
    },
    /// Page files saved earlier (`--from-dir`).
    Replay {
        /// The directory.
        dir: PathBuf,
    },
    /// Cost Management export runs under a root (`--source exports`).
    Exports(ExportsSettings),
}

/// A run's source, ready to open months.
#[derive(Debug, Clone)]
pub(crate) enum Source {
    /// The EA Reporting API over HTTP.
    EaApi(Arc<HttpSource>),
    /// The Cost Details API.
    CostDetails(Arc<CostDetailsSource>),
    /// Page files saved earlier.
    Replay(PathBuf),
    /// Export runs, discovered.
    Exports(Arc<ExportsSource>),
}

/// What one month asks of the source.
#[derive(Debug, Clone)]
pub(crate) struct MonthRequest<'a> {
    /// Enrollment number.
    pub enrollment: &'a str,
    /// The period; each source builds its own request from it.
    pub period: &'a Period,
    /// The footer of the month's current object, when the run compares with it (only when
    /// the month is known before the first page: see [`Source::month_of`]): the EA API is asked
    /// conditionally on its `etag`; an export run already archived is not read again.
    pub previous: Option<&'a BTreeMap<String, String>>,
}

/// One month's pages, in order.
pub(crate) struct Pages {
    /// The pages.
    pub stream: PageStream,
    /// Where they come from, for the file metadata and logs (a URL without secrets, or
    /// `replay`).
    pub label: String,
    /// The source's own check of the sequence, fed what each page says of the next.
    pub check: PageCheck,
    /// Facts of the source the month's footer records besides the usual ones (an export's
    /// name and run), by key.
    pub facts: BTreeMap<String, String>,
}

/// A source's check that its pages form one whole sequence. Pages fetched over HTTP are
/// checked as they are followed (`paging::Cursor`); saved JSON pages are read in file order,
/// so each must name a next page but the last ([`Chain`]); a CSV report has no links; an
/// export run's parts must hold the rows its manifest states ([`PartRows`]).
#[derive(Debug, Default)]
pub(crate) struct PageCheck(Check);

#[derive(Debug, Default)]
enum Check {
    #[default]
    None,
    Chain(Chain),
    Rows(PartRows),
}

impl PageCheck {
    /// A check of a linked chain of pages.
    pub(crate) fn chain() -> Self {
        PageCheck(Check::Chain(Chain::default()))
    }

    /// A check of `month`'s parts against their stated rows: per part (by name, in order) and
    /// in all; `None` is unknown.
    pub(crate) fn rows(
        month: String,
        parts: Vec<(String, Option<u64>)>,
        total: Option<u64>,
    ) -> Self {
        PageCheck(Check::Rows(PartRows {
            month,
            seen: parts.iter().map(|(n, _)| (n.clone(), 0)).collect(),
            parts,
            total,
        }))
    }

    /// Records page `number`, read from `origin`, of `rows` rows, and the next page it names.
    pub(crate) fn page(
        &mut self,
        number: u64,
        origin: &str,
        next_link: Option<&str>,
        rows: u64,
    ) -> Result<(), SourceError> {
        match &mut self.0 {
            Check::Chain(chain) => chain.page(next_link).map_err(broken(number, origin)),
            Check::Rows(parts) => {
                *parts.seen.entry(origin.to_string()).or_default() += rows;
                Ok(())
            }
            Check::None => Ok(()),
        }
    }

    /// After the last page (`number`, from `origin`): `Err` if the sequence is cut short.
    pub(crate) fn end(&self, number: u64, origin: &str) -> Result<(), SourceError> {
        match &self.0 {
            Check::Chain(chain) => chain.end().map_err(broken(number, origin)),
            Check::Rows(parts) => parts.end(),
            Check::None => Ok(()),
        }
    }
}

/// The rows an export run's manifest states, per part and in all, and those read.
#[derive(Debug)]
struct PartRows {
    month: String,
    parts: Vec<(String, Option<u64>)>,
    total: Option<u64>,
    seen: BTreeMap<String, u64>,
}

impl PartRows {
    fn end(&self) -> Result<(), SourceError> {
        let short = |reason: String| SourceError::ExportRun {
            month: self.month.clone(),
            reason: format!(
                "{reason}; nothing is archived from the run and the month is left as it is"
            ),
        };
        for (name, want) in &self.parts {
            let got = self.seen.get(name).copied().unwrap_or(0);
            if let Some(want) = want
                && *want != got
            {
                return Err(short(format!(
                    "blob {name} holds {got} data rows, its manifest entry says dataRowCount {want}"
                )));
            }
        }
        let got: u64 = self.seen.values().sum();
        match self.total {
            Some(want) if want != got => Err(short(format!(
                "the run's parts hold {got} data rows, its manifest says dataRowCount {want}"
            ))),
            _ => Ok(()),
        }
    }
}

/// The error of a broken chain at page `number` from `origin`.
fn broken(number: u64, origin: &str) -> impl FnOnce(String) -> SourceError + '_ {
    move |reason| SourceError::Chain {
        page: number,
        origin: origin.to_string(),
        reason,
    }
}

impl Source {
    /// Builds the source: the HTTP client for an API, nothing for a replay.
    pub(crate) async fn new(spec: &SourceSpec) -> Result<Self, SourceError> {
        Ok(match spec {
            SourceSpec::EaApi { key, http } => {
                Source::EaApi(Arc::new(HttpSource::new(key, http.clone())?))
            }
            SourceSpec::CostDetails { token, settings } => {
                let token = match token {
                    Some(t) => t.clone(),
                    None => super::credentials::from_chain().await?,
                };
                Source::CostDetails(Arc::new(CostDetailsSource::new(&token, settings.clone())?))
            }
            SourceSpec::Replay { dir } => Source::Replay(dir.clone()),
            SourceSpec::Exports(settings) => {
                Source::Exports(Arc::new(ExportsSource::discover(settings).await?))
            }
        })
    }

    /// The `api_version` recorded in each file's metadata for this source.
    pub(crate) fn api_label(&self, ea: super::ApiVersion) -> String {
        match self {
            Source::CostDetails(_) => format!("cost-details-{}", super::cost_details::API_VERSION),
            Source::Exports(_) => "cost-management-export".to_string(),
            _ => ea.as_str().to_string(),
        }
    }

    /// The label replayed pages carry in the file metadata.
    pub(crate) const REPLAY: &'static str = "replay";

    /// The (enrollment, month)s the source found to archive, when it decides them itself (an
    /// exports root, discovered at the start of the run); `None`: the run's plan decides.
    pub(crate) fn discovered(&self) -> Option<Vec<(String, (i32, u32))>> {
        match self {
            Source::Exports(exports) => Some(exports.months()),
            _ => None,
        }
    }

    /// Problems the source found outside any month (an unreadable manifest); each makes the run
    /// exit 6 at its end.
    pub(crate) fn problems(&self) -> Vec<RootProblem> {
        match self {
            Source::Exports(exports) => exports.problems().to_vec(),
            _ => Vec::new(),
        }
    }

    /// The month `period`'s pages belong to when the source knows it before any page; `None`
    /// when only the rows can tell (the EA API's open period, whose month may still be the last
    /// one just after the month turned).
    pub(crate) fn month_of(&self, period: &Period) -> Option<(i32, u32)> {
        match (self, period) {
            (Source::EaApi(client), Period::Current { .. })
                if client.endpoint(period) == Endpoint::Current =>
            {
                None
            }
            _ => Some(period.nominal_month()),
        }
    }

    /// Opens one month's pages.
    pub(crate) fn open(&self, req: &MonthRequest<'_>) -> Result<Pages, SourceError> {
        match self {
            Source::EaApi(client) => {
                let first = client
                    .endpoint(req.period)
                    .url(client.base_url(), req.enrollment);
                let label = first.to_string();
                let etag = req.previous.and_then(|m| m.get("etag").cloned());
                let stream = client.clone().pages(first, etag);
                Ok(Pages {
                    stream,
                    label,
                    check: PageCheck::default(),
                    facts: BTreeMap::new(),
                })
            }
            Source::CostDetails(client) => Ok(Pages {
                label: client.report_url(req.enrollment).to_string(),
                check: PageCheck::default(),
                facts: BTreeMap::new(),
                stream: {
                    let (year, month) = req.period.nominal_month();
                    client
                        .clone()
                        .pages(req.enrollment.to_string(), year, month)
                },
            }),
            Source::Exports(exports) => {
                exports.open(req.enrollment, req.period.nominal_month(), req.previous)
            }
            Source::Replay(dir) => {
                let (stream, linked) = replay::pages(dir)?;
                Ok(Pages {
                    stream,
                    label: Self::REPLAY.to_string(),
                    check: if linked {
                        PageCheck::chain()
                    } else {
                        PageCheck::default()
                    },
                    facts: BTreeMap::new(),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_sequence_is_checked_and_an_unlinked_one_is_not() {
        let mut linked = PageCheck::chain();
        linked.page(1, "p1.json", Some("next"), 10).unwrap();
        let err = linked.end(1, "p1.json").unwrap_err().to_string();
        assert!(
            err.contains("page 1 (p1.json)") && err.contains("missing"),
            "{err}"
        );
        let mut plain = PageCheck::default();
        plain.page(1, "r.csv", Some("next"), 10).unwrap();
        plain.end(1, "r.csv").unwrap();
    }
}
