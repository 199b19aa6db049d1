-- An API token may expire: NULL never does. The token check (src/auth/session.c
-- SQL_TOKEN_GET) reads it in the same statement that finds the token.
ALTER TABLE api_tokens ADD COLUMN expires_at DATETIME NULL DEFAULT NULL AFTER last_used_at;
