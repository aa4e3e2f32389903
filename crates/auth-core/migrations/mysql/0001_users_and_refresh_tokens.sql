CREATE TABLE users (
    id            BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    email         VARCHAR(254) NOT NULL UNIQUE,
    password_hash VARCHAR(60)  NOT NULL,
    role          VARCHAR(16)  NOT NULL,
    created_at    BIGINT       NOT NULL
);

-- Refresh tokens of jwt-app. Only the SHA-256 of a token is stored; `spent`
-- marks a rotated token so that its replay can be told from an unknown one.
CREATE TABLE refresh_tokens (
    token_hash CHAR(64)    NOT NULL PRIMARY KEY,
    family_id  VARCHAR(36) NOT NULL,
    user_id    BIGINT      NOT NULL,
    expires_at BIGINT      NOT NULL,
    spent      INTEGER     NOT NULL DEFAULT 0,
    revoked    INTEGER     NOT NULL DEFAULT 0,
    INDEX refresh_tokens_family (family_id),
    CONSTRAINT refresh_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
);
