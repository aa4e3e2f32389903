//! Sessions in the users' database, through tower-sessions-sqlx-store: one
//! table beside the users, in whichever dialect `DATABASE_URL` names. The
//! store has a pool of its own (it takes a typed sqlx pool, auth-core's
//! queries an `AnyPool`), pointed at the same database.
//!
//! The crate's `save` is an upsert: a request that loaded a session before
//! its logout and wrote to it afterwards would re-create the deleted row (the
//! express-session + connect-redis bug). [`DbSessions`] keeps the crate's
//! `create`, `load`, `delete` and sweep, and saves with an `UPDATE` of its
//! own, which touches only a row that still exists, as the memory and Redis
//! stores do.
//!
//! The login listing's index is the table `session_logins` of auth-core's
//! migrations (session id, user, expiry; indexed by user), written beside
//! each session row through auth-core's pool, and swept with them.

use std::{str::FromStr, time::Duration};

use anyhow::Context;
use async_trait::async_trait;
use sqlx::{
    MySqlPool, PgPool, Pool, SqlitePool, mysql::MySqlConnectOptions, pool::PoolOptions,
    sqlite::SqliteConnectOptions,
};
use tower_sessions::{
    SessionStore,
    cookie::time::OffsetDateTime,
    session::{Id, Record},
    session_store::{self, ExpiredDeletion},
};
use tower_sessions_sqlx_store::{MySqlStore, PostgresStore, SqliteStore};

use auth_core::{Database, db::Backend};
use sqlx::Row;

use super::index_expiry;
use crate::session_user::SessionUser;
/// Connections of the store's own pool, and the longest a request waits for
/// one: sqlx's default is 30 s, far too long to learn that the database is down.
const POOL_SIZE: u32 = 8;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(3);
/// The session table in MySQL/MariaDB, beside the users (see [`DbSessions::open`]).
const MYSQL_TABLE: &str = "tower_sessions";

/// The `db` session store, opened on the users' database.
#[derive(Clone, Debug)]
pub struct DbSessions {
    store: SqlxStore,
    /// The session table, named as a query in the users' database names it.
    table: String,
    /// `UPDATE` of a session's row, in the dialect's placeholders.
    update: String,
    /// The users' database, where the index `session_logins` lives.
    db: Database,
}

/// The crate's store, with the pool it was given (the store keeps it private).
#[derive(Clone, Debug)]
enum SqlxStore {
    Sqlite(SqliteStore, SqlitePool),
    Postgres(PostgresStore, PgPool),
    MySql(MySqlStore, MySqlPool),
}

/// `each_store!(self, s => expr)`: `expr` with `s` bound to whichever crate
/// store `self` holds.
macro_rules! each_store {
    ($self:expr, $store:ident => $body:expr) => {
        match &$self.store {
            SqlxStore::Sqlite($store, _) => $body,
            SqlxStore::Postgres($store, _) => $body,
            SqlxStore::MySql($store, _) => $body,
        }
    };
}

