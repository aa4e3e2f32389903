//! The columns of the table: which server, started with which flags, and what
//! its contract says it must do. Adding a column is one entry in
//! [`CONFIGURATIONS`], plus a [`Store`] variant if its state lives somewhere
//! new (as the Redis columns' did). Code that needs a particular column asks
//! for it by what it is ([`Configuration::of`], [`Configuration::plainest`]),
//! never by its name, so that names stay free to change.

use clap::CommandFactory;
pub use jwt_app::JwtAlg;

/// Which of the two servers a configuration runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum App {
    #[value(name = "session-app")]
    Session,
    #[value(name = "jwt-app")]
    Jwt,
}

impl App {
    pub fn name(self) -> &'static str {
        match self {
            Self::Session => "session-app",
            Self::Jwt => "jwt-app",
        }
    }

    fn command(self) -> clap::Command {
        match self {
            Self::Session => session_app::Config::command(),
            Self::Jwt => jwt_app::Config::command(),
        }
    }

    /// How the app's credential travels unless a flag says otherwise:
    /// session-app sets a cookie, jwt-app hands out a bearer token.
    fn own_carrier(self) -> Carrier {
        match self {
            Self::Session => Carrier::Cookie,
            Self::Jwt => Carrier::Header,
        }
    }

    /// How the app signs unless a flag says otherwise (jwt-app's default).
    fn own_alg(self) -> Option<JwtAlg> {
        match self {
            Self::Session => None,
            Self::Jwt => Some(JwtAlg::Hs256),
        }
    }

    /// Whether the server understands `--<long>`. Asked of its own clap
    /// definition, so that a flag another crate adds later (jwt-app's
    /// `--store-stats`) is used as soon as it exists, and never passed before.
    pub fn has_flag(self, long: &str) -> bool {
        self.command()
            .get_arguments()
            .any(|a| a.get_long() == Some(long))
    }

    /// Every environment variable the server reads its settings from. The
    /// harness removes them from the children's environment: a `PORT` or a
    /// `DATABASE_URL` left in the teacher's shell must not change a column.
    pub fn env_vars(self) -> Vec<String> {
        self.command()
            .get_arguments()
            .filter_map(|a| a.get_env())
            .map(|v| v.to_string_lossy().into_owned())
            .collect()
    }
}

/// Where the state that decides whether a credential still works lives. For
/// session-app that is the session store; for jwt-app it is the denylist
/// (refresh tokens do not decide whether an access token is accepted; they
/// live in the users' database, or in Redis beside a Redis denylist).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// No such state: a stateless signature check (jwt-app, `--denylist off`).
    None,
    /// In the server process: lost on restart, not shared between instances.
    Memory,
    /// In the users' SQLite file in the data folder.
    Sqlite,
    /// In a Redis outside every server process: the harness provides one
    /// (`REDIS_URL`, or a private redis-server) and gives each measurement a
    /// part of it of its own.
    Redis,
}

impl Store {
    pub fn survives_restart(self) -> bool {
        matches!(self, Self::Sqlite | Self::Redis)
    }

    pub fn shared_between_instances(self) -> bool {
        matches!(self, Self::Sqlite | Self::Redis)
    }

    /// Where the state is, for outcome texts: "the sessions are in …".
    pub fn place(self) -> &'static str {
        match self {
            Self::None => "no store",
            Self::Memory => "the process",
            Self::Sqlite => "the database",
            Self::Redis => "Redis",
        }
    }
}

/// How the credential travels back to the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Carrier {
    /// A cookie, which the browser attaches by itself, also to requests
    /// other sites' pages make.
    Cookie,
    /// `Authorization: Bearer`, which only the client's own code adds.
    Header,
}

/// One column: a server and the flags that make it this configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Configuration {
    pub name: &'static str,
    pub app: App,
    pub store: Store,
    pub carrier: Carrier,
    /// How jwt-app signs this column's tokens; `None` for session-app, whose
    /// session id is a random key, not a signed token.
    pub alg: Option<JwtAlg>,
    pub flags: &'static [&'static str],
}

