-- Client certificate (mutual TLS): the passphrase of an encrypted private key.
-- client_key_pass: sealed under "connector:<id>:client_key_pass" (src/connector/secrets.c),
--   NULL when none is stored (an unencrypted key). Handed to libcurl as CURLOPT_KEYPASSWD;
--   never shown, exported or logged.
ALTER TABLE connectors
  ADD COLUMN client_key_pass TEXT NULL AFTER client_key;

-- connector_rate: the token bucket of a connector's rate_limit, shared by every dcgate process
--   and host on this database: next_us is the next free instant (microseconds on the
--   database's clock, UTC). A call reserves its turn in one UPDATE (src/db/rate.c); the row
--   is made on a rate-limited connector's first call, so connectors without a rate limit
--   have none and pay nothing.
CREATE TABLE connector_rate (
  connector_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  next_us BIGINT NOT NULL DEFAULT 0,
  CONSTRAINT fk_cr_connector FOREIGN KEY (connector_id) REFERENCES connectors (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
