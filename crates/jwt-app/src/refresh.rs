//! `POST /refresh`: spends a refresh token for a new pair (rotation).

use auth_core::{ApiError, ApiJson};
use axum::{extract::State, response::Response};
use serde::Deserialize;

use crate::{
    AppState,
    login::token_response,
    refresh_tokens::{RefreshToken, Rotation, invalid_grant, replayed},
};

#[derive(Deserialize)]
pub struct RefreshBody {
    refresh_token: String,
}

pub async fn refresh(
    State(app): State<AppState>,
    ApiJson(body): ApiJson<RefreshBody>,
) -> Result<Response, ApiError> {
    let token = RefreshToken::parse(&body.refresh_token).ok_or_else(invalid_grant)?;
    let rotated = match app.refresh.rotate(&token).await? {
        Rotation::Rotated(rotated) => rotated,
        Rotation::Replayed(record) => {
            // A thief may hold the login's access tokens as well as its
            // refresh token: they go with the family.
            app.deny_logins(&[record.family_id]).await?;
            return Err(replayed());
        }
    };
    // The role is read again here, not copied from the old access token: this
    // is the moment a role change reaches the token.
    let Some(user) = app.accounts.users.by_id(rotated.user_id).await? else {
        app.refresh.revoke_family(&rotated.issued.family_id).await?;
        return Err(ApiError::InvalidGrant(
            "the account of this refresh token no longer exists".into(),
        ));
    };
    token_response(&app, &user, rotated.issued)
}
