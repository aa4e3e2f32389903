//! What the bench measures: every configuration column, the bare servers
//! doing the same library work, and which bare server each column is held
//! against.

use crate::columns::{App, CONFIGURATIONS, Carrier, Configuration, JwtAlg, Store};

/// jwt-app with EdDSA signatures: not a column of the comparison table (the
/// scenarios do not depend on the algorithm), but the bench has an EdDSA
/// bare server and so holds this one against it.
pub const JWT_EDDSA: Configuration = Configuration {
    name: "jwt/eddsa",
    app: App::Jwt,
    store: Store::None,
    carrier: Carrier::Header,
    alg: Some(JwtAlg::EdDsa),
    flags: &["--denylist", "off", "--jwt-alg", "EdDSA"],
};

/// The route every column's row loads: a signed-in user's credential
/// checked, and nothing else done.
pub const PROTECTED_PATH: &str = "/protected";

/// The path no router has: a JSON 404 from every layer of ours, and no
/// credential work.
pub const UNKNOWN_PATH: &str = "/no-such-route";

/// The server a row's load goes to.
#[derive(Debug, Clone, Copy)]
pub enum Subject {
    Bare(bare::Kind),
    /// One of our servers, loaded on `path` (with a signed-in user's
    /// credential when `signed_in`), answered `expect`.
    Column {
        config: &'static Configuration,
        path: &'static str,
        signed_in: bool,
        expect: u16,
    },
}

/// One row of the bench's table.
#[derive(Debug, Clone)]
pub struct Row {
    pub name: String,
    pub subject: Subject,
    /// The bare server doing the same library work (`None` for the bare rows).
    pub counterpart: Option<bare::Kind>,
}

impl Row {
    pub fn needs_redis(&self) -> bool {
        match self.subject {
            Subject::Bare(kind) => kind.needs_redis(),
            Subject::Column { config, .. } => config.needs_redis(),
        }
    }
}

pub const BARE: [bare::Kind; 7] = [
    bare::Kind::Route,
    bare::Kind::SessionMemory,
    bare::Kind::SessionSqlite,
    bare::Kind::SessionRedis,
    bare::Kind::Hs256,
    bare::Kind::Eddsa,
    bare::Kind::Hs256Redis,
];

/// The bare server doing the library work `config` does on `/protected`.
/// The in-memory denylist's lookup and the cookie's parsing are ours, so
/// those columns are held against the plain signature check.
pub fn counterpart(config: &Configuration) -> bare::Kind {
    match (config.app, config.store) {
        (App::Session, Store::Memory | Store::None) => bare::Kind::SessionMemory,
        (App::Session, Store::Sqlite) => bare::Kind::SessionSqlite,
        (App::Session, Store::Redis) => bare::Kind::SessionRedis,
        (App::Jwt, Store::Redis) => bare::Kind::Hs256Redis,
        (App::Jwt, _) if config.alg == Some(JwtAlg::EdDsa) => bare::Kind::Eddsa,
        (App::Jwt, _) => bare::Kind::Hs256,
    }
}

/// Every row, bare ones first, then the columns in table order, then the
/// bench's own: EdDSA, and the unknown path through all of session-app's layers.
pub fn all() -> Vec<Row> {
    static EDDSA: Configuration = JWT_EDDSA;
    let mut rows: Vec<Row> = BARE
        .iter()
        .map(|&kind| Row {
            name: kind.name().to_owned(),
            subject: Subject::Bare(kind),
            counterpart: None,
        })
        .collect();
    for config in CONFIGURATIONS.iter().chain(std::iter::once(&EDDSA)) {
        rows.push(Row {
            name: config.name.to_owned(),
            subject: Subject::Column {
                config,
                path: PROTECTED_PATH,
                signed_in: true,
                expect: 200,
            },
            counterpart: Some(counterpart(config)),
        });
    }
    if let Some(session) = Configuration::plainest(App::Session) {
        rows.push(Row {
            name: format!("{} · unknown path", session.name),
            subject: Subject::Column {
                config: session,
                path: UNKNOWN_PATH,
                signed_in: false,
                expect: 404,
            },
            counterpart: Some(bare::Kind::Route),
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_column_has_a_counterpart_that_is_a_bare_row() {
        let rows = all();
        for config in CONFIGURATIONS {
            let row = rows.iter().find(|r| r.name == config.name);
            let counterpart = row.and_then(|r| r.counterpart);
            assert!(
                counterpart.is_some_and(|k| rows.iter().any(|r| r.name == k.name())),
                "{}",
                config.name
            );
        }
        assert_eq!(counterpart(&JWT_EDDSA), bare::Kind::Eddsa);
        let session_redis = Configuration::of(App::Session, Store::Redis);
        assert_eq!(
            session_redis.map(counterpart),
            Some(bare::Kind::SessionRedis)
        );
    }

    #[test]
    fn the_eddsa_column_flags_agree_with_its_fields() {
        crate::columns::assert_flags_agree_with_fields(&JWT_EDDSA);
    }
}
