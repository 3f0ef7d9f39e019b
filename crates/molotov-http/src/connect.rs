//! Opening connections: name resolution (cached for the client's life, as Molotov's
//! `ttl_dns_cache=None`), `--connect-to` redirections, TCP and TLS.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;

use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use url::Host;

use crate::client::ClientConfig;
use crate::conn::{Conn, Stream};
use crate::error::{Error, Kind};
use crate::pool::{OriginRef, Security};

/// Sends connections for `host:port` to `to_host:to_port` instead.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectTo {
    /// The host as it appears in URLs (`localhost`, `127.0.0.1`, `[::1]`).
    pub host: String,
    /// The port of the URLs (the scheme's default when they have none).
    pub port: u16,
    /// Where to connect instead.
    pub to_host: String,
    /// The port to connect to instead.
    pub to_port: u16,
}

impl std::str::FromStr for ConnectTo {
    type Err = String;

    /// `HOST:PORT:TO_HOST:TO_PORT`, as curl writes it (IPv6 addresses in brackets).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not HOST:PORT:TO_HOST:TO_PORT");
        let (host, rest) = split_host(text).ok_or_else(bad)?;
        let (port, rest) = rest.split_once(':').ok_or_else(bad)?;
        let (to_host, to_port) = split_host(rest).ok_or_else(bad)?;
        Ok(ConnectTo {
            host: host.to_owned(),
            port: port.parse().map_err(|_| bad())?,
            to_host: to_host.trim_matches(['[', ']']).to_owned(),
            to_port: to_port.parse().map_err(|_| bad())?,
        })
    }
}

impl std::fmt::Display for ConnectTo {
    /// `HOST:PORT:TO_HOST:TO_PORT`, what [`FromStr`](std::str::FromStr) reads.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (open, close) = if self.to_host.contains(':') {
            ("[", "]")
        } else {
            ("", "")
        };
        write!(
            f,
            "{}:{}:{open}{}{close}:{}",
            self.host, self.port, self.to_host, self.to_port
        )
    }
}

/// `host` and what follows its `:`, with `[...]` around IPv6 addresses.
fn split_host(text: &str) -> Option<(&str, &str)> {
    if text.starts_with('[') {
        let end = text.find(']')?;
        let rest = text[end + 1..].strip_prefix(':')?;
        Some((&text[..=end], rest))
    } else {
        text.split_once(':')
    }
}

/// A host name and port with the addresses it resolved to.
type Resolved = (Box<str>, u16, Vec<SocketAddr>);

/// Opens a client's connections, and remembers what it resolved.
#[derive(Default)]
pub(crate) struct Dialer {
    /// Resolved addresses by host and port.
    dns: RefCell<Vec<Resolved>>,
    /// Connections opened so far.
    pub(crate) opened: Cell<u64>,
}

impl Dialer {
    pub(crate) async fn connect(
        &self,
        config: &ClientConfig,
        origin: OriginRef<'_>,
        host: &Host<&str>,
    ) -> Result<Conn, Error> {
        self.connect_offering(config, origin, host, false).await
    }

    /// A connection, whose TLS handshake offers `h2` by ALPN when `h2`.
    pub(crate) async fn connect_offering(
        &self,
        config: &ClientConfig,
        origin: OriginRef<'_>,
        host: &Host<&str>,
        h2: bool,
    ) -> Result<Conn, Error> {
        let open = self.open(config, origin, host, h2);
        let stream = match config.connect_timeout {
            Some(limit) => tokio::time::timeout(limit, open)
                .await
                .unwrap_or_else(|_| {
                    Err(Error::new(Kind::Connect)
                        .with_context(format!("{}:{} timed out", origin.host, origin.port)))
                })?,
            None => open.await?,
        };
        self.opened.set(self.opened.get() + 1);
        Ok(Conn::new(stream))
    }

