-- Origin-bound secrets, sealed variables and the API Key method.
-- allowed_origins: the origins (scheme://host:port, separated by spaces) a request carrying
--   any of the connector's credentials may go to: Authorization secrets, sealed variables,
--   the API key and cached OAuth tokens. Changed only together with entering every secret
--   again (src/web/authorization.c); a Test or execute elsewhere is refused (connector/run.c).
-- token_origin: the one origin the OAuth Client Secret and Password may be posted to (the
--   URL Token's origin when they were entered).
-- connector_secrets: sealed variables, read in templates as {{secrets.NAME}}; each value
--   sealed under "connector:<id>:secret:<NAME>" (src/connector/secrets.c).
ALTER TABLE connectors
  MODIFY auth_type ENUM('none','basic','bearer','oauth2_password','oauth2_client_credentials',
    'api_key') NOT NULL DEFAULT 'none',
  ADD COLUMN api_key_name VARCHAR(255) NOT NULL DEFAULT '' AFTER client_auth,
  ADD COLUMN api_key TEXT NULL AFTER api_key_name,
  ADD COLUMN api_key_in ENUM('header','query') NOT NULL DEFAULT 'header' AFTER api_key,
  ADD COLUMN allowed_origins VARCHAR(4096) NOT NULL DEFAULT '' AFTER api_key_in,
  ADD COLUMN token_origin VARCHAR(512) NOT NULL DEFAULT '' AFTER allowed_origins;

CREATE TABLE connector_secrets (
  connector_id BIGINT UNSIGNED NOT NULL,
  name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (connector_id, name),
  CONSTRAINT fk_cs_connector FOREIGN KEY (connector_id) REFERENCES connectors (id) ON DELETE CASCADE
) ENGINE=InnoDB;

-- Connectors saved before this migration: their secrets stay usable where they are used
-- now. allowed_origins becomes the origins of their endpoints' URLs and token_origin the
-- URL Token's origin (a URL whose scheme or host is a template is left out).
UPDATE connectors c JOIN (
  SELECT id, CONCAT(scheme, '://', host, ':',
    IF(port = '', IF(scheme = 'https', '443', '80'), port)) AS origin
  FROM (
    SELECT id, scheme,
      LOWER(IF(hp LIKE '[%', CONCAT(SUBSTRING_INDEX(hp, ']', 1), ']'), SUBSTRING_INDEX(hp, ':', 1))) AS host,
      IF(hp LIKE '[%', IF(LOCATE(']:', hp) > 0, SUBSTRING(hp, LOCATE(']:', hp) + 2), ''),
        IF(LOCATE(':', hp) > 0, SUBSTRING_INDEX(hp, ':', -1), '')) AS port
    FROM (
      SELECT id, LOWER(SUBSTRING_INDEX(token_url, '://', 1)) AS scheme,
        SUBSTRING_INDEX(SUBSTRING_INDEX(SUBSTRING_INDEX(SUBSTRING_INDEX(
          SUBSTRING(token_url, LOCATE('://', token_url) + 3), '/', 1), '?', 1), '#', 1), '@', -1) AS hp
      FROM connectors WHERE token_url LIKE '%://%' AND token_url NOT LIKE '%{{%'
    ) s
  ) t WHERE scheme IN ('http', 'https') AND host <> ''
) o ON o.id = c.id
SET c.token_origin = o.origin;

UPDATE connectors c JOIN (
  SELECT connector_id, GROUP_CONCAT(DISTINCT CONCAT(scheme, '://', host, ':',
    IF(port = '', IF(scheme = 'https', '443', '80'), port)) SEPARATOR ' ') AS origins
  FROM (
    SELECT connector_id, scheme,
      LOWER(IF(hp LIKE '[%', CONCAT(SUBSTRING_INDEX(hp, ']', 1), ']'), SUBSTRING_INDEX(hp, ':', 1))) AS host,
      IF(hp LIKE '[%', IF(LOCATE(']:', hp) > 0, SUBSTRING(hp, LOCATE(']:', hp) + 2), ''),
        IF(LOCATE(':', hp) > 0, SUBSTRING_INDEX(hp, ':', -1), '')) AS port
    FROM (
      SELECT connector_id, LOWER(SUBSTRING_INDEX(url, '://', 1)) AS scheme,
        SUBSTRING_INDEX(SUBSTRING_INDEX(SUBSTRING_INDEX(SUBSTRING_INDEX(
          SUBSTRING(url, LOCATE('://', url) + 3), '/', 1), '?', 1), '#', 1), '@', -1) AS hp
      FROM endpoints WHERE url LIKE '%://%' AND url NOT LIKE '%{{%://%'
        AND SUBSTRING_INDEX(SUBSTRING(url, LOCATE('://', url) + 3), '/', 1) NOT LIKE '%{{%'
    ) s
  ) t WHERE scheme IN ('http', 'https') AND host <> ''
  GROUP BY connector_id
) o ON o.connector_id = c.id
SET c.allowed_origins = LEFT(o.origins, 4096);
