//! `--statsd`: metrics over UDP in the statsd format (with `cadence`), per request and per
//! scenario run, and a client load tests use for their own metrics.
//!
//! Metric names (documented in the README):
//! - `molotov.request.<METHOD>.<key>`: timing (ms) of each request, and
//!   `molotov.request.<METHOD>.<key>.<status>` (or `.<failure kind>` without a response): a
//!   count of 1 per request; `<key>` is the request's `.name()` or its URL path, `/` becoming `.`
//!   (after 1000 distinct keys per method, new ones are counted under `other`);
//! - `molotov.scenario.<name>`: timing (ms) of each run, and `molotov.scenario.<name>.success`
//!   or `.failure`: a count of 1 per run.
//!
//! Metrics are buffered per process into datagrams of at most 1432 bytes, sent when full and
//! at least once a second; a statsd server that is down costs nothing but lost metrics. Names
//! are made once per request key and outcome, so the hot path does not allocate them.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs, UdpSocket};
use std::rc::Rc;
use std::sync::Arc;
use std::time::Duration;

use cadence::prelude::*;
use cadence::{BufferedUdpMetricSink, StatsdClient};
use molotov_core::{Outcome, Session, Sink};

/// The variable (see [`molotov_core::Vars`]) that holds the run's [`Statsd`] client.
pub const STATSD_VAR: &str = "molotov.statsd";

/// The port used when `--statsd-address` names none.
const DEFAULT_PORT: u16 = 8125;

/// Distinct request keys named per method; later ones are counted under [`OTHER_KEY`].
const MAX_KEYS: usize = 1000;
/// The key of requests past [`MAX_KEYS`].
const OTHER_KEY: &str = "other";

/// The largest datagram sent: the statsd documentation's size for networks with the common
/// 1500-byte MTU (512 would be for the internet), three times fewer sends than 512.
const DATAGRAM: usize = 1432;

/// Where metrics go: `--statsd-address`, parsed and resolved once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsdAddress {
    /// As given, for messages.
    pub given: String,
    /// Resolved.
    pub addr: SocketAddr,
}

impl StatsdAddress {
    /// Parses `udp://host:port`, `host:port` or `host` (port 8125), and resolves the host.
    pub fn parse(given: &str) -> Result<StatsdAddress, String> {
        let rest = match given.split_once("://") {
            Some(("udp", rest)) => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "statsd address {given:?}: only udp:// is supported, not {scheme}://"
                ));
            }
            None => given,
        };
        let rest = rest.trim_end_matches('/');
        if rest.is_empty() {
            return Err(format!("statsd address {given:?}: no host"));
        }
        let with_port = if rest.parse::<SocketAddr>().is_ok() || has_port(rest) {
            rest.to_owned()
        } else if rest.contains(':') && !rest.starts_with('[') {
            // A bare IPv6 address.
            format!("[{rest}]:{DEFAULT_PORT}")
        } else {
            format!("{rest}:{DEFAULT_PORT}")
        };
        let addr = with_port
            .to_socket_addrs()
            .map_err(|e| format!("statsd address {given:?}: {e}"))?
            .next()
            .ok_or_else(|| format!("statsd address {given:?}: the host has no address"))?;
        Ok(StatsdAddress {
            given: given.to_owned(),
            addr,
        })
    }
}

/// `host:port` or `[v6]:port`, with a numeric port.
fn has_port(text: &str) -> bool {
    let Some((host, port)) = text.rsplit_once(':') else {
        return false;
    };
    let bracketed = host.starts_with('[') && host.ends_with(']');
    (bracketed || !host.contains(':')) && !port.is_empty() && port.parse::<u16>().is_ok()
}

/// A statsd client: cheap to clone, shared by the workers of a process.
#[derive(Clone)]
pub struct Statsd {
    client: Arc<StatsdClient>,
}

impl fmt::Debug for Statsd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Statsd")
    }
}

