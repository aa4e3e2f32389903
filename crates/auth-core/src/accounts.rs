//! The account rules both servers share: who may register, who a login
//! belongs to, and what role a request acts with.

use std::sync::Arc;

use crate::{
    ApiError, CommonConfig, Database, Hasher, Principal, Role, RoleChange, User, UserStore,
    client_addr::{ClientAddr, TrustedProxies},
    device::{Device, DeviceKey},
    throttle::{Counters, MemoryCounters, Throttle},
    validation::{Email, LoginAttempt, NewAccount},
};

/// Users, the password hasher and the throttle, behind the rules that use them.
#[derive(Clone)]
pub struct Accounts {
    pub users: UserStore,
    pub hasher: Hasher,
    throttle: Throttle,
    config: Arc<CommonConfig>,
    proxies: TrustedProxies,
    device_key: Option<DeviceKey>,
}

impl Accounts {
    /// Opens (and migrates) the users' database and prepares the hasher.
    pub async fn open(config: &CommonConfig) -> anyhow::Result<Self> {
        let db = Database::connect(&config.database_url()).await?;
        let hasher = Hasher::new(
            config.bcrypt_cost,
            config.hash_concurrency,
            config.hash_queue_timeout,
        )
        .await?;
        let throttle = Throttle::new(config, MemoryCounters::swept(config.login_window));
        Ok(Self {
            users: UserStore::new(db),
            hasher,
            throttle,
            proxies: TrustedProxies::new(&config.serve.trust_proxy),
            device_key: DeviceKey::from_config(config)?,
            config: Arc::new(config.clone()),
        })
    }

    /// The same accounts with the throttle's counts kept in `counters` (Redis,
    /// shared by every instance) instead of this process.
    pub fn with_counters(self, counters: Arc<dyn Counters>) -> Self {
        Self {
            throttle: Throttle::new(&self.config, counters),
            ..self
        }
    }

    /// The proxies whose `X-Forwarded-For` is believed (`TRUST_PROXY`).
    pub fn trusted_proxies(&self) -> &TrustedProxies {
        &self.proxies
    }

    /// The key that signs device cookies; `None` with `DEVICE_COOKIE_TTL=0`.
    pub fn device_key(&self) -> Option<&DeviceKey> {
        self.device_key.as_ref()
    }

    pub fn db(&self) -> &Database {
        self.users.db()
    }

    pub async fn register(&self, account: NewAccount, from: ClientAddr) -> Result<User, ApiError> {
        self.throttle.begin_registration(from).await?;
        let hash = self.hasher.hash(account.password.into_inner()).await?;
        // Always `user`: an operator grants `admin` (`set-role`).
        self.users.create(&account.email, &hash, Role::User).await
    }

    /// The user these credentials belong to. An unknown email and a wrong
    /// password give the same error after the same bcrypt work. The attempt
    /// is counted before bcrypt runs; over a limit it is answered 429 without
    /// any of that.
    pub async fn authenticate(
        &self,
        attempt: LoginAttempt,
        from: ClientAddr,
    ) -> Result<User, ApiError> {
        self.authenticate_on(attempt, from, &Device::Unknown).await
    }

    /// [`Accounts::authenticate`] from a browser that may have logged in to
    /// this account before: with a device cookie signed for the attempt's
    /// email, the attempt is not held to the per-email cap (strangers'
    /// failures cannot lock the owner's browser out), only to the
    /// per-(email, address) and per-address ones.
    pub async fn authenticate_on(
        &self,
        attempt: LoginAttempt,
        from: ClientAddr,
        device: &Device,
    ) -> Result<User, ApiError> {
        let known = device.is_known_for(&attempt.email);
        let reservation = self
            .throttle
            .begin_login_from(&attempt.email, from, known)
            .await?;
        match self.check_password(attempt).await {
            Ok(user) => {
                self.throttle.succeeded(reservation).await?;
                Ok(user)
            }
            Err(ApiError::InvalidCredentials) => Err(ApiError::InvalidCredentials),
            Err(other) => {
                // Not a wrong guess (a store was down, the hasher was busy):
                // it must not count towards anyone's lockout.
                if let Err(e) = self.throttle.not_a_guess(reservation).await {
                    tracing::warn!(error = %e, "could not give back a throttle reservation");
                }
                Err(other)
            }
        }
    }

    async fn check_password(&self, attempt: LoginAttempt) -> Result<User, ApiError> {
        let user = self.users.by_email(attempt.email.as_str()).await?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        // Verified in every case (against a dummy hash for an unknown email),
        // so that both failures cost the same time.
        let password = attempt.password;
        let verified = self.hasher.verify(password.clone(), hash).await?;
        match user {
            Some(user) if verified => {
                if self.hasher.needs_rehash(&user.password_hash) {
                    self.rehash(&user, password).await;
                }
                Ok(user)
            }
            _ => Err(ApiError::InvalidCredentials),
        }
    }

    /// Stores the password again at the configured cost: raising
    /// `BCRYPT_COST` reaches every account at its next login. A failure here
    /// costs the login nothing; the next one tries again.
    async fn rehash(&self, user: &User, password: String) {
        let done = match self.hasher.hash(password).await {
            Ok(hash) => self.users.set_password_hash(user.id, &hash).await,
            Err(e) => Err(e),
        };
        match done {
            Ok(()) => tracing::info!(
                user_id = user.id,
                cost = self.hasher.cost(),
                "password rehashed"
            ),
            Err(e) => {
                tracing::warn!(user_id = user.id, error = %e, "could not rehash the password")
            }
        }
    }

    /// The role to authorize with: the credential's claim if it carries one
    /// (jwt-app: stale until refresh), else the database's (session-app: at once).
    pub async fn role_of(&self, who: &Principal) -> Result<Role, ApiError> {
        if let Some(role) = who.role_claim {
            return Ok(role);
        }
        Ok(self.current_user(who).await?.role)
    }

    /// For reads: the role the credential claims is enough (stale in jwt-app
    /// until the next refresh, which is the lesson).
    pub async fn require_admin(&self, who: &Principal) -> Result<(), ApiError> {
        admin_only(self.role_of(who).await?)
    }

    /// For privileged writes: the role the database holds now, whatever the
    /// credential claims, so that a demoted admin's old token cannot undo
    /// its demotion.
    pub async fn require_admin_now(&self, who: &Principal) -> Result<(), ApiError> {
        admin_only(self.current_user(who).await?.role)
    }

    /// Sets the role of the account `email`; demoting the last admin is
    /// refused. The one role change of both apps, for the admin's route and
    /// the operator's command alike.
    pub async fn change_role(&self, email: &Email, role: Role) -> Result<RoleChange, ApiError> {
        self.users
            .set_role(email.as_str(), role)
            .await?
            .ok_or_else(|| ApiError::NotFound(format!("no user with email {}", email.as_str())))
    }

    /// The caller's row as the database holds it now.
    pub async fn current_user(&self, who: &Principal) -> Result<User, ApiError> {
        self.users
            .by_id(who.user_id)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("this account no longer exists".into()))
    }
}

/// 403 unless `role` is admin: the one refusal every role-gated route gives,
/// whoever decided the role.
pub fn admin_only(role: Role) -> Result<(), ApiError> {
    match role {
        Role::Admin => Ok(()),
        Role::User => Err(ApiError::Forbidden("this needs the admin role".into())),
    }
}