impl Configuration {
    /// The column called `name`, if there is one.
    pub fn named(name: &str) -> Option<&'static Self> {
        CONFIGURATIONS.iter().find(|c| c.name == name)
    }

    /// The column of `app` whose state lives in `store`, with the credential
    /// carried and signed the app's own way (a session cookie; a bearer JWT
    /// signed with HS256): the column that stands for that store of that app.
    pub fn of(app: App, store: Store) -> Option<&'static Self> {
        CONFIGURATIONS.iter().find(|c| {
            c.app == app
                && c.store == store
                && c.carrier == app.own_carrier()
                && c.alg == app.own_alg()
        })
    }

    /// Each app at its plainest, with the least between the credential and
    /// the answer: session/memory (the sessions in the process) and jwt (a
    /// signature check, no denylist).
    pub fn plainest(app: App) -> Option<&'static Self> {
        Self::of(
            app,
            match app {
                App::Session => Store::Memory,
                App::Jwt => Store::None,
            },
        )
    }

    pub fn is_plainest(&self) -> bool {
        Self::plainest(self.app) == Some(self)
    }

    /// Whether a logout makes the credential stop working at once. For a JWT
    /// that takes a denylist; without one, the logout loophole stays open.
    pub fn logout_revokes(&self) -> bool {
        match self.app {
            App::Session => true,
            App::Jwt => self.store != Store::None,
        }
    }

    pub fn is_session(&self) -> bool {
        self.app == App::Session
    }

    pub fn in_cookie(&self) -> bool {
        self.carrier == Carrier::Cookie
    }

    /// Whether the column can only run with a Redis (and is skipped without one).
    pub fn needs_redis(&self) -> bool {
        self.store == Store::Redis
    }
}

pub const CONFIGURATIONS: &[Configuration] = &[
    Configuration {
        name: "session/memory",
        app: App::Session,
        store: Store::Memory,
        carrier: Carrier::Cookie,
        alg: None,
        flags: &["--session-store", "memory"],
    },
    Configuration {
        name: "session/sqlite",
        app: App::Session,
        store: Store::Sqlite,
        carrier: Carrier::Cookie,
        alg: None,
        flags: &["--session-store", "db"],
    },
    // `--redis-url` (with a logical database of its own) is added per
    // measurement: see `lab::redis::Namespace`.
    Configuration {
        name: "session/redis",
        app: App::Session,
        store: Store::Redis,
        carrier: Carrier::Cookie,
        alg: None,
        flags: &["--session-store", "redis"],
    },
    Configuration {
        name: "jwt",
        app: App::Jwt,
        store: Store::None,
        carrier: Carrier::Header,
        alg: Some(JwtAlg::Hs256),
        flags: &["--denylist", "off"],
    },
    Configuration {
        name: "jwt+denylist",
        app: App::Jwt,
        store: Store::Memory,
        carrier: Carrier::Header,
        alg: Some(JwtAlg::Hs256),
        flags: &["--denylist", "memory"],
    },
    // `--redis-url` and a `--redis-prefix` of its own are added per measurement.
    Configuration {
        name: "jwt+denylist/redis",
        app: App::Jwt,
        store: Store::Redis,
        carrier: Carrier::Header,
        alg: Some(JwtAlg::Hs256),
        flags: &["--denylist", "redis", "--refresh-store", "redis"],
    },
    // The JWT of the `jwt` column in HttpOnly cookies instead of a header.
    Configuration {
        name: "jwt/cookie",
        app: App::Jwt,
        store: Store::None,
        carrier: Carrier::Cookie,
        alg: Some(JwtAlg::Hs256),
        flags: &["--denylist", "off", "--token-transport", "cookie"],
    },
];

pub fn configuration_names() -> impl Iterator<Item = &'static str> {
    CONFIGURATIONS.iter().map(|c| c.name)
}