impl DbSessions {
    /// Opens the session table in `db`, creating it if needed.
    pub async fn open(db: &Database) -> anyhow::Result<Self> {
        let url = db.url();
        let context = || {
            format!(
                "cannot open the session table in {}",
                auth_core::db::redact(url)
            )
        };
        let (store, table) = match db.backend() {
            Backend::Sqlite => {
                // The file is in WAL mode already (auth-core set it, and it
                // stays with the file); the busy timeout is per connection.
                let options = SqliteConnectOptions::from_str(url)
                    .with_context(context)?
                    .busy_timeout(auth_core::db::SQLITE_BUSY_TIMEOUT);
                let pool: SqlitePool = pool_options()
                    .connect_with(options)
                    .await
                    .with_context(context)?;
                let store = SqliteStore::new(pool.clone());
                store.migrate().await.with_context(context)?;
                (SqlxStore::Sqlite(store, pool), "tower_sessions".to_owned())
            }
            Backend::Postgres => {
                // Its own schema `tower_sessions` inside the users' database.
                let pool: PgPool = pool_options().connect(url).await.with_context(context)?;
                let store = PostgresStore::new(pool.clone());
                store.migrate().await.with_context(context)?;
                let table = "tower_sessions.session".to_owned();
                (SqlxStore::Postgres(store, pool), table)
            }
            Backend::MySql => {
                // MySqlStore's default schema `tower_sessions` is, on MySQL,
                // a database of its own, shared by every app on the server
                // and left behind when the users' database is dropped: keep
                // the table in the users' database instead.
                let options = MySqlConnectOptions::from_str(url).with_context(context)?;
                let schema = options.get_database().map(str::to_owned).ok_or_else(|| {
                    anyhow::anyhow!(
                        "DATABASE_URL {} names no database: SESSION_STORE=db needs one (mysql://user@host/NAME)",
                        auth_core::db::redact(url)
                    )
                })?;
                let pool: MySqlPool = pool_options()
                    .connect_with(options)
                    .await
                    .with_context(context)?;
                let store = MySqlStore::new(pool.clone())
                    .with_schema_name(&schema)
                    .and_then(|s| s.with_table_name(MYSQL_TABLE))
                    .map_err(anyhow::Error::msg)
                    .with_context(context)?;
                store.migrate().await.with_context(context)?;
                let table = format!("`{schema}`.`{MYSQL_TABLE}`");
                (SqlxStore::MySql(store, pool), table)
            }
        };
        let update = db
            .sql(&format!(
                "UPDATE {table} SET data = ?, expiry_date = ? WHERE id = ?"
            ))
            .into_owned();
        Ok(Self {
            store,
            table,
            update,
            db: db.clone(),
        })
    }

    /// Index rows (one per session of a user), for `/debug/store`.
    pub async fn index_entries(&self) -> Result<i64, sqlx::Error> {
        let row = sqlx::query("SELECT COUNT(*) FROM session_logins")
            .fetch_one(self.db.pool())
            .await?;
        row.try_get::<i64, _>(0)
    }

