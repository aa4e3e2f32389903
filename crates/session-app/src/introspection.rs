//! `GET /session`: whom a session cookie belongs to, for a service that
//! holds no sessions of its own (the resource server's session mode). It
//! asks here on every request: that is what a session id costs elsewhere.
//! A project addition, not part of the shared contract.

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, header},
    response::IntoResponse,
};
use serde::Serialize;
use tower_sessions::{
    Session,
    cookie::time::{OffsetDateTime, format_description::well_known::Rfc3339},
};
use utoipa::ToSchema;

use auth_core::{Accounts, ApiError, Principal, Role, openapi::ErrorBody};

use crate::{session_user::SessionUser, store::SessionBackend};

/// Whom a session belongs to, and until when.
#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    pub id: i64,
    pub email: String,
    /// The role the database holds now.
    pub role: Role,
    /// RFC 3339.
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// Seconds left.
    pub expires_in: i64,
}

/// The user of the session the cookie names, with the role the database
/// holds now and when the session ends; 401 without a live session.
#[utoipa::path(
    get,
    path = "/session",
    tag = "sessions",
    security(("login" = [])),
    responses(
        (status = 200, description = "The session's user and its end", body = SessionInfo),
        (status = 401, description = "No live session (`unauthorized`)", body = ErrorBody),
        (status = 503, description = "The session store or the database is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn session(
    State(accounts): State<Accounts>,
    State(sessions): State<SessionBackend>,
    session: Session,
) -> Result<impl IntoResponse, ApiError> {
    // The id comes from the session layer's parse of the cookie; the record
    // is read here, once, because only the record knows its expiry.
    let id = session.id().ok_or_else(ApiError::unauthorized)?;
    let record = sessions
        .record(&id)
        .await
        .map_err(|e| ApiError::store_down("session store", e))?
        .filter(|r| r.expiry_date > OffsetDateTime::now_utc())
        .ok_or_else(ApiError::unauthorized)?;
    let user: SessionUser = record
        .data
        .get(SessionUser::KEY)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .ok_or_else(ApiError::unauthorized)?;
    let user = accounts
        .current_user(&Principal {
            user_id: user.id,
            email: user.email,
            role_claim: None,
        })
        .await?;
    let expires_in = (record.expiry_date - OffsetDateTime::now_utc())
        .whole_seconds()
        .max(0);
    let body = SessionInfo {
        id: user.id,
        email: user.email,
        role: user.role,
        expires_at: record.expiry_date.format(&Rfc3339).ok(),
        expires_in,
    };
    // The middleware says no-store for any request with a cookie already;
    // this answer says it itself, whoever calls.
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    Ok((no_store, Json(body)))
}
