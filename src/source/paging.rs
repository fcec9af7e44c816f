//! The paging rule: which URL comes next, and when to refuse. Pure.
//!
//! A page's `nextLink` ends the sequence when null, empty or absent. Otherwise it is resolved
//! against the base URL (it is normally absolute), and followed only if it points at the base
//! URL's scheme, host and port (default ports normalised) or at a host the user allowed, over
//! https or to a loopback host (`--allow-http` aside; see `trust`), has not been fetched before
//! in this run, and the page budget is not spent.

use std::collections::HashSet;
use std::hash::{DefaultHasher, Hash, Hasher};

use url::Url;

use super::trust::Trust;

/// Cursor state of one partition's page sequence.
#[derive(Debug)]
pub(crate) struct Cursor {
    trust: Trust,
    /// Hashes of every URL fetched (8 bytes a page, so long months stay small).
    seen: HashSet<u64>,
    max_pages: u64,
    fetched: u64,
}

impl Cursor {
    /// A cursor starting at `first`.
    pub(crate) fn new(trust: Trust, max_pages: u64, first: &Url) -> Self {
        let mut seen = HashSet::new();
        seen.insert(url_hash(first));
        Self {
            trust,
            seen,
            max_pages,
            fetched: 0,
        }
    }

    /// Records that one more page was fetched.
    pub(crate) fn page_fetched(&mut self) {
        self.fetched += 1;
    }

    /// The URL to fetch after a page whose `nextLink` is `next_link`; `Ok(None)` ends paging.
    pub(crate) fn advance(&mut self, next_link: Option<&str>) -> Result<Option<Url>, String> {
        let Some(link) = next_link.map(str::trim).filter(|l| !l.is_empty()) else {
            return Ok(None);
        };
        let url = self
            .trust
            .base
            .join(link)
            .map_err(|e| format!("nextLink {link:?} is not a valid URL: {e}"))?;
        self.may_send_key_to(&url).map_err(|why| {
            format!("nextLink points at {why}; refusing to send the API key there")
        })?;
        if self.fetched >= self.max_pages {
            return Err(format!(
                "more than {} pages in one partition (--max-pages); refusing to continue",
                self.max_pages
            ));
        }
        if !self.seen.insert(url_hash(&url)) {
            return Err(format!(
                "nextLink repeats a URL already fetched in this run ({}): the API is looping",
                url
            ));
        }
        Ok(Some(url))
    }

    /// Whether the key may be sent to `url` (see [`Trust`]); `Err` says why not.
    pub(crate) fn may_send_key_to(&self, url: &Url) -> Result<(), String> {
        self.trust.check(url)
    }
}

fn url_hash(url: &Url) -> u64 {
    let mut h = DefaultHasher::new();
    url.as_str().hash(&mut h);
    h.finish()
}

/// The chain rule for pages read in order (a replayed folder): every page but the last has a
/// `nextLink`, and the last has none. A folder missing its last pages, or holding pages past the
/// end of the chain, breaks it, and would otherwise replace a good month with a wrong one.
#[derive(Debug, Default)]
pub(crate) struct Chain {
    /// Pages seen.
    pages: u64,
    /// Whether the last page seen has a `nextLink`.
    open: bool,
}

impl Chain {
    /// Records the next page and its `nextLink`; `Err` if an earlier page ended the chain.
    pub(crate) fn page(&mut self, next_link: Option<&str>) -> Result<(), String> {
        if self.pages > 0 && !self.open {
            return Err(format!(
                "page {} has no nextLink, so the chain ended there, yet more pages follow; the folder holds pages of more than one pull or in the wrong order",
                self.pages
            ));
        }
        self.pages += 1;
        self.open = next_link.is_some_and(|l| !l.trim().is_empty());
        Ok(())
    }

