-- An environment's own version (issue 19): every save adds one, and a save that names the
-- version it started from is refused when someone saved the environment meanwhile (the
-- form's hidden "version", the API's optional "version"), as connector saves are.
ALTER TABLE connector_environments
  ADD COLUMN version INT UNSIGNED NOT NULL DEFAULT 1;