    /// The live sessions of user `user`: the index's rows, each session
    /// loaded; a row whose session is gone is deleted on the way.
    pub async fn of_user(&self, user: i64) -> session_store::Result<Vec<Record>> {
        let rows = sqlx::query(
            &self
                .db
                .sql("SELECT session_id FROM session_logins WHERE user_id = ? AND expires_at > ?"),
        )
        .bind(user)
        .bind(auth_core::unix_now())
        .fetch_all(self.db.pool())
        .await
        .map_err(backend)?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let id: String = row.try_get(0).map_err(backend)?;
            let Ok(parsed) = id.parse::<Id>() else {
                continue;
            };
            match self.load(&parsed).await? {
                Some(record) => records.push(record),
                None => self.unindex(&id).await?,
            }
        }
        Ok(records)
    }

    /// Deletes every session of user `user` but `keep`, with their index
    /// rows, in one transaction: all of them end, or none.
    pub async fn end_all(&self, user: i64, keep: Option<Id>) -> session_store::Result<usize> {
        let keep = keep.map(|id| id.to_string()).unwrap_or_default();
        let mut tx = self.db.pool().begin().await.map_err(backend)?;
        // The first statement writes: a SQLite transaction that began with a
        // read could not always take the write lock later (SQLITE_BUSY).
        sqlx::query(&self.db.sql(&format!(
            "DELETE FROM {} WHERE id IN \
             (SELECT session_id FROM session_logins WHERE user_id = ? AND session_id <> ?)",
            self.table
        )))
        .bind(user)
        .bind(&keep)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        let live: i64 = sqlx::query(&self.db.sql(
            "SELECT COUNT(*) FROM session_logins \
             WHERE user_id = ? AND session_id <> ? AND expires_at > ?",
        ))
        .bind(user)
        .bind(&keep)
        .bind(auth_core::unix_now())
        .fetch_one(&mut *tx)
        .await
        .and_then(|row| row.try_get(0))
        .map_err(backend)?;
        sqlx::query(
            &self
                .db
                .sql("DELETE FROM session_logins WHERE user_id = ? AND session_id <> ?"),
        )
        .bind(user)
        .bind(&keep)
        .execute(&mut *tx)
        .await
        .map_err(backend)?;
        tx.commit().await.map_err(backend)?;
        Ok(usize::try_from(live).unwrap_or(0))
    }

    async fn index(&self, record: &Record, user: i64) -> session_store::Result<()> {
        sqlx::query(
            &self.db.sql(
                "INSERT INTO session_logins (session_id, user_id, expires_at) VALUES (?, ?, ?)",
            ),
        )
        .bind(record.id.to_string())
        .bind(user)
        .bind(index_expiry(record))
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn unindex(&self, id: &str) -> session_store::Result<()> {
        sqlx::query(
            &self
                .db
                .sql("DELETE FROM session_logins WHERE session_id = ?"),
        )
        .bind(id)
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    /// The session table, named as a query in the users' database must name
    /// it (for `Database::measure`).
    pub fn table(&self) -> &str {
        &self.table
    }
}

#[async_trait]
impl SessionStore for DbSessions {
    /// Creates the session, then its index row; a session whose row cannot
    /// be written is deleted again, so that no login escapes the index.
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        each_store!(self, s => s.create(record).await)?;
        if let Some(user) = SessionUser::of(record).map(|u| u.id)
            && let Err(e) = self.index(record, user).await
        {
            let _ = self.delete(&record.id).await;
            return Err(e);
        }
        Ok(())
    }

    /// Updates the session's row if it still exists; a session deleted (by a
    /// logout, or expired and swept) while the request ran stays deleted, and
    /// that is no error for the request.
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        // The encoding the crate's `load` decodes.
        let data =
            rmp_serde::to_vec(record).map_err(|e| session_store::Error::Encode(e.to_string()))?;
        let updated = match &self.store {
            SqlxStore::Sqlite(_, pool) => update(pool, &self.update, data, record).await,
            SqlxStore::Postgres(_, pool) => update(pool, &self.update, data, record).await,
            SqlxStore::MySql(_, pool) => update(pool, &self.update, data, record).await,
        };
        updated.map_err(backend)?;
        // The index row follows the expiry; a row gone (with its session) stays gone.
        sqlx::query(
            &self
                .db
                .sql("UPDATE session_logins SET expires_at = ? WHERE session_id = ?"),
        )
        .bind(index_expiry(record))
        .bind(record.id.to_string())
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        each_store!(self, s => s.load(id).await)
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        each_store!(self, s => s.delete(id).await)?;
        self.unindex(&id.to_string()).await
    }
}

#[async_trait]
impl ExpiredDeletion for DbSessions {
    async fn delete_expired(&self) -> session_store::Result<()> {
        each_store!(self, s => s.delete_expired().await)?;
        sqlx::query(
            &self
                .db
                .sql("DELETE FROM session_logins WHERE expires_at <= ?"),
        )
        .bind(auth_core::unix_now())
        .execute(self.db.pool())
        .await
        .map_err(backend)?;
        Ok(())
    }
}

/// Runs `sql` (the `UPDATE` of [`DbSessions`]) with the record's data, expiry
/// and id, bound as the crate binds them.
async fn update<DB>(
    pool: &Pool<DB>,
    sql: &str,
    data: Vec<u8>,
    record: &Record,
) -> Result<(), sqlx::Error>
where
    DB: sqlx::Database,
    for<'q> <DB as sqlx::Database>::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    for<'c> &'c mut <DB as sqlx::Database>::Connection: sqlx::Executor<'c, Database = DB>,
    for<'q> Vec<u8>: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> OffsetDateTime: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
    for<'q> String: sqlx::Encode<'q, DB> + sqlx::Type<DB>,
{
    sqlx::query(sql)
        .bind(data)
        .bind(record.expiry_date)
        .bind(record.id.to_string())
        .execute(pool)
        .await?;
    Ok(())
}

fn backend(e: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

fn pool_options<DB: sqlx::Database>() -> PoolOptions<DB> {
    PoolOptions::new()
        .max_connections(POOL_SIZE)
        .acquire_timeout(ACQUIRE_TIMEOUT)
}
