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
        left_by_the_check(parts)
    }
}

/// What an app's credential check left in the request's extensions; 401
/// when the route was reached without the check having passed.
pub fn left_by_the_check<T: Clone + Send + Sync + 'static>(parts: &Parts) -> Result<T, ApiError> {
    parts
        .extensions
        .get::<T>()
        .cloned()
        .ok_or_else(ApiError::unauthorized)
}