    /// `Err` if the last page still points at a next one: pages are missing.
    pub(crate) fn end(&self) -> Result<(), String> {
        if self.open {
            return Err(format!(
                "the last page (page {}) has a nextLink, so the pages after it are missing",
                self.pages
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(base: &str, allowed: &[&str]) -> Cursor {
        let base = Url::parse(base).unwrap();
        let first = base.join("/v2/enrollments/1/usagedetails").unwrap();
        let trust = Trust::new(base, allowed.iter().map(|s| s.to_string()).collect(), false);
        let mut c = Cursor::new(trust, 5, &first);
        c.page_fetched();
        c
    }

    #[test]
    fn null_empty_or_missing_next_link_ends_paging() {
        let mut c = cursor("https://consumption.azure.com", &[]);
        assert_eq!(c.advance(None), Ok(None));
        assert_eq!(c.advance(Some("")), Ok(None));
        assert_eq!(c.advance(Some("  ")), Ok(None));
    }

    #[test]
    fn absolute_relative_and_default_port_links_are_followed() {
        let mut c = cursor("https://consumption.azure.com", &[]);
        let u = c
            .advance(Some("https://consumption.azure.com:443/v2/x?skiptoken=1"))
            .unwrap();
        assert_eq!(
            u.unwrap().as_str(),
            "https://consumption.azure.com/v2/x?skiptoken=1"
        );
        let u = c.advance(Some("/v2/x?skiptoken=2")).unwrap();
        assert_eq!(
            u.unwrap().as_str(),
            "https://consumption.azure.com/v2/x?skiptoken=2"
        );
    }

    #[test]
    fn foreign_hosts_are_refused_unless_allowed() {
        let mut c = cursor("https://consumption.azure.com", &[]);
        let err = c.advance(Some("https://evil.example/steal")).unwrap_err();
        assert!(err.contains("evil.example") && err.contains("--allow-next-link-host"));
        assert!(
            c.advance(Some("http://consumption.azure.com/v2/x"))
                .is_err()
        );
        assert!(
            c.advance(Some("https://consumption.azure.com:8443/v2/x"))
                .is_err()
        );
        let mut c = cursor("https://consumption.azure.com", &["Mirror.Example"]);
        assert!(
            c.advance(Some("https://mirror.example/v2/x"))
                .unwrap()
                .is_some()
        );
    }

    #[test]
    fn loops_and_page_budget_are_refused() {
        let mut c = cursor("http://127.0.0.1:9", &[]);
        assert!(c.advance(Some("/a")).unwrap().is_some());
        let err = c.advance(Some("/a")).unwrap_err();
        assert!(err.contains("looping"), "{err}");
        let err = c
            .advance(Some("/v2/enrollments/1/usagedetails"))
            .unwrap_err();
        assert!(err.contains("looping"), "{err}");
        for i in 0..4 {
            c.page_fetched();
            let _ = c.advance(Some(&format!("/p{i}")));
        }
        let err = c.advance(Some("/zz")).unwrap_err();
        assert!(err.contains("--max-pages"), "{err}");
    }

    #[test]
    fn a_chain_must_end_exactly_at_the_last_page() {
        let mut c = Chain::default();
        c.page(Some("n2")).unwrap();
        c.page(Some("n3")).unwrap();
        c.page(None).unwrap();
        c.end().unwrap();
        let err = c.page(None).unwrap_err();
        assert!(err.contains("page 3 has no nextLink"), "{err}");

        let mut c = Chain::default();
        c.page(Some("n2")).unwrap();
        let err = c.end().unwrap_err();
        assert!(err.contains("page 1") && err.contains("missing"), "{err}");

        let mut c = Chain::default();
        c.page(Some("  ")).unwrap();
        c.end().unwrap();
    }

    #[test]
    fn plain_http_next_links_go_only_to_loopback() {
        let mut c = cursor("http://127.0.0.1:9", &["mirror.example"]);
        let err = c.advance(Some("http://mirror.example/v2/x")).unwrap_err();
        assert!(err.contains("--allow-http"), "{err}");
        assert!(
            c.advance(Some("http://127.0.0.1:9/v2/y"))
                .unwrap()
                .is_some()
        );
    }
}
