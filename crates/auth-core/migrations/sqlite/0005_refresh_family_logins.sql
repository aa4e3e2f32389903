-- What "your logins" (GET /account/logins) shows of a refresh family of
-- jwt-app. `handle` is random and names the family to its user alone: the
-- family id travels in every access token (`sid`), so it is no handle.
-- `last_used_at` moves at each refresh (never per request: a JWT is not
-- looked up), and is what REFRESH_IDLE_TIMEOUT measures. `user_agent` is
-- cut to 256 bytes at login. Families from before this have no handle and
-- are not listed; they end as before.
ALTER TABLE refresh_families ADD COLUMN handle TEXT;
ALTER TABLE refresh_families ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refresh_families ADD COLUMN last_used_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refresh_families ADD COLUMN user_agent VARCHAR(1024) NOT NULL DEFAULT '';
