//! Refresh tokens: opaque, stored only as a hash, rotated at every use, and
//! grouped in families so that a replay can revoke everything descended from
//! the stolen token. One store per backend, the rules the same in each.

mod db;
mod redis;
mod token;

use auth_core::{ApiError, stats::MeasuredStore};

pub use db::DbRefreshStore;
pub use redis::RedisRefreshStore;
pub use token::RefreshToken;

/// Where refresh tokens are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RefreshStoreKind {
    /// The `refresh_tokens` table of the users' database.
    Db,
    /// Redis (`REDIS_URL`): shared by every instance, expired by Redis itself.
    Redis,
}

impl RefreshStoreKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::Db => "db",
            Self::Redis => "redis",
        }
    }
}

/// A refresh token handed to a client. The plaintext exists only here and in
/// the response. `expires_in` is `REFRESH_TTL`, or less near the family's end.
#[derive(Debug, Clone)]
pub struct IssuedRefresh {
    pub token: RefreshToken,
    pub family_id: String,
    pub expires_in: u64,
}

/// The result of a successful rotation.
#[derive(Debug, Clone)]
pub struct Rotated {
    pub user_id: i64,
    pub issued: IssuedRefresh,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone)]
pub enum Rotation {
    /// Spent, and its successor issued.
    Rotated(Rotated),
    /// Spent already: a replay. The store has revoked the family; the caller
    /// denies the login too.
    Replayed(RefreshRecord),
}

/// Whose a stored refresh token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefreshRecord {
    pub family_id: String,
    pub user_id: i64,
}

/// A live family as "your logins" shows it (`GET /account/logins`), in Unix
/// seconds. `family_id` stays on the server: the handle names it to its user.
#[derive(Debug, Clone)]
pub struct FamilyLogin {
    pub family_id: String,
    pub handle: String,
    pub created_at: i64,
    pub last_used_at: i64,
    /// When the login ends unless refreshed: its newest token's expiry.
    pub expires_at: i64,
    pub user_agent: String,
}

/// Where refresh tokens live, behind one `Arc<dyn RefreshStore>` whichever
/// backend is configured. Every store keeps the same rules: rotation spends a
/// token atomically (exactly one of two concurrent uses wins), a replay of a
/// spent token revokes its family.
#[async_trait::async_trait]
pub trait RefreshStore: MeasuredStore {
    /// Starts a new family (a login) of the client `user_agent` (already
    /// cut to `auth_core::lifecycle::USER_AGENT_MAX_BYTES`), with a new
    /// random handle.
    async fn issue(&self, user_id: i64, user_agent: &str) -> Result<IssuedRefresh, ApiError>;

    /// Spends `token` and issues its successor in the same family. A token that
    /// was already spent is a replay: its whole family is revoked. Unknown,
    /// expired and revoked tokens are `invalid_grant`.
    async fn rotate(&self, token: &RefreshToken) -> Result<Rotation, ApiError>;

    /// Looks a token up whatever its state, for logout.
    async fn find(&self, token: &RefreshToken) -> Result<Option<RefreshRecord>, ApiError>;

    /// Revokes the family: none of its tokens refreshes again, whatever
    /// rotation is in flight (the store serializes the two).
    async fn revoke_family(&self, family_id: &str) -> Result<(), ApiError>;

    /// The families of `user_id` that are not revoked (a store may name
    /// some that are over).
    async fn live_families(&self, user_id: i64) -> Result<Vec<String>, ApiError>;

    /// The live families of `user_id` (not revoked, a token still good for a
    /// refresh), in no particular order.
    async fn logins(&self, user_id: i64) -> Result<Vec<FamilyLogin>, ApiError>;

    /// Revokes every family of `user_id` (a demotion): their ids, so that
    /// their logins can be denied as well.
    async fn revoke_user(&self, user_id: i64) -> Result<Vec<String>, ApiError> {
        let families = self.live_families(user_id).await?;
        for family in &families {
            self.revoke_family(family).await?;
        }
        Ok(families)
    }
}

/// The answer to a token that is not (or no longer) good for a rotation.
pub(crate) fn invalid_grant() -> ApiError {
    ApiError::InvalidGrant("the refresh token is unknown, expired or revoked; log in again".into())
}

/// The answer to a replayed (spent) token, whichever store noticed it.
pub(crate) fn replayed() -> ApiError {
    ApiError::InvalidGrant(
        "this refresh token was already used; every token of its login is now revoked, \
         log in again"
            .into(),
    )
}
