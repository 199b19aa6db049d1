-- Version history of a connector (issue 20): every save of its details, authorization or
-- endpoints, and every restore, writes one row inside the save's own transaction
-- (src/db/versions.c). snapshot is JSON: details, categories, the authorization's plain
-- fields, endpoints with their headers and parameters. Secrets are never stored: for each
-- sealed column and sealed variable only a fingerprint of the sealed text (SHA-256 of the
-- ciphertext, which changes whenever a value is entered again), so a diff can say
-- "changed" without holding the value.
-- view-audit-log (src/auth/perms.def) needs no row here: a Super Admin holds every
-- permission by the is_super_admin flag, and groups or users are granted it in the editor.
CREATE TABLE connector_versions (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  connector_id BIGINT UNSIGNED NOT NULL,
  n INT UNSIGNED NOT NULL,
  kind VARCHAR(32) NOT NULL,
  user_id BIGINT UNSIGNED NULL,
  username VARCHAR(255) NOT NULL DEFAULT '',
  restored_from INT UNSIGNED NULL,
  snapshot LONGTEXT NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY cv_connector_n (connector_id, n),
  CONSTRAINT fk_cv_connector FOREIGN KEY (connector_id) REFERENCES connectors (id) ON DELETE CASCADE,
  CONSTRAINT fk_cv_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE INDEX audit_user ON audit_log (username, created_at);
CREATE INDEX audit_action ON audit_log (action, created_at);