/// Panics unless `c`'s flags, parsed by its server's own `Config`, make the
/// server that `c`'s fields describe: the fields are what the harness reasons
/// with, the flags what the server does.
#[cfg(test)]
pub(crate) fn assert_flags_agree_with_fields(c: &Configuration) {
    use clap::Parser;
    let mut args = vec![c.app.name()];
    args.extend_from_slice(c.flags);
    let (store, carrier, alg) = match c.app {
        App::Session => {
            use session_app::SessionStoreKind as Kind;
            let parsed = session_app::Config::try_parse_from(&args)
                .unwrap_or_else(|e| panic!("{}: {e}", c.name));
            let store = match parsed.session_store {
                Kind::Memory => Store::Memory,
                Kind::Db => Store::Sqlite,
                Kind::Redis => Store::Redis,
            };
            (store, Carrier::Cookie, None)
        }
        App::Jwt => {
            use jwt_app::{DenylistMode, RefreshStoreKind, TokenTransport};
            let parsed = jwt_app::Config::try_parse_from(&args)
                .unwrap_or_else(|e| panic!("{}: {e}", c.name));
            let store = match parsed.denylist {
                DenylistMode::Off => Store::None,
                DenylistMode::Memory => Store::Memory,
                DenylistMode::Redis => Store::Redis,
            };
            // The refresh tokens live in Redis exactly beside a Redis denylist
            // (see `Store`).
            assert_eq!(
                parsed.refresh_store == RefreshStoreKind::Redis,
                store == Store::Redis,
                "{}: --refresh-store",
                c.name
            );
            let carrier = match parsed.token_transport {
                TokenTransport::Header => Carrier::Header,
                TokenTransport::Cookie => Carrier::Cookie,
            };
            (store, carrier, Some(parsed.jwt_alg))
        }
    };
    assert_eq!(
        (store, carrier, alg),
        (c.store, c.carrier, c.alg),
        "{}: its flags {:?} make another server than its fields say",
        c.name,
        c.flags
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_of_every_configuration_agree_with_its_fields() {
        for c in CONFIGURATIONS {
            assert_flags_agree_with_fields(c);
        }
    }

    #[test]
    fn each_app_has_a_plainest_column_and_each_store_one_column_standing_for_it() {
        assert_eq!(
            Configuration::plainest(App::Session).map(|c| c.store),
            Some(Store::Memory)
        );
        assert_eq!(
            Configuration::plainest(App::Jwt).map(|c| (c.store, c.carrier)),
            Some((Store::None, Carrier::Header))
        );
        for c in CONFIGURATIONS {
            let standing = Configuration::of(c.app, c.store);
            assert!(
                standing.is_some(),
                "{}: no column stands for its store",
                c.name
            );
            let also = CONFIGURATIONS
                .iter()
                .filter(|o| Some(*o) == standing)
                .count();
            assert_eq!(also, 1, "{}", c.name);
        }
    }

    #[test]
    fn servers_read_their_settings_from_the_environment() {
        assert!(App::Session.env_vars().iter().any(|v| v == "SESSION_STORE"));
        assert!(App::Jwt.env_vars().iter().any(|v| v == "DATABASE_URL"));
        assert!(App::Session.has_flag("store-stats"));
        // The harness passes these itself, so a REDIS_URL in the shell must not leak in.
        assert!(App::Session.env_vars().iter().any(|v| v == "REDIS_URL"));
        assert!(App::Jwt.env_vars().iter().any(|v| v == "REDIS_PREFIX"));
        assert!(App::Jwt.has_flag("redis-prefix"));
    }

    #[test]
    fn the_redis_columns_derive_their_answers_from_a_shared_store() {
        let redis: Vec<&Configuration> =
            CONFIGURATIONS.iter().filter(|c| c.needs_redis()).collect();
        let names: Vec<&str> = redis.iter().map(|c| c.name).collect();
        assert_eq!(names, ["session/redis", "jwt+denylist/redis"]);
        for c in redis {
            assert!(c.store.survives_restart() && c.store.shared_between_instances());
            assert!(c.logout_revokes(), "{}", c.name);
        }
        assert!(!Store::Memory.survives_restart() && !Store::Memory.shared_between_instances());
    }
}
