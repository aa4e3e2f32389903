//! The lifecycle routes' refusals as the API document lists them, the same
//! in both apps. Each app's `#[utoipa::path]` names these in its
//! `responses(...)` beside what is its own: its success, and which store
//! can answer 503. Only the document uses these types: a handler refuses
//! with [`crate::ApiError`], whose body is [`ErrorBody`].

use utoipa::IntoResponses;

use crate::openapi::ErrorBody;

/// A lifecycle route asked without a login.
#[derive(IntoResponses)]
#[response(status = 401, description = "No valid credential (`unauthorized`)")]
pub struct NotLoggedIn(pub ErrorBody);

/// The password checked again ([`super::Reauth`]), throttled like a login.
#[derive(IntoResponses)]
pub enum PasswordRechecked {
    #[response(
        status = 401,
        description = "No valid credential (`unauthorized`), or a wrong password (`invalid_credentials`)"
    )]
    Refused(ErrorBody),
    #[response(
        status = 429,
        description = "Too many failed password checks (`too_many_attempts`)",
        headers(("Retry-After" = u64, description = "Seconds to wait"))
    )]
    Throttled(ErrorBody),
}

/// A [`super::PasswordBody`] without its password.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "No password in the body, or an empty one or one over 72 bytes, as at login (`invalid_input`)"
)]
pub struct PasswordMissing(pub ErrorBody);

/// A [`super::PasswordChangeBody`] refused before the password check.
#[derive(IntoResponses)]
#[response(
    status = 400,
    description = "A field missing, a current password login would refuse (empty, over 72 bytes), or a new password registration would refuse (`invalid_input`)"
)]
pub struct PasswordChangeInvalid(pub ErrorBody);

/// `DELETE /account/logins/{id}` with a handle the caller has no login by.
#[derive(IntoResponses)]
#[response(
    status = 404,
    description = "The caller has no login with this handle, whether it is unknown or another user's (`not_found`)"
)]
pub struct NoSuchLogin(pub ErrorBody);

/// `DELETE /admin/users/{email}/logins` refused, the caller being logged in.
#[derive(IntoResponses)]
pub enum AdminEndLoginsRefused {
    #[response(status = 400, description = "Not an email (`invalid_input`)")]
    NotAnEmail(ErrorBody),
    #[response(
        status = 403,
        description = "The caller is not an admin in the database now (`forbidden`)"
    )]
    NotAnAdmin(ErrorBody),
    #[response(status = 404, description = "No account has this email (`not_found`)")]
    NoSuchAccount(ErrorBody),
}
