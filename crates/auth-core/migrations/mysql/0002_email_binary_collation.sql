-- MariaDB's default collation is case- and accent-insensitive: `ädä@…` would
-- find `ada@…`, while the code (and the login throttle) treat them as two
-- addresses. Compare emails byte for byte, as SQLite and PostgreSQL do; the
-- code normalizes them (NFC, lower case) before every lookup.
ALTER TABLE users MODIFY email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
