-- Requests per key and hour, counted in memory by each verifier and added
-- here with its batch of last uses: no write per request.
CREATE TABLE api_key_usage (
    api_key_id TEXT NOT NULL REFERENCES api_keys (id),
    hour       DATETIME NOT NULL,
    requests   INTEGER NOT NULL,
    PRIMARY KEY (api_key_id, hour)
);
