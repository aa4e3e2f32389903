//! `PUT /admin/users/{email}/role`: the shared role change of auth-core, then
//! what jwt-app must do after it ([`Revocation::after_role_change`]).

use auth_core::{Accounts, ApiError, ApiJson, Principal, routes};
use axum::{
    Json,
    extract::{Path, State},
};


use crate::revocation::Revocation;

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
