//! What a session holds: who logged in, nothing secret and no role (the
//! database decides the role, so a change applies at the next request).

use serde::{Deserialize, Serialize};

use auth_core::ApiError;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionUser {
    pub id: i64,
    pub email: String,
}

impl SessionUser {
    /// The key it is stored under in the session record.
    pub const KEY: &'static str = "user";
}

/// The session store failed: fail closed with 503.
pub fn store_down(e: tower_sessions::session::Error) -> ApiError {
    ApiError::store_down("session store", e)
}
