-- Change counters for the per-process caches of the connector list. Each dcgate
-- process keeps recent list pages and the category list in memory, keyed by these
-- counters, and reads the counters in the same round trip as the session or API token
-- check: a change committed through any process (or by SQL) moves a counter, so the next
-- request anywhere misses the old entry. Triggers bump them in the writer's own
-- transaction, so the counter and the change become visible together.
--   id 1: what the list shows of connectors (connectors, their category links, endpoint
--         counts); a connector delete cascades to links and endpoints (cascades fire no
--         trigger, the connector's own trigger covers them).
--   id 2: categories (names and statuses in the list and its filter).
--   id 3: permissions (user_permissions, user_groups, group_permissions, and deletes of
--         groups and users, whose cascades fire no trigger). A process keeps each user's
--         permission set for one value of it; the user row itself (active, super admin,
--         names) is read with every session check and never cached.
-- Separate rows: a category save locks its category row and then row 2, while a connector
-- save may wait on a category row (foreign key check) holding row 1; one shared row would
-- let those two wait on each other. Endpoint and connector saves lock the connector row
-- first and row 1 after it, always in that order.
CREATE TABLE generations (
  id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
  n BIGINT UNSIGNED NOT NULL
) ENGINE=InnoDB;

INSERT INTO generations (id, n) VALUES (1, 1), (2, 1), (3, 1);

CREATE TRIGGER gen_connectors_insert AFTER INSERT ON connectors FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
CREATE TRIGGER gen_connectors_update AFTER UPDATE ON connectors FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
CREATE TRIGGER gen_connectors_delete AFTER DELETE ON connectors FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;

CREATE TRIGGER gen_links_insert AFTER INSERT ON connector_categories FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
CREATE TRIGGER gen_links_update AFTER UPDATE ON connector_categories FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
CREATE TRIGGER gen_links_delete AFTER DELETE ON connector_categories FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;

-- The list shows how many endpoints a connector has: an update matters only when it moves
-- an endpoint to another connector (the app never does; SQL might).
CREATE TRIGGER gen_endpoints_insert AFTER INSERT ON endpoints FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
CREATE TRIGGER gen_endpoints_update AFTER UPDATE ON endpoints FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1 AND NEW.connector_id <> OLD.connector_id;
CREATE TRIGGER gen_endpoints_delete AFTER DELETE ON endpoints FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;

CREATE TRIGGER gen_categories_insert AFTER INSERT ON categories FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 2;
CREATE TRIGGER gen_categories_update AFTER UPDATE ON categories FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 2;
CREATE TRIGGER gen_categories_delete AFTER DELETE ON categories FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 2;

CREATE TRIGGER gen_user_perms_insert AFTER INSERT ON user_permissions FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;
CREATE TRIGGER gen_user_perms_update AFTER UPDATE ON user_permissions FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;
CREATE TRIGGER gen_user_perms_delete AFTER DELETE ON user_permissions FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;

CREATE TRIGGER gen_user_groups_insert AFTER INSERT ON user_groups FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;
CREATE TRIGGER gen_user_groups_update AFTER UPDATE ON user_groups FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;
CREATE TRIGGER gen_user_groups_delete AFTER DELETE ON user_groups FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;

CREATE TRIGGER gen_group_perms_insert AFTER INSERT ON group_permissions FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;
CREATE TRIGGER gen_group_perms_update AFTER UPDATE ON group_permissions FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;
CREATE TRIGGER gen_group_perms_delete AFTER DELETE ON group_permissions FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;

CREATE TRIGGER gen_groups_delete AFTER DELETE ON `groups` FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;
CREATE TRIGGER gen_users_delete AFTER DELETE ON users FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;
