-- Client certificate (mutual TLS): the passphrase of an encrypted private key.
-- client_key_pass: sealed under "connector:<id>:client_key_pass" (src/connector/secrets.c),
--   NULL when none is stored (an unencrypted key). Handed to libcurl as CURLOPT_KEYPASSWD;
--   never shown, exported or logged.
ALTER TABLE connectors
  ADD COLUMN client_key_pass TEXT NULL AFTER client_key;
