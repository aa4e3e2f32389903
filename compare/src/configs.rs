//! The columns of the table: which server, started with which flags, and what
//! its contract says it must do. Adding a column is one entry in
//! [`CONFIGURATIONS`], plus a [`Store`] variant if its state lives somewhere
//! new (as the Redis columns' did).

use clap::CommandFactory;

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
    pub flags: &'static [&'static str],
}

impl Configuration {
    /// The column called `name`, if there is one.
    pub fn named(name: &str) -> Option<&'static Self> {
        CONFIGURATIONS.iter().find(|c| c.name == name)
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
        flags: &["--session-store", "memory"],
    },
    Configuration {
        name: "session/sqlite",
        app: App::Session,
        store: Store::Sqlite,
        carrier: Carrier::Cookie,
        flags: &["--session-store", "db"],
    },
    // `--redis-url` (with a logical database of its own) is added per
    // measurement: see `redis::Namespace`.
    Configuration {
        name: "session/redis",
        app: App::Session,
        store: Store::Redis,
        carrier: Carrier::Cookie,
        flags: &["--session-store", "redis"],
    },
    Configuration {
        name: "jwt",
        app: App::Jwt,
        store: Store::None,
        carrier: Carrier::Header,
        flags: &["--denylist", "off"],
    },
    Configuration {
        name: "jwt+denylist",
        app: App::Jwt,
        store: Store::Memory,
        carrier: Carrier::Header,
        flags: &["--denylist", "memory"],
    },
    // `--redis-url` and a `--redis-prefix` of its own are added per measurement.
    Configuration {
        name: "jwt+denylist/redis",
        app: App::Jwt,
        store: Store::Redis,
        carrier: Carrier::Header,
        flags: &["--denylist", "redis", "--refresh-store", "redis"],
    },
    // The JWT of the `jwt` column in HttpOnly cookies instead of a header.
    Configuration {
        name: "jwt/cookie",
        app: App::Jwt,
        store: Store::None,
        carrier: Carrier::Cookie,
        flags: &["--denylist", "off", "--token-transport", "cookie"],
    },
];

pub fn configuration_names() -> impl Iterator<Item = &'static str> {
    CONFIGURATIONS.iter().map(|c| c.name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn flags_of_every_configuration_parse() {
        for c in CONFIGURATIONS {
            let mut args = vec![c.app.name()];
            args.extend_from_slice(c.flags);
            let parsed = match c.app {
                App::Session => session_app::Config::try_parse_from(&args).map(|_| ()),
                App::Jwt => jwt_app::Config::try_parse_from(&args).map(|_| ()),
            };
            assert!(parsed.is_ok(), "{}: {parsed:?}", c.name);
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
