-- The connector runtime (issue 18): per endpoint the response mapping (a JSON Pointer to the
-- root and name/pointer rows), the statuses execute answers 502 for, retries, pagination and
-- the body type with its form or multipart rows; per connector a rate limit.
ALTER TABLE endpoints
  ADD COLUMN response_root VARCHAR(1024) NOT NULL DEFAULT '',
  ADD COLUMN error_statuses VARCHAR(255) NOT NULL DEFAULT '400-599',
  ADD COLUMN retries TINYINT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN retry_backoff_ms INT UNSIGNED NOT NULL DEFAULT 500,
  ADD COLUMN retry_unsafe TINYINT(1) NOT NULL DEFAULT 0,
  ADD COLUMN pagination ENUM('none','page','offset','cursor','link') NOT NULL DEFAULT 'none',
  ADD COLUMN page_param VARCHAR(255) NOT NULL DEFAULT 'page',
  ADD COLUMN size_param VARCHAR(255) NOT NULL DEFAULT '',
  ADD COLUMN first_page INT NOT NULL DEFAULT 1,
  ADD COLUMN page_size INT UNSIGNED NOT NULL DEFAULT 0,
  ADD COLUMN offset_param VARCHAR(255) NOT NULL DEFAULT 'offset',
  ADD COLUMN limit_param VARCHAR(255) NOT NULL DEFAULT '',
  ADD COLUMN cursor_pointer VARCHAR(1024) NOT NULL DEFAULT '',
  ADD COLUMN cursor_param VARCHAR(255) NOT NULL DEFAULT 'cursor',
  ADD COLUMN max_pages INT UNSIGNED NOT NULL DEFAULT 10,
  ADD COLUMN body_type ENUM('raw','json','form','multipart') NOT NULL DEFAULT 'raw';

-- Rows of an endpoint beside its headers and parameters: 'm' a response mapping row (name,
-- value = its JSON Pointer), 'f' a form-urlencoded or multipart body field (name, value =
-- its template).
CREATE TABLE endpoint_items (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  endpoint_id BIGINT UNSIGNED NOT NULL,
  kind CHAR(1) NOT NULL,
  position INT UNSIGNED NOT NULL,
  name VARCHAR(255) NOT NULL,
  value TEXT NOT NULL,
  KEY ei_endpoint (endpoint_id, kind, position),
  CONSTRAINT fk_ei_endpoint FOREIGN KEY (endpoint_id) REFERENCES endpoints (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Endpoint definitions are cached under counter 1 (sql/007): these rows move it too.
CREATE TRIGGER gen_items_insert AFTER INSERT ON endpoint_items FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
CREATE TRIGGER gen_items_update AFTER UPDATE ON endpoint_items FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
CREATE TRIGGER gen_items_delete AFTER DELETE ON endpoint_items FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;

-- Requests per second a connector may send (a token bucket per process; NULL: no limit).
ALTER TABLE connectors ADD COLUMN rate_limit DECIMAL(8,3) NULL DEFAULT NULL AFTER max_concurrency;
