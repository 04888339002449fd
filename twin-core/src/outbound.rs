//! The calls twins make to the user's own servers (Slack apps, Okta hooks, Jira
//! webhooks). Safety rule: nothing a request sets up may reach beyond this machine,
//! so every such URL must name a loopback host, and one kind of client sends them.

use std::time::Duration;

use reqwest::Url;

/// Whether `url` names a loopback host: 127.0.0.0/8, `[::1]` or `localhost` (any case).
/// `localhost.evil.com`, `0.0.0.0` and private addresses are not.
pub fn is_loopback_host(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The client for calls to the user's servers: no proxy (the URL is loopback), no
/// redirects (the vendors follow none, and one could lead off the machine), and no idle
/// connections kept, so a server under test that stops is not held by a socket of ours.
/// `None` only if the TLS backend cannot start.
pub fn client(connect_timeout: Duration, timeout: Option<Duration>) -> Option<reqwest::Client> {
    let builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(connect_timeout)
        .pool_max_idle_per_host(0);
    match timeout {
        Some(t) => builder.timeout(t),
        None => builder,
    }
    .build()
    .ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_hosts() {
        for good in ["http://127.0.0.1:9/x", "http://127.8.9.10/", "http://LOCALHOST:9/", "http://[::1]:8080/"] {
            assert!(is_loopback_host(&Url::parse(good).unwrap()), "{good}");
        }
        for bad in [
            "http://example.com/",
            "http://10.0.0.1/",
            "http://[::2]/",
            "http://localhost.evil.com/",
            "http://0.0.0.0/",
        ] {
            assert!(!is_loopback_host(&Url::parse(bad).unwrap()), "{bad}");
        }
    }
}
