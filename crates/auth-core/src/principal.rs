use axum::{extract::FromRequestParts, http::request::Parts};

use crate::{ApiError, Role};

/// Who made the request, as the app's credential check established it and
/// left it in the request's extensions.
#[derive(Debug, Clone)]
pub struct Principal {
    pub user_id: i64,
    pub email: String,
    /// The role the credential itself carries: jwt-app's `role` claim. `None`
    /// when the credential carries none (a session), and the database decides.
    pub role_claim: Option<Role>,
}

impl<S: Send + Sync> FromRequestParts<S> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, ApiError> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or_else(ApiError::unauthorized)
    }
}
