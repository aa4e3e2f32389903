-- Every sign-out-everywhere, password change and admin's end of a user's
-- logins adds one: a login that read the number before its password check
-- and finds another after storing its session or refresh family undoes
-- itself, so that it cannot survive the end of every login it raced.
ALTER TABLE users ADD COLUMN logins_epoch BIGINT NOT NULL DEFAULT 0;

-- session-app's per-user index of its sessions in the `db` store: which
-- sessions a user has, without a scan of the session table. `expires_at`
-- (Unix seconds) follows the session's, so the sweep removes both.
CREATE TABLE session_logins (
    session_id VARCHAR(32) NOT NULL PRIMARY KEY,
    user_id    BIGINT      NOT NULL,
    expires_at BIGINT      NOT NULL,
    INDEX session_logins_user (user_id),
    INDEX session_logins_expiry (expires_at),
    CONSTRAINT session_logins_user_fk FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