    async fn open(
        &self,
        config: &ClientConfig,
        origin: OriginRef<'_>,
        host: &Host<&str>,
        h2: bool,
    ) -> Result<Stream, Error> {
        let addrs = self.resolve(config, origin, host).await?;
        let mut last = None;
        let mut tcp = None;
        for addr in &addrs {
            match TcpStream::connect(addr).await {
                Ok(s) => {
                    tcp = Some(s);
                    break;
                }
                Err(e) => last = Some((addr, e)),
            }
        }
        let tcp = match (tcp, last) {
            (Some(tcp), _) => tcp,
            (None, Some((addr, e))) => return Err(Error::from_connect(e, addr.to_string())),
            (None, None) => return Err(Error::new(Kind::Dns).with_context(origin.host.into())),
        };
        // Requests are small and latency is what we measure: no Nagle delay.
        tcp.set_nodelay(true)
            .map_err(|e| Error::new(Kind::Connect).with_source(e))?;
        if origin.tls == Security::Plain {
            return Ok(Stream::Plain(tcp));
        }
        let name = match *host {
            Host::Domain(d) => ServerName::try_from(d.to_owned())
                .map_err(|e| Error::new(Kind::Url).with_source(e))?,
            Host::Ipv4(ip) => ServerName::IpAddress(std::net::IpAddr::V4(ip).into()),
            Host::Ipv6(ip) => ServerName::IpAddress(std::net::IpAddr::V6(ip).into()),
        };
        let connector = tokio_rustls::TlsConnector::from(
            config.tls.config_for(origin.tls == Security::Verified, h2),
        );
        let tls = connector.connect(name, tcp).await.map_err(|e| {
            Error::new(Kind::Tls)
                .with_context(format!("{}:{}", origin.host, origin.port))
                .with_source(e)
        })?;
        Ok(Stream::Tls(Box::new(tls)))
    }

    async fn resolve(
        &self,
        config: &ClientConfig,
        origin: OriginRef<'_>,
        host: &Host<&str>,
    ) -> Result<Vec<SocketAddr>, Error> {
        let redirected = config
            .connect_to
            .iter()
            .find(|c| c.port == origin.port && c.host == origin.host);
        if let Some(to) = redirected {
            let target = format!("{}:{}", to.to_host, to.to_port);
            return tokio::net::lookup_host(target.as_str())
                .await
                .map(Iterator::collect)
                .map_err(|e| Error::new(Kind::Dns).with_context(target).with_source(e));
        }
        let domain = match *host {
            Host::Ipv4(ip) => return Ok(vec![SocketAddr::from((ip, origin.port))]),
            Host::Ipv6(ip) => return Ok(vec![SocketAddr::from((ip, origin.port))]),
            Host::Domain(d) => d,
        };
        let cached = self
            .dns
            .borrow()
            .iter()
            .find(|(h, p, _)| &**h == domain && *p == origin.port)
            .map(|(_, _, addrs)| addrs.clone());
        if let Some(addrs) = cached {
            return Ok(addrs);
        }
        let addrs: Vec<SocketAddr> = tokio::net::lookup_host((domain, origin.port))
            .await
            .map_err(|e| {
                Error::new(Kind::Dns)
                    .with_context(domain.to_owned())
                    .with_source(e)
            })?
            .collect();
        self.dns
            .borrow_mut()
            .push((domain.into(), origin.port, addrs.clone()));
        Ok(addrs)
    }
}

#[cfg(test)]
mod tests {
    use super::ConnectTo;

    #[test]
    fn connect_to_reads_curls_syntax() {
        let c: ConnectTo = "localhost:8080:127.0.0.1:41000".parse().unwrap();
        assert_eq!((c.host.as_str(), c.port), ("localhost", 8080));
        assert_eq!((c.to_host.as_str(), c.to_port), ("127.0.0.1", 41000));
        let v6: ConnectTo = "[::1]:443:[::1]:8443".parse().unwrap();
        assert_eq!((v6.host.as_str(), v6.to_host.as_str()), ("[::1]", "::1"));
        assert_eq!(v6.to_string(), "[::1]:443:[::1]:8443");
        assert_eq!(c.to_string(), "localhost:8080:127.0.0.1:41000");
        for bad in [
            "localhost:8080",
            "a:b:c:d",
            "localhost:8080:x:",
            "[::1:80:a:1",
        ] {
            assert!(bad.parse::<ConnectTo>().is_err(), "{bad}");
        }
    }
}
