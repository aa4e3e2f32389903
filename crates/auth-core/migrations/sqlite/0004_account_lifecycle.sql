-- Every sign-out-everywhere, password change and admin's end of a user's
-- logins adds one: a login that read the number before its password check
-- and finds another after storing its session or refresh family undoes
-- itself, so that it cannot survive the end of every login it raced.
ALTER TABLE users ADD COLUMN logins_epoch INTEGER NOT NULL DEFAULT 0;

-- session-app's per-user index of its sessions in the `db` store: which
-- sessions a user has, without a scan of the session table. `expires_at`
-- (Unix seconds) follows the session's, so the sweep removes both.
CREATE TABLE session_logins (
    session_id TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at INTEGER NOT NULL
);
CREATE INDEX session_logins_user ON session_logins (user_id);
CREATE INDEX session_logins_expiry ON session_logins (expires_at);
