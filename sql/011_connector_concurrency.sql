-- A connector's own cap on its outbound calls in flight (NULL: outbound.connector_concurrency),
-- so one slow data source cannot take the capacity of the others.
ALTER TABLE connectors ADD COLUMN max_concurrency INT UNSIGNED NULL DEFAULT NULL AFTER description;
