-- Notification destinations, notifications (one per event and destination:
-- the delivery queue itself) and the log of every delivery attempt.

ALTER TABLE api_keys ADD COLUMN expiring_notified_at DATETIME;
CREATE INDEX api_keys_expiry ON api_keys (expires_at) WHERE status = 'active';

CREATE TABLE notification_settings (
    id                       TEXT PRIMARY KEY,
    account_id               TEXT NOT NULL REFERENCES accounts (id),
    environment              TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    description              TEXT NOT NULL,
    type                     TEXT NOT NULL CHECK (type IN ('url', 'email')),
    destination              TEXT NOT NULL,
    active                   INTEGER NOT NULL,
    api_version              INTEGER NOT NULL,
    include_sensitive_fields INTEGER NOT NULL,
    subscribed_events        TEXT NOT NULL,   -- JSON array of event type names
    traffic_source           TEXT NOT NULL,
    secret_sealed            BLOB NOT NULL,   -- AES-GCM; never the secret in the clear
    created_at               DATETIME NOT NULL,
    updated_at               DATETIME NOT NULL
);
CREATE INDEX notification_settings_account ON notification_settings (account_id, id);

CREATE TABLE notifications (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    environment     TEXT NOT NULL CHECK (environment IN ('live', 'sandbox')),
    setting_id      TEXT NOT NULL REFERENCES notification_settings (id) ON DELETE CASCADE,
    event_id        TEXT NOT NULL REFERENCES events (id),
    type            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('not_attempted', 'needs_retry', 'delivered', 'failed')),
    origin          TEXT NOT NULL CHECK (origin IN ('event', 'replay')),
    payload         TEXT NOT NULL,
    occurred_at     DATETIME NOT NULL,
    delivered_at    DATETIME,
    replayed_at     DATETIME,
    last_attempt_at DATETIME,
    retry_at        DATETIME,
    times_attempted INTEGER NOT NULL,
    claimed_until   DATETIME,                -- a dispatcher's lease; expires if it dies
    created_at      DATETIME NOT NULL
);
CREATE INDEX notifications_account ON notifications (account_id, id);
CREATE INDEX notifications_setting ON notifications (setting_id);
CREATE INDEX notifications_due ON notifications (retry_at) WHERE status IN ('not_attempted', 'needs_retry');

CREATE TABLE notification_logs (
    id                    TEXT PRIMARY KEY,
    notification_id       TEXT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    account_id            TEXT NOT NULL REFERENCES accounts (id),
    response_code         INTEGER NOT NULL,
    response_content_type TEXT,
    response_body         TEXT NOT NULL,
    attempted_at          DATETIME NOT NULL
);
CREATE INDEX notification_logs_notification ON notification_logs (notification_id, id);
