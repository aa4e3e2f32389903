-- One row per refresh family (a login) of jwt-app. Rotation locks this row
-- before it spends a token and revocation sets `revoked` on it, so the two
-- are serialized: a revocation cannot miss a successor that a concurrent
-- rotation has not committed yet. `expires_at` is the family's absolute end
-- (REFRESH_FAMILY_TTL after the login), which rotation never extends.
-- `rotations` is what rotation's locking UPDATE changes.
CREATE TABLE refresh_families (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    revoked    INTEGER NOT NULL DEFAULT 0,
    rotations  INTEGER NOT NULL DEFAULT 0,
    expires_at INTEGER NOT NULL
);
CREATE INDEX refresh_families_user ON refresh_families (user_id);

-- Families from before this table: they end when their newest token does.
INSERT INTO refresh_families (id, user_id, revoked, expires_at)
SELECT family_id, MIN(user_id), MAX(revoked), MAX(expires_at)
FROM refresh_tokens GROUP BY family_id;
