-- The connector list shows "1-25 of N" on every view: N comes from this one row instead of
-- counting every connector each time (issue 4, 10,000 connectors). Triggers keep it exact
-- for every writer (the app, SQL fixtures, tests/bench/seed.sql) in the writer's own
-- transaction. With binary logging on, creating triggers needs SUPER or
-- log_bin_trust_function_creators=1 for the user that runs dcgate-admin migrate.
CREATE TABLE connector_stats (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  connectors BIGINT NOT NULL
) ENGINE=InnoDB;

INSERT INTO connector_stats (id, connectors) SELECT 1, COUNT(*) FROM connectors;

CREATE TRIGGER connector_stats_insert AFTER INSERT ON connectors FOR EACH ROW
  UPDATE connector_stats SET connectors = connectors + 1 WHERE id = 1;

CREATE TRIGGER connector_stats_delete AFTER DELETE ON connectors FOR EACH ROW
  UPDATE connector_stats SET connectors = connectors - 1 WHERE id = 1;
