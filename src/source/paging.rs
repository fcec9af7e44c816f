//! The paging rule: which URL comes next, and when to refuse. Pure.
//!
//! A page's `nextLink` ends the sequence when null, empty or absent. Otherwise it is resolved
//! against the base URL (it is normally absolute), and followed only if it points at the base
//! URL's scheme, host and port (default ports normalised) or at a host the user allowed, has
//! not been fetched before in this run, and the page budget is not spent.

use std::collections::HashSet;
use std::fmt;
use std::hash::{DefaultHasher, Hash, Hasher};

use serde::Deserialize;
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use url::Url;

/// Cursor state of one partition's page sequence.
#[derive(Debug)]
pub struct Cursor {
    base: Url,
    allowed_hosts: Vec<String>,
    /// Hashes of every URL fetched (8 bytes a page, so long months stay small).
    seen: HashSet<u64>,
    max_pages: u64,
    fetched: u64,
}

impl Cursor {
    /// A cursor starting at `first`.
    pub fn new(base: Url, allowed_hosts: Vec<String>, max_pages: u64, first: &Url) -> Self {
        let mut seen = HashSet::new();
        seen.insert(url_hash(first));
        Self {
            base,
            allowed_hosts: allowed_hosts
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            seen,
            max_pages,
            fetched: 0,
        }
    }

    /// Records that one more page was fetched.
    pub fn page_fetched(&mut self) {
        self.fetched += 1;
    }

    /// The URL to fetch after a page whose `nextLink` is `next_link`; `Ok(None)` ends paging.
    pub fn advance(&mut self, next_link: Option<&str>) -> Result<Option<Url>, String> {
        let Some(link) = next_link.map(str::trim).filter(|l| !l.is_empty()) else {
            return Ok(None);
        };
        let url = self
            .base
            .join(link)
            .map_err(|e| format!("nextLink {link:?} is not a valid URL: {e}"))?;
        if !self.may_send_key_to(&url) {
            return Err(format!(
                "nextLink points at {}, which is not the API host {} (pass --allow-next-link-host {} to trust it); refusing to send the API key there",
                origin(&url),
                origin(&self.base),
                url.host_str().unwrap_or("?"),
            ));
        }
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

    /// Whether the key may be sent to `url`: same origin as the base, or an allowed host.
    pub fn may_send_key_to(&self, url: &Url) -> bool {
        if same_origin(url, &self.base) {
            return true;
        }
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        url.scheme() == self.base.scheme() && self.allowed_hosts.contains(&host)
    }
}

fn url_hash(url: &Url) -> u64 {
    let mut h = DefaultHasher::new();
    url.as_str().hash(&mut h);
    h.finish()
}

/// Scheme, host and port equal, with default ports (`:443`, `:80`) normalised.
pub fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

fn origin(u: &Url) -> String {
    match u.port() {
        Some(p) => format!("{}://{}:{p}", u.scheme(), u.host_str().unwrap_or("?")),
        None => format!("{}://{}", u.scheme(), u.host_str().unwrap_or("?")),
    }
}

/// What the pager needs from a page: whether it is a page at all, and its `nextLink`.
#[derive(Debug, PartialEq, Eq)]
pub struct Envelope {
    /// The `nextLink`, `None` when null, empty or absent.
    pub next_link: Option<String>,
}

/// Scans a page body without decoding rows. Fails on non-JSON, on a body that is not an object,
/// and on a `data` that is missing or not an array.
pub fn scan_envelope(body: &[u8]) -> Result<Envelope, String> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err("the body is not a JSON object".into());
    }
    let mut de = serde_json::Deserializer::from_slice(body);
    let scan = Scan::deserialize(&mut de).map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())?;
    if !scan.data_is_array {
        return Err("it has no `data` array".into());
    }
    Ok(Envelope {
        next_link: scan.next_link.filter(|l| !l.trim().is_empty()),
    })
}

struct Scan {
    data_is_array: bool,
    next_link: Option<String>,
}

impl<'de> Deserialize<'de> for Scan {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scan;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a usage-details page object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scan, A::Error> {
                let mut scan = Scan {
                    data_is_array: false,
                    next_link: None,
                };
                while let Some(key) = map.next_key::<String>()? {
                    if key.eq_ignore_ascii_case("data") {
                        map.next_value::<ArrayOnly>()?;
                        scan.data_is_array = true;
                    } else if key.eq_ignore_ascii_case("nextLink") {
                        scan.next_link = map.next_value()?;
                    } else {
                        map.next_value::<IgnoredAny>()?;
                    }
                }
                Ok(scan)
            }
        }
        d.deserialize_map(V)
    }
}

/// Accepts any JSON array, ignoring its contents; anything else is an error.
struct ArrayOnly;

impl<'de> Deserialize<'de> for ArrayOnly {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = ArrayOnly;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("`data` to be an array of usage rows")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut s: A,
            ) -> Result<ArrayOnly, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(ArrayOnly)
            }
        }
        d.deserialize_seq(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cursor(base: &str, allowed: &[&str]) -> Cursor {
        let base = Url::parse(base).unwrap();
        let first = base.join("/v2/enrollments/1/usagedetails").unwrap();
        let mut c = Cursor::new(
            base,
            allowed.iter().map(|s| s.to_string()).collect(),
            5,
            &first,
        );
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
    fn envelope_scan() {
        assert_eq!(
            scan_envelope(br#"{"id":"x","data":[{"a":1}],"nextLink":"u"}"#),
            Ok(Envelope {
                next_link: Some("u".into())
            })
        );
        assert_eq!(
            scan_envelope(br#"{"data":[],"nextLink":""}"#),
            Ok(Envelope { next_link: None })
        );
        assert!(
            scan_envelope(br#"{"data":{}}"#)
                .unwrap_err()
                .contains("array")
        );
        assert!(scan_envelope(br#"{"id":"x"}"#).is_err());
        assert!(scan_envelope(b"\"Usage Data Extract\",").is_err());
        assert!(scan_envelope(br#"{"data":[{"a":"#).is_err());
        assert!(scan_envelope(b"").is_err());
    }
}
