-- More authorization methods: HTTP Digest, AWS Signature V4, client certificate (mutual
-- TLS) and OAuth 2.0 Authorization Code with PKCE, plus extra token-request fields for the
-- OAuth methods.
-- Digest and AWS SigV4 keep their user (access key) in auth_username and their password
-- (secret key) in auth_password, sealed as before.
-- aws_region, aws_service: the "aws:amz:REGION:SERVICE" of a SigV4 signature.
-- client_cert: the PEM certificate (chain) of mutual TLS, not secret; client_key: its
--   private key, sealed under "connector:<id>:client_key" (src/connector/secrets.c).
-- auth_url: the provider's authorization endpoint (Authorization Code).
-- token_params: extra token-request fields, one "name=value" a line (audience, resource).
-- oauth_refresh: the refresh token of a connected Authorization Code grant, sealed under
--   "connector:<id>:oauth_refresh"; oauth_subject: who connected it (the id token's name,
--   shown "Connected as ..."); oauth_connected_at and oauth_expires_at: when, and when the
--   access token it last gave expires.
-- oauth_states: a started "Connect" (one row per browser round trip): the state (stored as
--   its SHA-256), the PKCE verifier sealed under "oauth_state:<connector_id>", who started
--   it and when it stops being accepted (10 minutes). The callback deletes it (single use).
ALTER TABLE connectors
  MODIFY auth_type ENUM('none','basic','bearer','oauth2_password','oauth2_client_credentials',
    'api_key','digest','aws_sigv4','client_cert','oauth2_authorization_code')
    NOT NULL DEFAULT 'none',
  ADD COLUMN aws_region VARCHAR(64) NOT NULL DEFAULT '' AFTER token_origin,
  ADD COLUMN aws_service VARCHAR(64) NOT NULL DEFAULT '' AFTER aws_region,
  ADD COLUMN client_cert TEXT NULL AFTER aws_service,
  ADD COLUMN client_key TEXT NULL AFTER client_cert,
  ADD COLUMN auth_url VARCHAR(2048) NOT NULL DEFAULT '' AFTER client_key,
  ADD COLUMN token_params VARCHAR(4096) NOT NULL DEFAULT '' AFTER auth_url,
  ADD COLUMN oauth_refresh TEXT NULL AFTER token_params,
  ADD COLUMN oauth_subject VARCHAR(255) NOT NULL DEFAULT '' AFTER oauth_refresh,
  ADD COLUMN oauth_connected_at DATETIME NULL AFTER oauth_subject,
  ADD COLUMN oauth_expires_at DATETIME NULL AFTER oauth_connected_at;

CREATE TABLE oauth_states (
  state_hash CHAR(64) CHARACTER SET ascii NOT NULL PRIMARY KEY,
  connector_id BIGINT UNSIGNED NOT NULL,
  user_id BIGINT UNSIGNED NOT NULL,
  verifier TEXT NOT NULL,
  expires_at DATETIME NOT NULL,
  KEY oauth_states_expires (expires_at),
  CONSTRAINT fk_os_connector FOREIGN KEY (connector_id) REFERENCES connectors (id) ON DELETE CASCADE,
  CONSTRAINT fk_os_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
) ENGINE=InnoDB;
