-- One OAuth token fetch per connector across the whole cluster. GET_LOCK (used before) is
-- a lock of one server: on a Galera cluster, processes on two nodes each got "their" lock
-- and fetched two tokens. A lease is a row instead: certification orders writes of the
-- same key cluster-wide, so at most one owner holds an unexpired lease. A worker takes it
-- with one autocommit INSERT ... ON DUPLICATE KEY UPDATE that changes the owner only when
-- the lease it finds has expired, reads the owner back, fetches the token when the lease
-- is its own, stores the token (token_cache) and deletes the lease; the others poll the
-- cache and the lease with short sleeps (src/outbound/auth.c). The row lives only while a
-- fetch runs; an owner that died is passed over once expires_at is past.
-- No foreign key to connectors: a key of the parent row would make a lease conflict with
-- saves of its connector on other nodes.
CREATE TABLE token_leases (
  connector_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  owner VARCHAR(64) CHARACTER SET ascii NOT NULL,
  expires_at DATETIME(3) NOT NULL
) ENGINE=InnoDB;
