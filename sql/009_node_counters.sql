-- No hot rows. The change counters of sql/005 (generations, one row per family) and the
-- connector count of sql/004 (connector_stats, one row) were moved by triggers inside every
-- save: on a Galera cluster every two saves through different nodes then wrote the same
-- row, and certification aborted one of them (a 503 or a retry), whatever they changed.
-- Now each database server writes rows of its own: the key is the server's
-- `@@hostname:@@port` (unique per server in any cluster; on one host the ports differ),
-- created by the first change through that server (INSERT ... ON DUPLICATE KEY UPDATE).
-- A counter is the SUM of its rows and the connector count the SUM of the per-server
-- counts, read in the same statement as before (src/auth/session.c, src/db/connectors.c).
-- Counters only grow, so the sum moves with every change, in the writer's own
-- transaction as before: a change and its counter are seen together, by every process, on
-- its next request. Saves through different servers no longer share a row; saves through
-- one server queue on its row as they did on the single row before (a lock wait, not a
-- certification abort). Row-based replication (binlog_format=ROW, which Galera needs)
-- carries the rows a trigger wrote on their server; triggers do not run again on the
-- others. Rows written before this migration keep node '' and still count.
DROP TRIGGER gen_connectors_insert;
DROP TRIGGER gen_connectors_update;
DROP TRIGGER gen_connectors_delete;
DROP TRIGGER gen_links_insert;
DROP TRIGGER gen_links_update;
DROP TRIGGER gen_links_delete;
DROP TRIGGER gen_endpoints_insert;
DROP TRIGGER gen_endpoints_update;
DROP TRIGGER gen_endpoints_delete;
DROP TRIGGER gen_headers_insert;
DROP TRIGGER gen_headers_update;
DROP TRIGGER gen_headers_delete;
DROP TRIGGER gen_params_insert;
DROP TRIGGER gen_params_update;
DROP TRIGGER gen_params_delete;
DROP TRIGGER gen_categories_insert;
DROP TRIGGER gen_categories_update;
DROP TRIGGER gen_categories_delete;
DROP TRIGGER gen_user_perms_insert;
DROP TRIGGER gen_user_perms_update;
DROP TRIGGER gen_user_perms_delete;
DROP TRIGGER gen_user_groups_insert;
DROP TRIGGER gen_user_groups_update;
DROP TRIGGER gen_user_groups_delete;
DROP TRIGGER gen_group_perms_insert;
DROP TRIGGER gen_group_perms_update;
DROP TRIGGER gen_group_perms_delete;
DROP TRIGGER gen_groups_delete;
DROP TRIGGER gen_users_delete;
DROP TRIGGER gen_users_update;
DROP TRIGGER connector_stats_insert;
DROP TRIGGER connector_stats_delete;

ALTER TABLE generations ADD COLUMN node VARCHAR(255) CHARACTER SET ascii NOT NULL DEFAULT '' AFTER id,
  DROP PRIMARY KEY, ADD PRIMARY KEY (id, node);
ALTER TABLE connector_stats ADD COLUMN node VARCHAR(255) CHARACTER SET ascii NOT NULL DEFAULT '' AFTER id,
  DROP PRIMARY KEY, ADD PRIMARY KEY (id, node);

-- Counter 1: connectors, their category links, endpoints with headers and parameters.
CREATE TRIGGER gen_connectors_insert AFTER INSERT ON connectors FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_connectors_update AFTER UPDATE ON connectors FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_connectors_delete AFTER DELETE ON connectors FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_links_insert AFTER INSERT ON connector_categories FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_links_update AFTER UPDATE ON connector_categories FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_links_delete AFTER DELETE ON connector_categories FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_endpoints_insert AFTER INSERT ON endpoints FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_endpoints_update AFTER UPDATE ON endpoints FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_endpoints_delete AFTER DELETE ON endpoints FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_headers_insert AFTER INSERT ON endpoint_headers FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_headers_update AFTER UPDATE ON endpoint_headers FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_headers_delete AFTER DELETE ON endpoint_headers FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_params_insert AFTER INSERT ON endpoint_params FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_params_update AFTER UPDATE ON endpoint_params FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_params_delete AFTER DELETE ON endpoint_params FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;

-- Counter 2: categories.
CREATE TRIGGER gen_categories_insert AFTER INSERT ON categories FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (2, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_categories_update AFTER UPDATE ON categories FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (2, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_categories_delete AFTER DELETE ON categories FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (2, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;

-- Counter 3: users and permissions.
CREATE TRIGGER gen_user_perms_insert AFTER INSERT ON user_permissions FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_user_perms_update AFTER UPDATE ON user_permissions FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_user_perms_delete AFTER DELETE ON user_permissions FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_user_groups_insert AFTER INSERT ON user_groups FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_user_groups_update AFTER UPDATE ON user_groups FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_user_groups_delete AFTER DELETE ON user_groups FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_group_perms_insert AFTER INSERT ON group_permissions FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_group_perms_update AFTER UPDATE ON group_permissions FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_group_perms_delete AFTER DELETE ON group_permissions FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_groups_delete AFTER DELETE ON `groups` FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_users_delete AFTER DELETE ON users FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;
CREATE TRIGGER gen_users_update AFTER UPDATE ON users FOR EACH ROW
  INSERT INTO generations (id, node, n) VALUES (3, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE n = n + 1;

-- The connector count: +1 and -1 on the writing server's row (a row may go below zero;
-- the sum is exact).
CREATE TRIGGER connector_stats_insert AFTER INSERT ON connectors FOR EACH ROW
  INSERT INTO connector_stats (id, node, connectors) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), 1)
  ON DUPLICATE KEY UPDATE connectors = connectors + 1;
CREATE TRIGGER connector_stats_delete AFTER DELETE ON connectors FOR EACH ROW
  INSERT INTO connector_stats (id, node, connectors) VALUES (1, LEFT(CONCAT(@@hostname, ':', @@port), 255), -1)
  ON DUPLICATE KEY UPDATE connectors = connectors - 1;
