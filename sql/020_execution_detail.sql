-- Execution-log detail (issue 20): a Test is a record. Pressing Test writes its row at once
-- (state running) and redirects to /data-connector-logs/{id}; the run finishes it (done) or
-- the user cancels it (cancelled). detail is JSON: the request as sent with secrets masked,
-- the data it was rendered over, the environment, the response status, headers and timings,
-- the error in plain words and warnings (src/web/log_detail.c). Bodies are kept only when the
-- endpoint opts in (keep_bodies_days, 0 = never, at most 30), capped and masked, until
-- body_expires_at.
ALTER TABLE execution_logs
  ADD COLUMN state ENUM('running','done','cancelled') NOT NULL DEFAULT 'done' AFTER kind,
  ADD COLUMN detail MEDIUMTEXT NULL,
  ADD COLUMN request_body MEDIUMTEXT NULL,
  ADD COLUMN response_body MEDIUMTEXT NULL,
  ADD COLUMN body_expires_at DATETIME NULL,
  ADD COLUMN finished_at DATETIME NULL;

ALTER TABLE endpoints
  ADD COLUMN keep_bodies_days INT UNSIGNED NOT NULL DEFAULT 0;
