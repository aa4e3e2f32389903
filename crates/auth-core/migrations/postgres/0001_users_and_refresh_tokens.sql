CREATE TABLE users (
    id            BIGSERIAL    PRIMARY KEY,
    email         VARCHAR(254) NOT NULL UNIQUE,
    password_hash VARCHAR(60)  NOT NULL,
    role          VARCHAR(16)  NOT NULL,
    created_at    BIGINT       NOT NULL
);

-- Refresh tokens of jwt-app. Only the SHA-256 of a token is stored; `spent`
-- marks a rotated token so that its replay can be told from an unknown one.
CREATE TABLE refresh_tokens (
    token_hash CHAR(64)    PRIMARY KEY,
    family_id  VARCHAR(36) NOT NULL,
    user_id    BIGINT      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    expires_at BIGINT      NOT NULL,
    spent      INTEGER     NOT NULL DEFAULT 0,
    revoked    INTEGER     NOT NULL DEFAULT 0
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
