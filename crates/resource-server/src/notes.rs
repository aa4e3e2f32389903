//! The data this server guards: a few notes per user, made up from who asks
//! (this server keeps no users and stores nothing), and a page of every
//! note for admins, so that a demotion has something to reach.

use auth_core::{ApiError, Principal, Role, accounts::admin_only, openapi::ErrorBody};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

/// The owners of the team's notes that `/notes/all` adds to the caller's.
const TEAM: [&str; 2] = ["team-lead@example.com", "ops@example.com"];

/// Who the credential check let in.
#[derive(Serialize, ToSchema)]
pub struct Caller {
    pub id: i64,
    pub email: String,
    pub role: Role,
}

/// One note.
#[derive(Serialize, ToSchema)]
pub struct Note {
    pub id: String,
    pub owner: String,
    pub title: &'static str,
    pub body: String,
}

/// The answer of `GET /notes`.
#[derive(Serialize, ToSchema)]
pub struct MyNotes {
    pub user: Caller,
    pub notes: Vec<Note>,
}

/// The answer of `GET /notes/all`.
#[derive(Serialize, ToSchema)]
pub struct AllNotes {
    pub notes: Vec<Note>,
}

/// `GET /notes`: the caller's notes.
#[utoipa::path(
    get,
    path = "/notes",
    tag = "notes",
    security(("login" = [])),
    responses(
        (status = 200, description = "The caller's notes", body = MyNotes),
        (status = 401, description = "No valid credential (`unauthorized`)", body = ErrorBody),
        (status = 503, description = "The login server's verdict cannot be had: its key or its answer is missing (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn mine(who: Principal) -> Json<MyNotes> {
    Json(MyNotes {
        notes: notes_of(who.user_id, &who.email),
        user: Caller {
            id: who.user_id,
            role: role(&who),
            email: who.email,
        },
    })
}

/// `GET /notes/all`: every note, for admins only. The role is the one the
/// credential check established: the token's claim in jwt mode (stale until
/// the token expires), session-app's answer for this request in session mode.
#[utoipa::path(
    get,
    path = "/notes/all",
    tag = "notes",
    security(("login" = [])),
    responses(
        (status = 200, description = "Every note, for an admin", body = AllNotes),
        (status = 401, description = "No valid credential (`unauthorized`)", body = ErrorBody),
        (status = 403, description = "Not an admin (`forbidden`)", body = ErrorBody),
        (status = 503, description = "The login server's verdict cannot be had (`unavailable`)", body = ErrorBody),
    )
)]
pub async fn all(who: Principal) -> Result<Json<AllNotes>, ApiError> {
    admin_only(role(&who))?;
    let mut notes = notes_of(who.user_id, &who.email);
    for (n, owner) in TEAM.iter().enumerate() {
        notes.extend(notes_of(-(n as i64) - 1, owner));
    }
    Ok(Json(AllNotes { notes }))
}

/// Both checks set the role; a principal without one gets no privileges.
fn role(who: &Principal) -> Role {
    who.role_claim.unwrap_or(Role::User)
}

fn notes_of(user_id: i64, email: &str) -> Vec<Note> {
    [
        (
            "Welcome",
            format!("Hello {email}: this note was served by the resource server."),
        ),
        (
            "Who let you in",
            "The resource server holds no users and no keys of its own; your credential was \
             checked against the login server's."
                .to_owned(),
        ),
    ]
    .into_iter()
    .enumerate()
    .map(|(n, (title, body))| Note {
        id: format!("{user_id}-{}", n + 1),
        owner: email.to_owned(),
        title,
        body,
    })
    .collect()
}
