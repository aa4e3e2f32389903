//! The data this server guards: a few notes per user, made up from who asks
//! (this server keeps no users and stores nothing), and a page of every
//! note for admins, so that a demotion has something to reach.

use auth_core::{ApiError, Principal, Role, accounts::admin_only};
use axum::Json;
use serde_json::{Value, json};

/// The owners of the team's notes that `/notes/all` adds to the caller's.
const TEAM: [&str; 2] = ["team-lead@example.com", "ops@example.com"];

/// `GET /notes`: the caller's notes.
pub async fn mine(who: Principal) -> Json<Value> {
    Json(json!({
        "user": {"id": who.user_id, "email": who.email, "role": role(&who)},
        "notes": notes_of(who.user_id, &who.email),
    }))
}

/// `GET /notes/all`: every note, for admins only. The role is the one the
/// credential check established: the token's claim in jwt mode (stale until
/// the token expires), session-app's answer for this request in session mode.
pub async fn all(who: Principal) -> Result<Json<Value>, ApiError> {
    admin_only(role(&who))?;
    let mut notes = notes_of(who.user_id, &who.email);
    for (n, owner) in TEAM.iter().enumerate() {
        notes.extend(notes_of(-(n as i64) - 1, owner));
    }
    Ok(Json(json!({"notes": notes})))
}

/// Both checks set the role; a principal without one gets no privileges.
fn role(who: &Principal) -> Role {
    who.role_claim.unwrap_or(Role::User)
}

fn notes_of(user_id: i64, email: &str) -> Vec<Value> {
    [
        ("Welcome", format!("Hello {email}: this note was served by the resource server.")),
        (
            "Who let you in",
            "The resource server holds no users and no keys of its own; your credential was \
             checked against the login server's."
                .to_owned(),
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(n, (title, body))| {
        json!({"id": format!("{user_id}-{}", n + 1), "owner": email, "title": title, "body": body})
    })
    .collect()
}
