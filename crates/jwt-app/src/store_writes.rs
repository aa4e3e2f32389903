//! The stores' writes, counted for `/debug/store`: what requests cost the
//! refresh-token store (a login, a rotation, a revocation) and the denylist
//! (a denial, a "not before"). Each call that changes a store counts one,
//! however many records it touches; reads (the bearer check's lookup, "your
//! logins") count none.

use std::sync::Arc;

use auth_core::{
    ApiError,
    stats::{MeasuredStore, StoreStats, Writes},
};

use crate::{
    denylist::{Checked, Denied, Denylist, DenylistError},
    refresh_tokens::{
        FamilyLogin, IssuedRefresh, RefreshRecord, RefreshStore, RefreshToken, Rotation,
    },
};

/// A store with its writes counted in `writes`.
pub struct Counted<S: ?Sized> {
    store: Arc<S>,
    writes: Arc<Writes>,
}

impl<S: ?Sized> Counted<S> {
    pub fn new(store: Arc<S>, writes: Arc<Writes>) -> Self {
        Self { store, writes }
    }

    /// Counts one write if it was made.
    fn wrote<T, E>(&self, result: Result<T, E>) -> Result<T, E> {
        if result.is_ok() {
            self.writes.record();
        }
        result
    }
}

#[async_trait::async_trait]
impl<S: MeasuredStore + ?Sized> MeasuredStore for Counted<S> {
    async fn stats(&self) -> Result<StoreStats, ApiError> {
        self.store.stats().await
    }
}

#[async_trait::async_trait]
impl RefreshStore for Counted<dyn RefreshStore> {
    async fn issue(&self, user_id: i64, user_agent: &str) -> Result<IssuedRefresh, ApiError> {
        let result = self.store.issue(user_id, user_agent).await;
        self.wrote(result)
    }

    /// A rotation and a replay's revocation write; a token refused as
    /// unknown, expired or revoked writes nothing.
    async fn rotate(&self, token: &RefreshToken) -> Result<Rotation, ApiError> {
        let result = self.store.rotate(token).await;
        self.wrote(result)
    }

    async fn find(&self, token: &RefreshToken) -> Result<Option<RefreshRecord>, ApiError> {
        self.store.find(token).await
    }

    async fn revoke_family(&self, family_id: &str) -> Result<(), ApiError> {
        let result = self.store.revoke_family(family_id).await;
        self.wrote(result)
    }

    async fn live_families(&self, user_id: i64) -> Result<Vec<String>, ApiError> {
        self.store.live_families(user_id).await
    }

    async fn logins(&self, user_id: i64) -> Result<Vec<FamilyLogin>, ApiError> {
        self.store.logins(user_id).await
    }

    /// A user without a live family is left as it was.
    async fn revoke_user(&self, user_id: i64) -> Result<Vec<String>, ApiError> {
        let families = self.store.revoke_user(user_id).await?;
        if !families.is_empty() {
            self.writes.record();
        }
        Ok(families)
    }
}

#[async_trait::async_trait]
impl Denylist for Counted<dyn Denylist> {
    async fn deny(&self, entry: Denied<'_>, until: i64) -> Result<(), DenylistError> {
        let result = self.store.deny(entry, until).await;
        self.wrote(result)
    }

    async fn not_before(&self, user_id: i64, at: i64, until: i64) -> Result<(), DenylistError> {
        let result = self.store.not_before(user_id, at, until).await;
        self.wrote(result)
    }

    async fn is_denied(&self, token: &Checked<'_>) -> Result<bool, DenylistError> {
        self.store.is_denied(token).await
    }
}
