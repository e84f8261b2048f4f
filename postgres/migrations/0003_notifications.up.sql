-- Notification destinations, notifications (one per event and destination:
-- the delivery queue itself) and the log of every delivery attempt.

ALTER TABLE api_keys ADD COLUMN expiring_notified_at timestamptz;
CREATE INDEX api_keys_expiry ON api_keys (expires_at) WHERE status = 'active';

CREATE TABLE notification_settings (
    id                       text COLLATE "C" PRIMARY KEY,
    account_id               text COLLATE "C" NOT NULL REFERENCES accounts (id),
    environment              text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    description              text NOT NULL,
    type                     text NOT NULL CHECK (type IN ('url', 'email')),
    destination              text NOT NULL,
    active                   boolean NOT NULL,
    api_version              integer NOT NULL,
    include_sensitive_fields boolean NOT NULL,
    subscribed_events        text NOT NULL,   -- JSON array of event type names
    traffic_source           text NOT NULL,
    secret_sealed            bytea NOT NULL,  -- AES-GCM; never the secret in the clear
    created_at               timestamptz NOT NULL,
    updated_at               timestamptz NOT NULL
);
CREATE INDEX notification_settings_account ON notification_settings (account_id, id);

CREATE TABLE notifications (
    id              text COLLATE "C" PRIMARY KEY,
    account_id      text COLLATE "C" NOT NULL REFERENCES accounts (id),
    environment     text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    setting_id      text COLLATE "C" NOT NULL REFERENCES notification_settings (id) ON DELETE CASCADE,
    event_id        text COLLATE "C" NOT NULL REFERENCES events (id),
    type            text NOT NULL,
    status          text NOT NULL CHECK (status IN ('not_attempted', 'needs_retry', 'delivered', 'failed')),
    origin          text NOT NULL CHECK (origin IN ('event', 'replay')),
    payload         json NOT NULL,
    occurred_at     timestamptz NOT NULL,
    delivered_at    timestamptz,
    replayed_at     timestamptz,
    last_attempt_at timestamptz,
    retry_at        timestamptz,
    times_attempted integer NOT NULL,
    claimed_until   timestamptz,             -- a dispatcher's lease; expires if it dies
    created_at      timestamptz NOT NULL
);
CREATE INDEX notifications_account ON notifications (account_id, id);
CREATE INDEX notifications_setting ON notifications (setting_id);
CREATE INDEX notifications_due ON notifications (retry_at) WHERE status IN ('not_attempted', 'needs_retry');

CREATE TABLE notification_logs (
    id                    text COLLATE "C" PRIMARY KEY,
    notification_id       text COLLATE "C" NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    account_id            text COLLATE "C" NOT NULL REFERENCES accounts (id),
    response_code         integer NOT NULL,
    response_content_type text,
    response_body         text NOT NULL,
    attempted_at          timestamptz NOT NULL
);
CREATE INDEX notification_logs_notification ON notification_logs (notification_id, id);
