use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};

use crate::openapi::ErrorBody;

/// Every error either server answers: a status and `{"error", "message"}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    InvalidInput(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("the request body is larger than 16 KiB")]
    PayloadTooLarge,
    #[error("email or password is wrong")]
    InvalidCredentials,
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    InvalidGrant(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Csrf(String),
    #[error("{0}")]
    NotFound(String),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("too many attempts; try again in {0} s")]
    TooManyAttempts(u64),
    #[error("{0}")]
    Unavailable(String),
    #[error("the server is busy checking other passwords; try again in {0} s")]
    Busy(u64),
    #[error("this is the last admin: promote another account before demoting it")]
    LastAdmin,
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// The `error` code of a response, left in its extensions so that a layer can
/// add headers (jwt-app's `WWW-Authenticate`) without parsing the body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode(pub &'static str);

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::InvalidInput(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::InvalidCredentials | Self::Unauthorized(_) | Self::InvalidGrant(_) => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden(_) | Self::Csrf(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::EmailTaken | Self::LastAdmin => StatusCode::CONFLICT,
            Self::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) | Self::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            Self::InvalidInput(_) => "invalid_input",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Unauthorized(_) => "unauthorized",
            Self::InvalidGrant(_) => "invalid_grant",
            Self::Forbidden(_) => "forbidden",
            Self::Csrf(_) => "csrf",
            Self::NotFound(_) => "not_found",
            Self::EmailTaken => "email_taken",
            Self::TooManyAttempts(_) => "too_many_attempts",
            Self::Unavailable(_) => "unavailable",
            Self::Busy(_) => "busy",
            Self::LastAdmin => "last_admin",
            Self::Internal(_) => "internal",
        }
    }

    pub fn unauthorized() -> Self {
        Self::Unauthorized("log in first: no valid credential was sent".into())
    }

    /// A store the request needs is down. Fail closed: never "logged out", never "allowed".
    pub fn store_down(what: &str, err: impl std::fmt::Display) -> Self {
        tracing::error!(store = what, error = %err, "store unavailable");
        Self::Unavailable(format!("the {what} is unavailable; try again shortly"))
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(err: sqlx::Error) -> Self {
        match err {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_) => Self::store_down("database", err),
            sqlx::Error::Database(ref db)
                if server_is_going_away(db.code().as_deref())
                    || sqlite_is_busy(db.code().as_deref()) =>
            {
                Self::store_down("database", err)
            }
            other => Self::Internal(other.into()),
        }
    }
}

/// Whether a database error's SQLSTATE says the server is going away or the
/// connection is lost, rather than that our query was wrong. A query running
/// when PostgreSQL is shut down or restarted (or its postmaster dies) does not
/// fail with an I/O error: the backend first sends FATAL 57P01 "terminating
/// connection due to administrator command" (or "… unexpected postmaster
/// exit"), and that is an outage to answer 503, not a bug to answer 500.
/// Class 08 is SQL's "connection exception" (MySQL/MariaDB's "server shutdown
/// in progress" is 08S01); 57P01–57P03 are PostgreSQL's admin shutdown, crash
/// shutdown and "cannot connect now" (starting up or shutting down).
fn server_is_going_away(sqlstate: Option<&str>) -> bool {
    sqlstate
        .is_some_and(|code| code.starts_with("08") || matches!(code, "57P01" | "57P02" | "57P03"))
}

/// SQLite's SQLITE_BUSY (5) and SQLITE_LOCKED (6), with their extended codes
/// (the low byte is the primary code): another writer held the file longer
/// than the busy timeout. The database is busy, not our query wrong: 503.
/// SQLite's codes are numbers, where PostgreSQL's and MySQL's SQLSTATEs are
/// five characters, so the two cannot be confused.
fn sqlite_is_busy(code: Option<&str>) -> bool {
    code.and_then(|c| c.parse::<u32>().ok())
        .is_some_and(|c| matches!(c & 0xff, 5 | 6))
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(err) = &self {
            tracing::error!(error = ?err, "internal error");
        }
        let body = ErrorBody {
            error: self.code(),
            message: self.to_string(),
        };
        let mut res = (self.status(), Json(body)).into_response();
        res.extensions_mut().insert(ErrorCode(self.code()));
        if let Self::TooManyAttempts(secs) | Self::Busy(secs) = self {
            res.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        res
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_going_away_is_unavailable_and_a_bad_query_is_internal() {
        for code in ["57P01", "57P02", "57P03", "08006", "08S01"] {
            assert!(server_is_going_away(Some(code)), "{code}");
        }
        // Unique violation, syntax error, and a driver error without a code.
        for code in [Some("23505"), Some("42601"), None] {
            assert!(!server_is_going_away(code), "{code:?}");
        }
        let down = ApiError::from(sqlx::Error::PoolTimedOut);
        assert_eq!(down.status(), StatusCode::SERVICE_UNAVAILABLE);
        for code in ["5", "6", "517", "262"] {
            assert!(sqlite_is_busy(Some(code)), "{code}");
        }
        for code in [Some("19"), Some("2067"), Some("23505"), None] {
            assert!(!sqlite_is_busy(code), "{code:?}");
        }
        let bug = ApiError::from(sqlx::Error::RowNotFound);
        assert_eq!(bug.status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
