-- name: InitSetting
INSERT INTO keygate_settings (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING;

-- name: FindSetting
SELECT value FROM keygate_settings WHERE name = $1;
