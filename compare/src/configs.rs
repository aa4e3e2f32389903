//! The columns of the table: which server, started with which flags, and what
//! its contract says it must do. Adding a column (a Redis store, say) is one
//! entry in [`CONFIGURATIONS`], plus a [`Store`] variant if its state lives
//! somewhere new.

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
/// (refresh tokens are always in the users' database, and do not decide
/// whether an access token is accepted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Store {
    /// No such state: a stateless signature check (jwt-app, `--denylist off`).
    None,
    /// In the server process: lost on restart, not shared between instances.
    Memory,
    /// In the users' SQLite file in the data folder.
    Sqlite,
}

impl Store {
    pub fn survives_restart(self) -> bool {
        matches!(self, Self::Sqlite)
    }

    pub fn shared_between_instances(self) -> bool {
        matches!(self, Self::Sqlite)
    }
}

/// One column: a server and the flags that make it this configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Configuration {
    pub name: &'static str,
    pub app: App,
    pub store: Store,
    pub flags: &'static [&'static str],
}

impl Configuration {
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
}

pub const CONFIGURATIONS: &[Configuration] = &[
    Configuration {
        name: "session/memory",
        app: App::Session,
        store: Store::Memory,
        flags: &["--session-store", "memory"],
    },
    Configuration {
        name: "session/sqlite",
        app: App::Session,
        store: Store::Sqlite,
        flags: &["--session-store", "db"],
    },
    Configuration {
        name: "jwt",
        app: App::Jwt,
        store: Store::None,
        flags: &["--denylist", "off"],
    },
    Configuration {
        name: "jwt+denylist",
        app: App::Jwt,
        store: Store::Memory,
        flags: &["--denylist", "memory"],
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
    }
}
