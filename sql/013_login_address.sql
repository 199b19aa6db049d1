-- Sign-in failures count per (user name, client address): a lock holds only that pair, so
-- failures from one address cannot lock a user out everywhere (users.locked_until is no
-- longer written or read). Failures from one address over any names slow that address
-- down, read by remote_addr. Failures older than the window and locks that ended before
-- it are deleted a hundred at a time by each new failure (by failed_at, locked_until).
CREATE TABLE login_locks (
  username VARCHAR(255) NOT NULL,
  remote_addr VARCHAR(64) NOT NULL,
  locked_until DATETIME NOT NULL,
  PRIMARY KEY (username, remote_addr),
  KEY login_locks_until (locked_until)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

ALTER TABLE login_failures ADD KEY login_failures_addr (remote_addr, failed_at),
  ADD KEY login_failures_user_addr (username, remote_addr, failed_at),
  ADD KEY login_failures_at (failed_at);