impl Statsd {
    /// A client sending to `address` from a new UDP socket.
    pub fn connect(address: &StatsdAddress) -> std::io::Result<Statsd> {
        let local: SocketAddr = if address.addr.is_ipv4() {
            ([0, 0, 0, 0], 0).into()
        } else {
            ([0u16; 8], 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.set_nonblocking(true)?;
        let sink = BufferedUdpMetricSink::with_capacity(address.addr, socket, DATAGRAM)
            .map_err(|e| std::io::Error::other(e.to_string()))?;
        Ok(Statsd {
            client: Arc::new(StatsdClient::from_sink("", sink)),
        })
    }

    // Metrics are best effort: a send that fails (nobody listening, a full socket buffer)
    // loses that metric and nothing else.

    /// Adds `value` to counter `name`.
    pub fn count(&self, name: &str, value: i64) {
        let _ = self.client.count(name, value);
    }

    /// Adds 1 to counter `name`.
    pub fn incr(&self, name: &str) {
        self.count(name, 1);
    }

    /// Takes 1 from counter `name`.
    pub fn decr(&self, name: &str) {
        self.count(name, -1);
    }

    /// Sets gauge `name`.
    pub fn gauge(&self, name: &str, value: f64) {
        let _ = self.client.gauge(name, value);
    }

    /// Records a timing of `ms` milliseconds.
    pub fn timing(&self, name: &str, ms: u64) {
        let _ = self.client.time(name, ms);
    }

    /// Records a histogram value.
    pub fn histogram(&self, name: &str, value: f64) {
        let _ = self.client.histogram(name, value);
    }

    /// Records a distribution value.
    pub fn distribution(&self, name: &str, value: f64) {
        let _ = self.client.distribution(name, value);
    }

    /// Sends what is buffered.
    pub fn flush(&self) {
        let _ = self.client.flush();
    }
}

/// The run's statsd client, for a load test's own metrics; `None` without `--statsd`.
pub fn statsd(session: &Session) -> Option<Statsd> {
    session
        .vars()
        .get::<Statsd>(STATSD_VAR)
        .map(|s| Statsd::clone(&s))
}

/// Sends every request and scenario run to statsd.
pub(crate) struct StatsdSink {
    statsd: Statsd,
    /// Metric names of requests, by method, then key.
    requests: RefCell<HashMap<String, HashMap<String, Rc<Names>>>>,
    /// Metric names of scenarios, by name.
    scenarios: RefCell<HashMap<String, Rc<Names>>>,
}

/// The names of one request key or scenario: its timer, and its counter per outcome.
struct Names {
    timer: String,
    statuses: RefCell<HashMap<u16, Rc<str>>>,
    others: RefCell<HashMap<String, Rc<str>>>,
}

impl Names {
    fn new(timer: String) -> Rc<Names> {
        Rc::new(Names {
            timer,
            statuses: RefCell::default(),
            others: RefCell::default(),
        })
    }

    /// `<timer>.<status>`.
    fn status(&self, status: u16) -> Rc<str> {
        self.statuses
            .borrow_mut()
            .entry(status)
            .or_insert_with(|| format!("{}.{status}", self.timer).into())
            .clone()
    }

    /// `<timer>.<outcome>`, the outcome made safe.
    fn other(&self, outcome: &str) -> Rc<str> {
        if let Some(name) = self.others.borrow().get(outcome) {
            return name.clone();
        }
        let name: Rc<str> = format!("{}.{}", self.timer, metric_segment(outcome)).into();
        self.others
            .borrow_mut()
            .insert(outcome.to_owned(), name.clone());
        name
    }
}

impl StatsdSink {
    pub(crate) fn new(statsd: Statsd) -> Self {
        StatsdSink {
            statsd,
            requests: RefCell::default(),
            scenarios: RefCell::default(),
        }
    }

    fn request_names(&self, method: &str, key: &str) -> Rc<Names> {
        if let Some(names) = self.requests.borrow().get(method).and_then(|m| m.get(key)) {
            return names.clone();
        }
        // Past the limit (URLs with ids in them), new keys share one name, as in the
        // statistics: neither this cache nor the statsd server grows without bound.
        let full = self
            .requests
            .borrow()
            .get(method)
            .is_some_and(|m| m.len() >= MAX_KEYS);
        let key = if full { OTHER_KEY } else { key };
        if let Some(names) = self.requests.borrow().get(method).and_then(|m| m.get(key)) {
            return names.clone();
        }
        let names = Names::new(format!(
            "molotov.request.{}.{}",
            metric_segment(method),
            metric_segment(key)
        ));
        self.requests
            .borrow_mut()
            .entry(method.to_owned())
            .or_default()
            .insert(key.to_owned(), names.clone());
        names
    }

    fn scenario_names(&self, scenario: &str) -> Rc<Names> {
        if let Some(names) = self.scenarios.borrow().get(scenario) {
            return names.clone();
        }
        let names = Names::new(format!("molotov.scenario.{}", metric_segment(scenario)));
        self.scenarios
            .borrow_mut()
            .insert(scenario.to_owned(), names.clone());
        names
    }
}

impl Sink for StatsdSink {
    fn request(&self, method: &str, key: &str, outcome: Outcome<'_>, elapsed: Duration) {
        let names = self.request_names(method, key);
        self.statsd.timing(&names.timer, millis(elapsed));
        let counter = match outcome {
            Outcome::Status(status) => names.status(status),
            Outcome::Success => names.other("success"),
            Outcome::Failure(kind) => names.other(kind),
        };
        self.statsd.incr(&counter);
    }

    fn scenario(&self, scenario: &str, outcome: Outcome<'_>, elapsed: Duration) {
        let names = self.scenario_names(scenario);
        self.statsd.timing(&names.timer, millis(elapsed));
        let counter = match outcome {
            Outcome::Success | Outcome::Status(_) => names.other("success"),
            Outcome::Failure(_) => names.other("failure"),
        };
        self.statsd.incr(&counter);
    }

    fn flush(&self) {
        self.statsd.flush();
    }
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// `text` as part of a metric name: `/` becomes `.` (a URL path becomes a hierarchy), letters,
/// digits, `_` and `-` stay, anything else (`:`, `|`, `@`, spaces: statsd's separators)
/// becomes `_`; no empty part (`/` alone is `root`).
pub(crate) fn metric_segment(text: &str) -> String {
    let parts: Vec<String> = text
        .split(['/', '.'])
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect()
        })
        .collect();
    if parts.is_empty() {
        "root".to_owned()
    } else {
        parts.join(".")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_or_without_scheme_and_port() {
        let a = StatsdAddress::parse("udp://127.0.0.1:9125").unwrap();
        assert_eq!(a.addr, "127.0.0.1:9125".parse().unwrap());
        let a = StatsdAddress::parse("127.0.0.1").unwrap();
        assert_eq!(a.addr.port(), 8125);
        let a = StatsdAddress::parse("udp://localhost:8125").unwrap();
        assert!(a.addr.ip().is_loopback());
        let a = StatsdAddress::parse("[::1]:9000").unwrap();
        assert_eq!(a.addr, "[::1]:9000".parse().unwrap());
        let a = StatsdAddress::parse("::1").unwrap();
        assert_eq!(a.addr, "[::1]:8125".parse().unwrap());
        for bad in ["tcp://localhost:8125", "udp://", "localhost:notaport", ""] {
            assert!(StatsdAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn past_the_key_limit_requests_share_one_name() {
        let address = StatsdAddress::parse("127.0.0.1:9").unwrap();
        let observer = StatsdSink::new(Statsd::connect(&address).unwrap());
        for i in 0..MAX_KEYS {
            let names = observer.request_names("GET", &format!("/item/{i}"));
            assert_eq!(names.timer, format!("molotov.request.GET.item.{i}"));
        }
        let late = observer.request_names("GET", "/item/new");
        assert_eq!(late.timer, "molotov.request.GET.other");
        // Keys named before the limit keep their names.
        assert_eq!(
            observer.request_names("GET", "/item/3").timer,
            "molotov.request.GET.item.3"
        );
        assert_eq!(observer.requests.borrow()["GET"].len(), MAX_KEYS + 1);
    }

    #[test]
    fn names_are_safe_for_statsd() {
        assert_eq!(metric_segment("/"), "root");
        assert_eq!(metric_segment("/status/500"), "status.500");
        assert_eq!(metric_segment("login page"), "login_page");
        assert_eq!(metric_segment("a:b|c@d"), "a_b_c_d");
        assert_eq!(metric_segment("GET"), "GET");
    }
}
