//! Where a credential may be sent. Pure.
//!
//! A credential (the EA API key, a Cost Management token) goes only to the origin it was
//! configured for, or to hosts the user named, and never in clear text over a network: plain
//! `http` is allowed for loopback hosts (`localhost`, 127.0.0.0/8, `::1`) only, unless the user
//! passed `--allow-http` (the convention of `object_store`'s `AWS_ALLOW_HTTP`).

use url::{Host, Url};

/// Whether `url`'s host is this machine: `localhost` (or a `.localhost` name), 127.0.0.0/8 or `::1`.
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            d == "localhost" || d.ends_with(".localhost")
        }
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// `Err` with the reason when `url` would carry a credential in clear text over a network.
pub(crate) fn check_transport(url: &Url, allow_http: bool) -> Result<(), String> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_http || is_loopback(url) => Ok(()),
        "http" => Err(format!(
            "{} is plain http to a host that is not loopback: the credential would travel unencrypted (use https, or pass --allow-http to accept that)",
            origin(url)
        )),
        other => Err(format!("{other}:// is not http(s)")),
    }
}

/// Scheme, host and port equal, with default ports (`:443`, `:80`) normalised.
pub(crate) fn same_origin(a: &Url, b: &Url) -> bool {
    a.scheme() == b.scheme()
        && a.host_str().map(str::to_ascii_lowercase) == b.host_str().map(str::to_ascii_lowercase)
        && a.port_or_known_default() == b.port_or_known_default()
}

/// `scheme://host[:port]`, for messages (never a path or query, which may hold a signature).
pub(crate) fn origin(u: &Url) -> String {
    match u.port() {
        Some(p) => format!("{}://{}:{p}", u.scheme(), u.host_str().unwrap_or("?")),
        None => format!("{}://{}", u.scheme(), u.host_str().unwrap_or("?")),
    }
}

/// The origins a credential may go to.
#[derive(Debug, Clone)]
pub(crate) struct Trust {
    /// The configured origin.
    pub base: Url,
    /// Further hosts the user trusts (lower-case).
    pub allowed_hosts: Vec<String>,
    /// `--allow-http`.
    pub allow_http: bool,
}

impl Trust {
    /// Trust in `base`'s origin and `allowed_hosts` (matched case-insensitively).
    pub(crate) fn new(base: Url, allowed_hosts: Vec<String>, allow_http: bool) -> Self {
        Self {
            base,
            allowed_hosts: allowed_hosts
                .into_iter()
                .map(|h| h.to_ascii_lowercase())
                .collect(),
            allow_http,
        }
    }

    /// Whether the credential may be sent to `url`; `Err` says why not.
    pub(crate) fn check(&self, url: &Url) -> Result<(), String> {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        let same = same_origin(url, &self.base);
        let allowed = url.scheme() == self.base.scheme() && self.allowed_hosts.contains(&host);
        if !same && !allowed {
            return Err(format!(
                "{} is not the API host {} (pass --allow-next-link-host {} to trust it)",
                origin(url),
                origin(&self.base),
                url.host_str().unwrap_or("?"),
            ));
        }
        check_transport(url, self.allow_http)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn loopback_hosts() {
        for s in [
            "http://localhost:8080/",
            "http://LOCALHOST./",
            "http://api.localhost/",
            "http://127.0.0.1/",
            "http://127.9.8.7:1/",
            "http://[::1]:80/",
        ] {
            assert!(is_loopback(&u(s)), "{s}");
        }
        for s in [
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://localhost.example.com/",
            "http://consumption.azure.com/",
            "http://128.0.0.1/",
        ] {
            assert!(!is_loopback(&u(s)), "{s}");
        }
    }

    #[test]
    fn plain_http_only_to_loopback_unless_allowed() {
        assert!(check_transport(&u("https://consumption.azure.com"), false).is_ok());
        assert!(check_transport(&u("http://127.0.0.1:9"), false).is_ok());
        let e = check_transport(&u("http://proxy.corp:8080/x?sig=abc"), false).unwrap_err();
        assert!(
            e.contains("http://proxy.corp:8080") && e.contains("--allow-http"),
            "{e}"
        );
        assert!(!e.contains("sig=abc"), "{e}");
        assert!(check_transport(&u("http://proxy.corp:8080"), true).is_ok());
        assert!(check_transport(&u("ftp://x"), true).is_err());
    }

    #[test]
    fn trust_needs_the_origin_and_an_encrypted_transport() {
        let t = Trust::new(
            u("http://127.0.0.1:8080"),
            vec!["Mirror.Example".into()],
            false,
        );
        assert!(t.check(&u("http://127.0.0.1:8080/v2/x")).is_ok());
        assert!(t.check(&u("http://127.0.0.1:8081/v2/x")).is_err());
        let e = t.check(&u("http://mirror.example/v2/x")).unwrap_err();
        assert!(e.contains("--allow-http"), "{e}");
        let t = Trust {
            allow_http: true,
            ..t
        };
        assert!(t.check(&u("http://mirror.example/v2/x")).is_ok());
    }
}
