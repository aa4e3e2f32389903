//! The handlers both servers answer the same way. Each app mounts them in its
//! own `app()`, beside its login and logout, so that every path it serves is
//! listed in one place. Each handler carries its `#[utoipa::path]`: the
//! route's path, its answers and their types, for the app's OpenAPI document
//! ([`crate::openapi`]).

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    Accounts, ApiError, ApiJson, Principal, Role, RoleChange, User,
    client_addr::ClientAddr,
    openapi::ErrorBody,
    validation::{Email, RegistrationBody},
};

/// An account as registration answers it.
#[derive(Serialize, ToSchema)]
pub struct Account {
    pub id: i64,
    pub email: String,
    pub role: Role,
}

impl From<&User> for Account {
    fn from(user: &User) -> Self {
        Self {
            id: user.id,
            email: user.email.clone(),
            role: user.role,
        }
    }
}

/// `POST /register`
#[utoipa::path(
    post,
    path = "/register",
    tag = "accounts",
    request_body = RegistrationBody,
    responses(
        (status = 201, description = "Registered, always with the role `user`", body = Account,
            links(("SetRole" = (operation_id = "set_role", parameters(("email" = "$response.body#/email")))))),
        (status = 400, description = "Not an email, or a password outside 8 to 72 bytes (`invalid_input`)", body = ErrorBody),
        (status = 409, description = "The email is taken (`email_taken`)", body = ErrorBody),
        (status = 429, description = "Too many registrations from this address (`too_many_attempts`)", body = ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
        (status = 503, description = "Too many passwords being hashed (`busy`, with `Retry-After`), or the database is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn register(
    State(accounts): State<Accounts>,
    from: ClientAddr,
    ApiJson(body): ApiJson<RegistrationBody>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    let user = accounts.register(body.try_into()?, from).await?;
    tracing::info!(user_id = user.id, role = %user.role, "registered");
    Ok((StatusCode::CREATED, Json(Account::from(&user))))
}

/// The answer of `GET /protected`.
#[derive(Serialize, ToSchema)]
pub struct Greeting {
    pub email: String,
    /// `Hello <email>`.
    pub message: String,
}

/// `GET /protected`: answered from the credential alone.
#[utoipa::path(
    get,
    path = "/protected",
    tag = "accounts",
    security(("login" = [])),
    responses(
        (status = 200, description = "Who the credential names, without asking the database", body = Greeting),
        (status = 401, description = "No valid credential (`unauthorized`)", body = ErrorBody),
        (status = 503, description = "A store the credential check needs is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn protected(who: Principal) -> Json<Greeting> {
    Json(Greeting {
        message: format!("Hello {}", who.email),
        email: who.email,
    })
}

/// The answer of `GET /profile`.
#[derive(Serialize, ToSchema)]
pub struct Profile {
    pub id: i64,
    pub email: String,
    pub role: Role,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub created_at: Option<String>,
}

/// `GET /profile`: read from the database.
#[utoipa::path(
    get,
    path = "/profile",
    tag = "accounts",
    security(("login" = [])),
    responses(
        (status = 200, description = "The account as the database holds it now", body = Profile),
        (status = 401, description = "No valid credential, or the account is gone (`unauthorized`)", body = ErrorBody),
        (status = 503, description = "The database or a store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn profile(
    State(accounts): State<Accounts>,
    who: Principal,
) -> Result<Json<Profile>, ApiError> {
    let user = accounts.current_user(&who).await?;
    let created_at = time::OffsetDateTime::from_unix_timestamp(user.created_at)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        });
    Ok(Json(Profile {
        id: user.id,
        email: user.email,
        role: user.role,
        created_at,
    }))
}

/// A sentence for the caller.
#[derive(Serialize, ToSchema)]
pub struct Message {
    pub message: String,
}

/// `GET /admin`
#[utoipa::path(
    get,
    path = "/admin",
    tag = "admin",
    security(("login" = [])),
    responses(
        (status = 200, description = "The caller is an admin", body = Message),
        (status = 401, description = "No valid credential (`unauthorized`)", body = ErrorBody),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 503, description = "The database or a store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn admin(
    State(accounts): State<Accounts>,
    who: Principal,
) -> Result<Json<Message>, ApiError> {
    accounts.require_admin(&who).await?;
    Ok(Json(Message {
        message: format!("Welcome, admin {}", who.email),
    }))
}

/// The body of `PUT /admin/users/{email}/role`.
#[derive(Deserialize, ToSchema)]
pub struct RoleBody {
    /// Parsed by the handler, so that another word gets the project's
    /// 400 message rather than serde's.
    #[schema(value_type = Role)]
    role: String,
}

/// The answer to a role change.
#[derive(Serialize, ToSchema)]
pub struct RoleAnswer {
    pub email: String,
    pub role: Role,
}

impl From<&User> for RoleAnswer {
    fn from(user: &User) -> Self {
        Self {
            email: user.email.clone(),
            role: user.role,
        }
    }
}

/// `PUT /admin/users/{email}/role`, as session-app answers it: the role
/// change alone (its role-gated routes read the database at every request).
#[utoipa::path(
    put,
    path = "/admin/users/{email}/role",
    tag = "admin",
    security(("login" = [])),
    params(("email" = String, Path, format = Email, description = "The account whose role changes")),
    request_body = RoleBody,
    responses(
        (status = 200, description = "The role the account has now", body = RoleAnswer),
        (status = 400, description = "Not an email, or not a role (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "No valid credential (`unauthorized`)", body = ErrorBody),
        (status = 403, description = "The caller is not an admin in the database now (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No account has this email (`not_found`)", body = ErrorBody),
        (status = 409, description = "Demoting the last admin (`last_admin`)", body = ErrorBody),
        (status = 503, description = "The database or a store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn set_role(
    State(accounts): State<Accounts>,
    who: Principal,
    Path(email): Path<String>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<RoleAnswer>, ApiError> {
    let change = change_role(&accounts, &who, &email, body).await?;
    Ok(Json(RoleAnswer::from(&change.user)))
}

/// What `PUT /admin/users/{email}/role` does in both apps, typed: the
/// caller's role read from the database now, the body and the email parsed,
/// the change made (`Accounts::change_role`). jwt-app ends the demoted
/// user's logins after it.
pub async fn change_role(
    accounts: &Accounts,
    who: &Principal,
    email: &str,
    body: RoleBody,
) -> Result<RoleChange, ApiError> {
    accounts.require_admin_now(who).await?;
    let role: Role = body.role.parse()?;
    let email = Email::parse(email)?;
    let change = accounts.change_role(&email, role).await?;
    tracing::info!(by = %who.email, user = %change.user.email, role = %role, "role changed");
    Ok(change)
}
