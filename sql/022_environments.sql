-- Environments per connector (issue 19, item 1): named sets (Development, Staging,
-- Production...) of a base URL, plain and sealed variables and, optionally, credentials of
-- their own that replace the connector's for a run in that environment.
-- is_default: at most one per connector (default_of is unique); with none, a run uses the
--   connector's own settings as before.
-- seal_key: random, fixed at create: every sealed value of the environment is sealed under
--   "connector:<connector_id>:env:<seal_key>:<field>" (src/connector/secrets.c), so a value
--   copied to another environment, connector or column does not open, and a rename keeps
--   them.
-- allowed_origins: where the environment's own credentials and sealed variables may go
--   (the base URL's origin when left blank); changed only together with entering them again.
-- auth_override: 1 when a run in this environment uses auth_username, auth_password,
--   auth_token, api_key, client_id, client_secret (and token_url when set) instead of the
--   connector's credentials; the method and its other settings stay the connector's.
--   token_origin: the origin of the URL Token its OAuth secrets were entered with (its own
--   token_url, else the connector's at that time); they go nowhere else. Its OAuth tokens
--   are fetched per run, never cached with the connector's.
-- environment_variables: value is the text of a plain variable, or the sealed text of a
--   sealed one (NULL: a sealed value not set yet, e.g. after an import).
-- execution_logs.environment: the environment a Test or call ran in ('' none).
CREATE TABLE connector_environments (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  connector_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(64) NOT NULL,
  seal_key CHAR(32) CHARACTER SET ascii NOT NULL,
  is_default TINYINT(1) NOT NULL DEFAULT 0,
  default_of BIGINT UNSIGNED AS (IF(is_default, connector_id, NULL)) PERSISTENT,
  base_url VARCHAR(2048) NOT NULL DEFAULT '',
  allowed_origins VARCHAR(4096) NOT NULL DEFAULT '',
  auth_override TINYINT(1) NOT NULL DEFAULT 0,
  auth_username VARCHAR(255) NOT NULL DEFAULT '',
  auth_password TEXT NULL,
  auth_token TEXT NULL,
  api_key TEXT NULL,
  client_id VARCHAR(255) NOT NULL DEFAULT '',
  client_secret TEXT NULL,
  token_url VARCHAR(2048) NOT NULL DEFAULT '',
  token_origin VARCHAR(512) NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY ce_name (connector_id, name),
  UNIQUE KEY ce_default (default_of),
  CONSTRAINT fk_ce_connector FOREIGN KEY (connector_id) REFERENCES connectors (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE environment_variables (
  environment_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  sealed TINYINT(1) NOT NULL DEFAULT 0,
  position INT UNSIGNED NOT NULL DEFAULT 0,
  value TEXT NULL,
  PRIMARY KEY (environment_id, name),
  CONSTRAINT fk_ev_environment FOREIGN KEY (environment_id) REFERENCES connector_environments (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE execution_logs ADD COLUMN environment VARCHAR(64) NOT NULL DEFAULT '' AFTER kind;
