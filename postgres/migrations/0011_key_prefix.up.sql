-- Settings of the deployment that are fixed when its database is created,
-- such as the prefix of its API keys (KEYGATE_KEY_PREFIX).
CREATE TABLE keygate_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
-- A database that already holds standard keys issued them with pdl, the
-- only prefix there was before this setting.
INSERT INTO keygate_settings (name, value)
SELECT 'key_prefix', 'pdl' WHERE EXISTS (SELECT 1 FROM api_keys WHERE NOT legacy);
