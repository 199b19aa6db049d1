-- An environment's own version (issue 19): every save adds one, and a save that names the
-- version it started from is refused when someone saved the environment meanwhile (the
-- form's hidden "version", the API's optional "version"), as connector saves are.
ALTER TABLE connector_environments
  ADD COLUMN version INT UNSIGNED NOT NULL DEFAULT 1;

-- Environments and their variables move the connectors' change counter (sql/005, sql/009)
-- like endpoints do: a run reads its environment through the per-process cache under that
-- counter (db_env_find_cached), so every change of them, a key rotation's re-seal included,
-- must be seen by the next run on every process.
CREATE TRIGGER gen_environments_insert AFTER INSERT ON connector_environments FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_environments_update AFTER UPDATE ON connector_environments FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_environments_delete AFTER DELETE ON connector_environments FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_env_vars_insert AFTER INSERT ON environment_variables FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_env_vars_update AFTER UPDATE ON environment_variables FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_env_vars_delete AFTER DELETE ON environment_variables FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
