use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::{ApiError, Database, db::Backend, unix_now, validation::Email};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum, utoipa::ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    User,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ApiError;
    fn from_str(s: &str) -> Result<Self, ApiError> {
        match s {
            "user" => Ok(Self::User),
            "admin" => Ok(Self::Admin),
            other => Err(ApiError::InvalidInput(format!(
                "role must be \"user\" or \"admin\", not {other:?}"
            ))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub password_hash: String,
    pub role: Role,
    /// Unix seconds.
    pub created_at: i64,
    /// How many times every login of the user was ended (see
    /// `migrations/*/0004_account_lifecycle.sql`), read with the password hash.
    pub logins_epoch: i64,
}

/// What a role change did: the user as it is now, and the role it had.
#[derive(Debug, Clone)]
pub struct RoleChange {
    pub user: User,
    pub before: Role,
}

impl RoleChange {
    /// Whether the change took a role away or kept it at `user`: every such
    /// change ends the user's logins in jwt-app (its tokens carry the role).
    pub fn to_user(&self) -> bool {
        self.user.role == Role::User
    }
}

/// The line an operator's `set-role` prints.
impl fmt::Display for RoleChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (email, role) = (&self.user.email, self.user.role);
        if self.before == role {
            write!(f, "{email} is already {role}; nothing changed")
        } else {
            write!(f, "{email}: {} -> {role}", self.before)
        }
    }
}

/// The users table, whichever database holds it.
#[derive(Clone, Debug)]
pub struct UserStore {
    db: Database,
}

const COLUMNS: &str = "id, email, password_hash, role, created_at, logins_epoch";

impl UserStore {
    pub fn new(db: Database) -> Self {
        Self { db }
    }

    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Inserts a user; a taken email is `EmailTaken`, decided by the UNIQUE
    /// constraint so that two racing registrations cannot both succeed.
    pub async fn create(
        &self,
        email: &Email,
        password_hash: &str,
        role: Role,
    ) -> Result<User, ApiError> {
        let inserted =
            sqlx::query(&self.db.sql(
                "INSERT INTO users (email, password_hash, role, created_at) VALUES (?, ?, ?, ?)",
            ))
            .bind(email.as_str())
            .bind(password_hash)
            .bind(role.as_str())
            .bind(unix_now())
            .execute(self.db.pool())
            .await;
        match inserted {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                return Err(ApiError::EmailTaken);
            }
            other => other?,
        };
        self.by_email(email.as_str())
            .await?
            .ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the inserted user is missing")))
    }

    pub async fn by_email(&self, email: &str) -> Result<Option<User>, ApiError> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE email = ?");
        let row = sqlx::query(&self.db.sql(&sql))
            .bind(email)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    pub async fn by_id(&self, id: i64) -> Result<Option<User>, ApiError> {
        let sql = format!("SELECT {COLUMNS} FROM users WHERE id = ?");
        let row = sqlx::query(&self.db.sql(&sql))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| user_from_row(&r)).transpose()
    }

    /// Sets a user's role; `None` when there is no such user, `LastAdmin`
    /// when it would leave no admin. The admins' rows are locked first
    /// (`FOR UPDATE`; SQLite lets one writer at a time anyway), so that two
    /// admins demoting each other at once cannot both succeed.
    /// Sets the role of the account `email` in one transaction with the
    /// last-admin rule; `None` for an unknown email.
    pub async fn set_role(&self, email: &str, role: Role) -> Result<Option<RoleChange>, ApiError> {
        let lock = match self.db.backend() {
            Backend::Sqlite => "",
            Backend::Postgres | Backend::MySql => " FOR UPDATE",
        };
        let mut tx = self.db.pool().begin().await?;
        let admins = sqlx::query(&format!(
            "SELECT id FROM users WHERE role = 'admin' ORDER BY id{lock}"
        ))
        .fetch_all(&mut *tx)
        .await?
        .len();
        let sql = format!("SELECT {COLUMNS} FROM users WHERE email = ?");
        let Some(row) = sqlx::query(&self.db.sql(&sql))
            .bind(email)
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Ok(None);
        };
        let user = user_from_row(&row)?;
        if user.role == Role::Admin && role != Role::Admin && admins <= 1 {
            return Err(ApiError::LastAdmin);
        }
        sqlx::query(&self.db.sql("UPDATE users SET role = ? WHERE id = ?"))
            .bind(role.as_str())
            .bind(user.id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        let before = user.role;
        Ok(Some(RoleChange {
            user: User { role, ..user },
            before,
        }))
    }

    pub async fn set_password_hash(&self, id: i64, hash: &str) -> Result<(), ApiError> {
        sqlx::query(
            &self
                .db
                .sql("UPDATE users SET password_hash = ? WHERE id = ?"),
        )
        .bind(hash)
        .bind(id)
        .execute(self.db.pool())
        .await?;
        Ok(())
    }

    /// Replaces the password hash `old` of user `id` with `new`, adding
    /// `epoch_step` to its logins epoch in the same statement; `false` when
    /// the hash is no longer `old` (another change won the race).
    pub async fn replace_password_hash(
        &self,
        id: i64,
        old: &str,
        new: &str,
        epoch_step: i64,
    ) -> Result<bool, ApiError> {
        let done = sqlx::query(&self.db.sql(
            "UPDATE users SET password_hash = ?, logins_epoch = logins_epoch + ? \
             WHERE id = ? AND password_hash = ?",
        ))
        .bind(new)
        .bind(epoch_step)
        .bind(id)
        .bind(old)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Adds one to the logins epoch of user `id`: every login that is still
    /// being made for it undoes itself. `false` for an unknown user.
    pub async fn bump_logins_epoch(&self, id: i64) -> Result<bool, ApiError> {
        let done = sqlx::query(
            &self
                .db
                .sql("UPDATE users SET logins_epoch = logins_epoch + 1 WHERE id = ?"),
        )
        .bind(id)
        .execute(self.db.pool())
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The logins epoch of user `id` now; `None` for an unknown user.
    pub async fn logins_epoch(&self, id: i64) -> Result<Option<i64>, ApiError> {
        let row = sqlx::query(&self.db.sql("SELECT logins_epoch FROM users WHERE id = ?"))
            .bind(id)
            .fetch_optional(self.db.pool())
            .await?;
        row.map(|r| {
            r.try_get::<i64, _>(0)
                .map_err(|e| ApiError::Internal(e.into()))
        })
        .transpose()
    }

    pub async fn count(&self) -> Result<i64, ApiError> {
        let row = sqlx::query("SELECT COUNT(*) FROM users")
            .fetch_one(self.db.pool())
            .await?;
        Ok(row.try_get::<i64, _>(0).map_err(anyhow::Error::from)?)
    }
}

fn user_from_row(row: &sqlx::any::AnyRow) -> Result<User, ApiError> {
    let get = |e: sqlx::Error| ApiError::Internal(e.into());
    let role: String = row.try_get("role").map_err(get)?;
    Ok(User {
        id: row.try_get("id").map_err(get)?,
        email: row.try_get("email").map_err(get)?,
        password_hash: row.try_get("password_hash").map_err(get)?,
        role: role.parse()?,
        created_at: row.try_get("created_at").map_err(get)?,
        logins_epoch: row.try_get("logins_epoch").map_err(get)?,
    })
}
