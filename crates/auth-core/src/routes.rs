//! The routes both servers answer the same way.

use std::{collections::HashSet, sync::Arc};

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    routing::{get, post, put},
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    ApiError, ApiJson, CommonConfig, Database, Hasher, Principal, Role, User, UserStore,
    throttle::LoginThrottle,
    validation::{CredentialsBody, Email, LoginAttempt, NewAccount},
};

/// The state behind the shared routes: users and the password hasher.
#[derive(Clone)]
pub struct Core {
    pub users: UserStore,
    pub hasher: Hasher,
    admins: Arc<HashSet<String>>,
    throttle: Arc<LoginThrottle>,
}

impl Core {
    /// Opens (and migrates) the users' database and prepares the hasher.
    pub async fn new(config: &CommonConfig) -> anyhow::Result<Self> {
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
        match self.users.by_id(who.user_id).await? {
            Some(user) => Ok(user.role),
            None => Err(ApiError::Unauthorized(
                "this account no longer exists".into(),
            )),
        }
    }

    pub async fn require_admin(&self, who: &Principal) -> Result<(), ApiError> {
        match self.role_of(who).await? {
            Role::Admin => Ok(()),
            Role::User => Err(ApiError::Forbidden("this needs the admin role".into())),
        }
    }
}

/// Routes anyone may call.
pub fn public(core: Core) -> Router {
    Router::new()
        .route("/register", post(register))
        .with_state(core)
}

/// Routes that need a [`Principal`]: the app puts its credential check in front.
pub fn protected(core: Core) -> Router {
    Router::new()
        .route("/protected", get(protected_hello))
        .route("/profile", get(profile))
        .route("/admin", get(admin))
        .route("/admin/users/{email}/role", put(set_role))
        .with_state(core)
}

pub fn user_json(user: &User) -> Value {
    json!({"id": user.id, "email": user.email, "role": user.role})
}

async fn register(
    State(core): State<Core>,
    ApiJson(body): ApiJson<CredentialsBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = core.register(body.try_into()?).await?;
    tracing::info!(user_id = user.id, role = %user.role, "registered");
    Ok((StatusCode::CREATED, Json(user_json(&user))))
}

async fn protected_hello(who: Principal) -> Json<Value> {
    Json(json!({"email": who.email, "message": format!("Hello {}", who.email)}))
}

async fn profile(State(core): State<Core>, who: Principal) -> Result<Json<Value>, ApiError> {
    let user = core
        .users
        .by_id(who.user_id)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("this account no longer exists".into()))?;
    let created_at = time::OffsetDateTime::from_unix_timestamp(user.created_at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
    Ok(Json(
        json!({"id": user.id, "email": user.email, "role": user.role, "created_at": created_at}),
    ))
}

async fn admin(State(core): State<Core>, who: Principal) -> Result<Json<Value>, ApiError> {
    core.require_admin(&who).await?;
    Ok(Json(
        json!({"message": format!("Welcome, admin {}", who.email)}),
    ))
}

#[derive(Deserialize)]
struct RoleChange {
    role: String,
}

async fn set_role(
    State(core): State<Core>,
    who: Principal,
    Path(email): Path<String>,
    ApiJson(change): ApiJson<RoleChange>,
) -> Result<Json<Value>, ApiError> {
    core.require_admin(&who).await?;
    let role: Role = change.role.parse()?;
    let email = Email::parse(&email)?;
    let user = core
        .users
        .set_role(email.as_str(), role)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no user with email {}", email.as_str())))?;
    tracing::info!(by = %who.email, user = %user.email, role = %role, "role changed");
    Ok(Json(json!({"email": user.email, "role": user.role})))
}
