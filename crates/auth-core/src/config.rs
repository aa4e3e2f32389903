use std::{net::IpAddr, path::PathBuf, time::Duration};

/// Settings both servers read, from flags or the environment.
#[derive(Debug, Clone, clap::Args)]
pub struct CommonConfig {
    /// Where to listen and how long a request may take.
    #[command(flatten)]
    pub serve: ServeConfig,

    /// Folder for the SQLite database and key files, created on first start.
    #[arg(long, env = "DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Users' database (`sqlite:`, `postgres://`, `mysql://`); default: a SQLite file in DATA_DIR.
    /// Its value is never shown in `--help`: a URL may carry a password.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// bcrypt work factor (4..=31); every step doubles the cost of a login.
    #[arg(long, env = "BCRYPT_COST", default_value_t = 12,
          value_parser = clap::value_parser!(u32).range(4..=31))]
    pub bcrypt_cost: u32,

    /// Failed logins for one email from one client address before further
    /// attempts of that pair get 429 (0 = no limit).
    #[arg(long, env = "LOGIN_MAX_FAILURES", default_value_t = 5)]
    pub login_max_failures: u32,

    /// Failed logins for one email from all addresses together before it gets
    /// 429 (0 = no limit): high, so that strangers cannot lock the owner out cheaply.
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_EMAIL", default_value_t = 100)]
    pub login_max_failures_per_email: u32,

    /// Failed logins from one client address, whatever the emails, before it gets 429 (0 = no limit).
    #[arg(long, env = "LOGIN_MAX_FAILURES_PER_ADDRESS", default_value_t = 100)]
    pub login_max_failures_per_address: u32,

    /// Registrations from one client address before it gets 429 (0 = no limit):
    /// each one costs a bcrypt hash.
    #[arg(long, env = "REGISTER_MAX_PER_ADDRESS", default_value_t = 100)]
    pub register_max_per_address: u32,

    /// How long failed logins and registrations count towards their limits.
    #[arg(long, env = "LOGIN_WINDOW", default_value = "15m", value_parser = parse_duration)]
    pub login_window: Duration,

    /// bcrypt runs at once; the default leaves one core free for signed-in traffic.
    #[arg(long, env = "HASH_CONCURRENCY", default_value_t = default_hash_concurrency(),
          value_parser = clap::value_parser!(u32).range(1..))]
    pub hash_concurrency: u32,

    /// Longest a login or registration waits for a bcrypt slot before it is
    /// answered 503 `busy` with `Retry-After`.
    #[arg(long, env = "HASH_QUEUE_TIMEOUT", default_value = "3s", value_parser = parse_duration)]
    pub hash_queue_timeout: Duration,

    /// The server is reached over HTTPS (itself or behind a TLS proxy that
    /// passes `Host` on): its credential cookies get `Secure` and a `__Host-`
    /// (or `__Secure-`) name, and the CSRF check takes `https://` as this
    /// server's scheme. jwt-app's header transport sets no cookie.
    #[arg(long, env = "COOKIE_SECURE", default_value_t = false)]
    pub cookie_secure: bool,

    /// Pages on other origins that may use this server (comma-separated,
    /// exact: `http://localhost:5173,https://app.example`): CORS answers them,
    /// preflight included, and they pass the CSRF check. Empty: no CORS
    /// header at all, and every other origin's state-changing request is
    /// refused. A path, a wildcard, `null` or no scheme refuses to start.
    #[arg(long, env = "ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,

    /// When the browser sends the credential cookie with a request another
    /// site starts: `lax` (a followed link), `strict` (never) or `none`
    /// (every request, e.g. a single-page app on another site; adds `Secure`
    /// and needs ALLOWED_ORIGINS). jwt-app's header transport sets no cookie.
    #[arg(long, env = "COOKIE_SAMESITE", value_enum, default_value_t = crate::cors::CookieSameSite::Lax)]
    pub cookie_samesite: crate::cors::CookieSameSite,

    /// For the browser workshop only: let cross-origin state-changing
    /// requests through the CSRF check, so that the attacker page's forged
    /// logout succeeds. Refused on a BIND other than loopback.
    #[arg(long, env = "UNSAFE_DISABLE_CSRF_CHECK", default_value_t = false)]
    pub unsafe_disable_csrf_check: bool,

    /// For the browser workshop's side-by-side page (`just workshop`): the
    /// origin (`http://127.0.0.1:4001`) allowed to frame this server's page
    /// (its CSP's `frame-ancestors`, otherwise 'none'). A loopback origin
    /// only; refused on a BIND other than loopback.
    #[arg(long, env = "WORKSHOP_ORIGIN")]
    pub workshop_origin: Option<String>,

    /// Serve `GET /debug/store` (what the server-side stores hold): for the
    /// compare harness, not for production. Refused on a BIND other than
    /// loopback, and with TRUST_PROXY or COOKIE_SECURE.
    #[arg(long, env = "STORE_STATS", default_value_t = false)]
    pub store_stats: bool,

    /// Lifetime of the device cookie a successful login sets (OWASP's device
    /// cookie): a browser that logged in to an account before passes that
    /// account's per-email cap (not its per-address ones). 0: no device cookie.
    #[arg(long, env = "DEVICE_COOKIE_TTL", default_value = "180d", value_parser = parse_duration)]
    pub device_cookie_ttl: Duration,

    /// The key that signs device cookies is derived from this secret (32
    /// bytes at least), so that instances with separate data folders accept
    /// each other's; without it a key file in DATA_DIR is used.
    #[arg(long, env = "DEVICE_COOKIE_SECRET", hide_env_values = true)]
    pub device_cookie_secret: Option<String>,
}

