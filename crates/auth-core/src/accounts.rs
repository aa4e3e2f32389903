//! The account rules both servers share: who may register, who a login
//! belongs to, and what role a request acts with.

use std::{collections::HashSet, sync::Arc};

use crate::{
    ApiError, CommonConfig, Database, Hasher, Principal, Role, User, UserStore,
    throttle::LoginThrottle,
    validation::{Email, LoginAttempt, NewAccount},
};

/// Users, the password hasher and the login throttle, behind the rules that use them.
#[derive(Clone)]
pub struct Accounts {
    pub users: UserStore,
    pub hasher: Hasher,
    admins: Arc<HashSet<String>>,
    throttle: Arc<LoginThrottle>,
}

impl Accounts {
    /// Opens (and migrates) the users' database and prepares the hasher.
    pub async fn open(config: &CommonConfig) -> anyhow::Result<Self> {
        let db = Database::connect(&config.database_url()).await?;
        let hasher = Hasher::new(config.bcrypt_cost).await?;
        let admins = config
            .admin_emails
            .iter()
            .filter_map(|e| Email::parse(e).ok())
            .map(|e| e.as_str().to_owned())
            .collect();
        let throttle = LoginThrottle::new(config.login_max_failures, config.login_window);
        Ok(Self {
            users: UserStore::new(db),
            hasher,
            admins: Arc::new(admins),
            throttle: Arc::new(throttle),
        })
    }

    pub fn db(&self) -> &Database {
        self.users.db()
    }

    pub async fn register(&self, account: NewAccount) -> Result<User, ApiError> {
        let role = if self.admins.contains(account.email.as_str()) {
            Role::Admin
        } else {
            Role::User
        };
        let hash = self.hasher.hash(account.password.into_inner()).await?;
        self.users.create(&account.email, &hash, role).await
    }

    /// The user these credentials belong to. An unknown email and a wrong
    /// password give the same error after the same bcrypt work.
    /// Too many recent failures for the email answer 429 before any of that.
    pub async fn authenticate(&self, attempt: LoginAttempt) -> Result<User, ApiError> {
        let email = attempt.email.as_str();
        if let Err(wait) = self.throttle.check(email) {
            // Round up: a client that waits exactly `Retry-After` must get in.
            return Err(ApiError::TooManyAttempts(wait.as_secs() + 1));
        }
        let user = self.users.by_email(email).await?;
        let hash = user.as_ref().map(|u| u.password_hash.clone());
        // Verified in every case (against a dummy hash for an unknown email),
        // so that both failures cost the same time.
        let verified = self.hasher.verify(attempt.password, hash).await?;
        match user {
            Some(user) if verified => {
                self.throttle.record_success(email);
                Ok(user)
            }
            _ => {
                self.throttle.record_failure(email);
                Err(ApiError::InvalidCredentials)
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

    pub async fn require_admin(&self, who: &Principal) -> Result<(), ApiError> {
        match self.role_of(who).await? {
            Role::Admin => Ok(()),
            Role::User => Err(ApiError::Forbidden("this needs the admin role".into())),
        }
    }

    /// The caller's row as the database holds it now.
    pub async fn current_user(&self, who: &Principal) -> Result<User, ApiError> {
        self.users
            .by_id(who.user_id)
            .await?
            .ok_or_else(|| ApiError::Unauthorized("this account no longer exists".into()))
    }
}
