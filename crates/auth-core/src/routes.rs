//! The handlers both servers answer the same way. Each app mounts them in its
//! own `app()`, beside its login and logout, so that every path it serves is
//! listed in one place.

use axum::{
    Json,
    extract::{Path, State},
    http::StatusCode,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::{
    Accounts, ApiError, ApiJson, Principal, Role, RoleChange, User,
    client_addr::ClientAddr,
    validation::{CredentialsBody, Email},
};

pub fn user_json(user: &User) -> Value {
    json!({"id": user.id, "email": user.email, "role": user.role})
}

/// `POST /register`
pub async fn register(
    State(accounts): State<Accounts>,
    from: ClientAddr,
    ApiJson(body): ApiJson<CredentialsBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let user = accounts.register(body.try_into()?, from).await?;
    tracing::info!(user_id = user.id, role = %user.role, "registered");
    Ok((StatusCode::CREATED, Json(user_json(&user))))
}

/// `GET /protected`: answered from the credential alone.
pub async fn protected(who: Principal) -> Json<Value> {
    Json(json!({"email": who.email, "message": format!("Hello {}", who.email)}))
}

/// `GET /profile`: read from the database.
pub async fn profile(
    State(accounts): State<Accounts>,
    who: Principal,
) -> Result<Json<Value>, ApiError> {
    let user = accounts.current_user(&who).await?;
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

/// `GET /admin`
pub async fn admin(
    State(accounts): State<Accounts>,
    who: Principal,
) -> Result<Json<Value>, ApiError> {
    accounts.require_admin(&who).await?;
    Ok(Json(
        json!({"message": format!("Welcome, admin {}", who.email)}),
    ))
}

/// The body of `PUT /admin/users/{email}/role`.
#[derive(Deserialize)]
pub struct RoleBody {
    role: String,
}

/// `PUT /admin/users/{email}/role`, as session-app answers it: the role
/// change alone (its role-gated routes read the database at every request).
pub async fn set_role(
    State(accounts): State<Accounts>,
    who: Principal,
    Path(email): Path<String>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<Json<Value>, ApiError> {
    let change = change_role(&accounts, &who, &email, body).await?;
    Ok(Json(role_json(&change.user)))
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

/// The answer to a role change: `{"email", "role"}`.
pub fn role_json(user: &User) -> Value {
    json!({"email": user.email, "role": user.role})
}
