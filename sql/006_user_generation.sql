-- The user row (active, super admin, names) now joins the permission set in each process's
-- user cache, keyed by counter 3 (src/auth/session.c): a session or API token check reads
-- the session or token and the counters, one primary key row each, and no longer the user.
-- So an update of a user (deactivated, made super admin, renamed, new password, locked)
-- moves counter 3 as a permission change does, and every process reads that user again on
-- its next request. This replaces 005's "the user row ... is read with every session check
-- and never cached". A users update locks the user row and then row 3, the same order as
-- a user save that also changes permissions.
CREATE TRIGGER gen_users_update AFTER UPDATE ON users FOR EACH ROW
  UPDATE generations SET n = n + 1 WHERE id = 3;
