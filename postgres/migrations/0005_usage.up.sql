-- Requests per key and hour, counted in memory by each verifier and added
-- here with its batch of last uses: no write per request.
CREATE TABLE api_key_usage (
    api_key_id text COLLATE "C" NOT NULL REFERENCES api_keys (id),
    hour       timestamptz NOT NULL,
    requests   bigint NOT NULL,
    PRIMARY KEY (api_key_id, hour)
);