/// What every server of the workspace reads to serve at all, the resource
/// server included (it has no users, so no [`CommonConfig`]).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeConfig {
    /// Address to listen on; loopback unless you mean to expose the server.
    #[arg(long, env = "BIND", default_value = "127.0.0.1")]
    pub bind: IpAddr,

    /// Longest a request may take before it is answered 408.
    #[arg(long, env = "REQUEST_TIMEOUT", default_value = "30s", value_parser = parse_duration)]
    pub request_timeout: Duration,

    /// The reverse proxies whose `X-Forwarded-For` names the client: a
    /// comma-separated list of addresses or CIDR ranges
    /// (`127.0.0.1,10.0.0.0/8`), compared as the server sees its peers
    /// (`::ffff:127.0.0.1` is `127.0.0.1`). Without it the socket's peer is the
    /// client. A proxy is not held to MAX_CONNECTIONS_PER_ADDRESS.
    #[arg(long, env = "TRUST_PROXY", value_delimiter = ',', value_parser = crate::client_addr::parse_proxy)]
    pub trust_proxy: Vec<ipnet::IpNet>,

    /// The `Host` values this server answers (comma-separated; `name` for any
    /// port, `name:port` for one, `*` for any Host); others get 421. Default:
    /// the BIND address and `localhost`, with the port the server listens on
    /// (on BIND 0.0.0.0 or `::`, any IP address and `localhost`). A DNS
    /// rebinding page reaches the server under its own name, and is refused.
    #[arg(long, env = "ALLOWED_HOSTS", value_delimiter = ',')]
    pub allowed_hosts: Vec<String>,

    /// Longest a client may take to send a request's headers, counted from
    /// the moment the server waits for them: a new connection, or a
    /// keep-alive connection after its last answer. Then the connection is
    /// closed.
    #[arg(long, env = "HEADER_READ_TIMEOUT", default_value = "10s", value_parser = parse_duration)]
    pub header_read_timeout: Duration,

    /// How long a keep-alive connection may sit idle after its last answer
    /// (no request in flight, no byte of a next one) before it is closed,
    /// giving back its place under MAX_CONNECTIONS. 0 turns keep-alive off:
    /// one request per connection. HEADER_READ_TIMEOUT, if shorter, ends an
    /// idle connection first.
    #[arg(long, env = "KEEP_ALIVE_TIMEOUT", default_value = "5s", value_parser = parse_duration)]
    pub keep_alive_timeout: Duration,

    /// Connections open at once, from everyone together; one more is closed
    /// at once. Lowered at start to what the open-files limit allows.
    #[arg(long, env = "MAX_CONNECTIONS", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Connections open at once from one client address (an IPv6 /64 counts
    /// as one); one more is closed at once. 0: no limit per address.
    #[arg(long, env = "MAX_CONNECTIONS_PER_ADDRESS", default_value_t = 100)]
    pub max_connections_per_address: u32,

    /// For the browser workshop: record what each request carried (method,
    /// path, status, credential headers by name and length, never values)
    /// and serve it at `GET /debug/requests`. Refused on a BIND other than
    /// loopback and with TRUST_PROXY (and COOKIE_SECURE where it exists).
    #[arg(long, env = "INSPECT", default_value_t = false)]
    pub inspect: bool,
}

impl ServeConfig {
    /// Refuses a setting that is `on` and `what` (the flag, its variable and
    /// the danger) unless the server is reached from this machine only: a
    /// loopback BIND, and no TRUST_PROXY (a proxy hands it other machines'
    /// requests). Debug routes and workshop switches must not be reachable
    /// from elsewhere.
    pub fn loopback_only(&self, on: bool, what: &str) -> anyhow::Result<()> {
        if on && !self.bind.is_loopback() {
            anyhow::bail!(
                "{what}: it is allowed on a loopback BIND only, and BIND is {}",
                self.bind
            );
        }
        if on && !self.trust_proxy.is_empty() {
            anyhow::bail!(
                "{what}: it is refused with TRUST_PROXY, which says a proxy passes other \
                 machines' requests to this server"
            );
        }
        Ok(())
    }
}

impl CommonConfig {
    /// [`ServeConfig::loopback_only`], and also refused with COOKIE_SECURE,
    /// which says the server is reached over HTTPS, through a TLS proxy that
    /// passes other machines' requests to it.
    pub fn local_only(&self, on: bool, what: &str) -> anyhow::Result<()> {
        self.serve.loopback_only(on, what)?;
        if on && self.cookie_secure {
            anyhow::bail!(
                "{what}: it is refused with COOKIE_SECURE, which says the server is reached \
                 over HTTPS through a proxy that passes other machines' requests to it"
            );
        }
        Ok(())
    }

    /// The database URL in force: the configured one, or the SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("auth.db").display()
            ),
        }
    }
}

/// One fewer than the cores, at least one.
fn default_hash_concurrency() -> u32 {
    let cores = std::thread::available_parallelism().map_or(1, usize::from);
    u32::try_from(cores.saturating_sub(1).max(1)).unwrap_or(1)
}

/// Parses "900", "900s", "15m", "24h", "7d": a bare number counts seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    humantime::parse_duration(s).map_err(|e| format!("{e} (try 900, 15m, 24h or 7d)"))
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_take_seconds_or_units() {
        assert_eq!(parse_duration("900"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert!(parse_duration("soon").is_err());
    }
}
