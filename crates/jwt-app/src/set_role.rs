//! `PUT /admin/users/{email}/role`: the shared role change of auth-core, then
//! what jwt-app must do after it ([`Revocation::after_role_change`]).

use auth_core::{Accounts, ApiError, ApiJson, Principal, openapi::ErrorBody, routes};
use axum::{
    Json,
    extract::{Path, State},
};

use crate::revocation::Revocation;

#[utoipa::path(
    put,
    path = "/admin/users/{email}/role",
    tag = "admin",
    security(("login" = [])),
    params(("email" = String, Path, format = Email, description = "The account whose role changes")),
    request_body = routes::RoleBody,
    responses(
        (status = 200, description = "The role the account has now; a demoted account's logins are ended", body = routes::RoleAnswer),
        (status = 400, description = "Not an email, or not a role (`invalid_input`)", body = ErrorBody),
        (status = 401, description = "No valid access token (`unauthorized`)", body = ErrorBody),
        (status = 403, description = "The caller is not an admin in the database now (`forbidden`)", body = ErrorBody),
        (status = 404, description = "No account has this email (`not_found`)", body = ErrorBody),
        (status = 409, description = "Demoting the last admin (`last_admin`)", body = ErrorBody),
        (status = 503, description = "The database or a store is down (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn set_role(
    State(accounts): State<Accounts>,
    State(revocation): State<Revocation>,
    who: Principal,
    Path(email): Path<String>,
    ApiJson(body): ApiJson<routes::RoleBody>,
) -> Result<Json<routes::RoleAnswer>, ApiError> {
    let change = routes::change_role(&accounts, &who, &email, body).await?;
    revocation.after_role_change(&change).await?;
    Ok(Json(routes::RoleAnswer::from(&change.user)))
}
