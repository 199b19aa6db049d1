-- Data connectors, categories, endpoints, token cache, execution logs.
CREATE TABLE categories (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  status ENUM('active','inactive') NOT NULL DEFAULT 'active',
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY categories_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE connectors (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  description TEXT NOT NULL,
  auth_type ENUM('none','basic','bearer','oauth2_password','oauth2_client_credentials')
    NOT NULL DEFAULT 'none',
  verify_ssl TINYINT(1) NOT NULL DEFAULT 1,
  auth_username VARCHAR(255) NOT NULL DEFAULT '',
  auth_password TEXT NULL,
  auth_token TEXT NULL,
  token_url VARCHAR(2048) NOT NULL DEFAULT '',
  client_id VARCHAR(255) NOT NULL DEFAULT '',
  client_secret TEXT NULL,
  scope VARCHAR(1024) NOT NULL DEFAULT '',
  client_auth ENUM('body','basic') NOT NULL DEFAULT 'body',
  version INT UNSIGNED NOT NULL DEFAULT 1,
  created_by BIGINT UNSIGNED NULL,
  updated_by BIGINT UNSIGNED NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY connectors_name (name),
  KEY connectors_updated (updated_at),
  KEY connectors_created (created_at),
  CONSTRAINT fk_conn_created FOREIGN KEY (created_by) REFERENCES users (id) ON DELETE SET NULL,
  CONSTRAINT fk_conn_updated FOREIGN KEY (updated_by) REFERENCES users (id) ON DELETE SET NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE connector_categories (
  connector_id BIGINT UNSIGNED NOT NULL,
  category_id BIGINT UNSIGNED NOT NULL,
  PRIMARY KEY (connector_id, category_id),
  KEY cc_category (category_id, connector_id),
  CONSTRAINT fk_cc_connector FOREIGN KEY (connector_id) REFERENCES connectors (id) ON DELETE CASCADE,
  CONSTRAINT fk_cc_category FOREIGN KEY (category_id) REFERENCES categories (id) ON DELETE RESTRICT
) ENGINE=InnoDB;

CREATE TABLE endpoints (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  connector_id BIGINT UNSIGNED NOT NULL,
  purpose VARCHAR(255) NOT NULL,
  description TEXT NOT NULL,
  method ENUM('GET','POST','PUT','PATCH','DELETE') NOT NULL DEFAULT 'GET',
  url VARCHAR(4096) NOT NULL,
  timeout INT UNSIGNED NOT NULL DEFAULT 30,
  body MEDIUMTEXT NOT NULL,
  sample_data MEDIUMTEXT NOT NULL,
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  updated_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  UNIQUE KEY endpoints_purpose (connector_id, purpose),
  CONSTRAINT fk_ep_connector FOREIGN KEY (connector_id) REFERENCES connectors (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE endpoint_headers (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  endpoint_id BIGINT UNSIGNED NOT NULL,
  position INT UNSIGNED NOT NULL,
  name VARCHAR(255) NOT NULL,
  value TEXT NOT NULL,
  description VARCHAR(1024) NOT NULL DEFAULT '',
  required TINYINT(1) NOT NULL DEFAULT 0,
  KEY eh_endpoint (endpoint_id, position),
  CONSTRAINT fk_eh_endpoint FOREIGN KEY (endpoint_id) REFERENCES endpoints (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE endpoint_params (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  endpoint_id BIGINT UNSIGNED NOT NULL,
  position INT UNSIGNED NOT NULL,
  name VARCHAR(255) NOT NULL,
  value TEXT NOT NULL,
  required TINYINT(1) NOT NULL DEFAULT 0,
  KEY ep_endpoint (endpoint_id, position),
  CONSTRAINT fk_epp_endpoint FOREIGN KEY (endpoint_id) REFERENCES endpoints (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE token_cache (
  connector_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  access_token TEXT NOT NULL,
  refresh_token TEXT NULL,
  token_type VARCHAR(64) NOT NULL DEFAULT 'Bearer',
  expires_at DATETIME NULL,
  fetched_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  CONSTRAINT fk_tc_connector FOREIGN KEY (connector_id) REFERENCES connectors (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE execution_logs (
  id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  connector_id BIGINT UNSIGNED NULL,
  endpoint_id BIGINT UNSIGNED NULL,
  user_id BIGINT UNSIGNED NULL,
  token_id BIGINT UNSIGNED NULL,
  kind ENUM('test','execute') NOT NULL,
  method VARCHAR(16) NOT NULL,
  url VARCHAR(4096) NOT NULL,
  status INT NOT NULL DEFAULT 0,
  duration_us BIGINT NOT NULL DEFAULT 0,
  size BIGINT NOT NULL DEFAULT 0,
  error VARCHAR(1024) NOT NULL DEFAULT '',
  created_at DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP,
  KEY el_connector (connector_id, created_at),
  KEY el_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
