//! Ending logins, in one place. A login of jwt-app is a refresh family: it
//! ends when the family is revoked (no refresh renews it) and, with a
//! denylist, when its access tokens are denied too. Without a denylist they
//! keep working until `exp`: the logout loophole the workshop measures.
//!
//! Logout, a detected refresh replay, a demotion (the admin's route and the
//! operator's command) all end logins here; the stores only keep the records.

use std::sync::Arc;

use auth_core::{ApiError, RoleChange};

use crate::{
    denylist::{Denied, Denylist},
    refresh_tokens::RefreshStore,
    tokens::Tokens,
};

/// The refresh families and the denylist, with the token lifetime that says
/// how long a denied login must stay denied.
#[derive(Clone)]
pub struct Revocation {
    refresh: Arc<dyn RefreshStore>,
    /// `None` when `DENYLIST=off`: then no request pays a lookup at all.
    denylist: Option<Arc<dyn Denylist>>,
    tokens: Arc<Tokens>,
}

impl Revocation {
    pub fn new(
        refresh: Arc<dyn RefreshStore>,
        denylist: Option<Arc<dyn Denylist>>,
        tokens: Arc<Tokens>,
    ) -> Self {
        Self {
            refresh,
            denylist,
            tokens,
        }
    }

    /// What the bearer check asks for every request, if there is a denylist.
    pub fn denylist(&self) -> Option<&dyn Denylist> {
        self.denylist.as_deref()
    }

    /// Ends the logins `families`: each family revoked, then its access
    /// tokens denied.
    pub async fn end_logins(&self, families: &[String]) -> Result<(), ApiError> {
        for family in families {
            self.refresh.revoke_family(family).await?;
        }
        self.deny_logins(families).await
    }

    /// Ends every login of `user_id`. How many there were. With a denylist,
    /// the user's access tokens issued before now are refused as well (a
    /// "not before"), whichever family they came from: one a store could not
    /// name (a login racing this one) included.
    pub async fn end_all_logins_of(&self, user_id: i64) -> Result<usize, ApiError> {
        let families = self.refresh.revoke_user(user_id).await?;
        if let Some(denylist) = &self.denylist {
            denylist
                .not_before(
                    user_id,
                    auth_core::unix_now(),
                    self.tokens.last_expiry_from_now(),
                )
                .await
                .map_err(|e| ApiError::store_down("denylist", e))?;
        }
        self.deny_logins(&families).await?;
        Ok(families.len())
    }

    /// A demoted user's access tokens claim `admin` until they expire: no
    /// refresh may renew that claim, and with a denylist the tokens stop at
    /// once. Without one they keep the stale claim for reads until `exp`
    /// (the lesson; writes ask the database). Every change to `user` does
    /// this, not only one from `admin`: retrying a demotion whose revocation
    /// failed (503) must finish it, and by then the database already says
    /// `user`. The logins ended, `None` for a change that ends none.
    pub async fn after_role_change(&self, change: &RoleChange) -> Result<Option<usize>, ApiError> {
        if !change.to_user() {
            return Ok(None);
        }
        let logins = self.end_all_logins_of(change.user.id).await?;
        tracing::info!(
            user_id = change.user.id,
            logins,
            "set to user: every login revoked"
        );
        Ok(Some(logins))
    }

    /// Denies every access token of the logins `sids` until the last one
    /// issued so far can have expired; nothing without a denylist (the
    /// tokens then live until `exp`: the loophole). For families a store has
    /// revoked already (a replay it detected).
    pub async fn deny_logins(&self, sids: &[String]) -> Result<(), ApiError> {
        let Some(denylist) = &self.denylist else {
            return Ok(());
        };
        let until = self.tokens.last_expiry_from_now();
        for sid in sids {
            denylist
                .deny(Denied::Login(sid), until)
                .await
                .map_err(|e| ApiError::store_down("denylist", e))?;
        }
        Ok(())
    }

    /// Denies the one access token `jti`, which expires at `exp`: verification
    /// accepts a token up to the leeway past `exp`, so it is denied that long.
    pub async fn deny_token(&self, jti: &str, exp: i64) -> Result<(), ApiError> {
        let Some(denylist) = &self.denylist else {
            return Ok(());
        };
        let until = exp.saturating_add_unsigned(self.tokens.leeway_secs());
        denylist
            .deny(Denied::Token(jti), until)
            .await
            .map_err(|e| ApiError::store_down("denylist", e))
    }
}
