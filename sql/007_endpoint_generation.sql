-- Each process keeps endpoint definitions (the endpoint, its headers and parameters) under
-- counter 1 (src/db/endpoints.c). dcgate's own saves move it through the connector row they
-- update, but a change made by SQL to an endpoint, a header or a parameter did not: an
-- endpoint's URL changed by SQL kept being called at its old address. Now every change of
-- those rows moves counter 1, as a change of a connector does. A save holds the connector
-- row and row 1 before it writes these rows, so the lock order stays the same.
DROP TRIGGER gen_endpoints_update;
CREATE TRIGGER gen_endpoints_update AFTER UPDATE ON endpoints FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;

CREATE TRIGGER gen_headers_insert AFTER INSERT ON endpoint_headers FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
CREATE TRIGGER gen_headers_update AFTER UPDATE ON endpoint_headers FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
CREATE TRIGGER gen_headers_delete AFTER DELETE ON endpoint_headers FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;

CREATE TRIGGER gen_params_insert AFTER INSERT ON endpoint_params FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
CREATE TRIGGER gen_params_update AFTER UPDATE ON endpoint_params FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
CREATE TRIGGER gen_params_delete AFTER DELETE ON endpoint_params FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 1;
