-- The one-time set-up links (only their SHA-256), in the database so that a
-- link printed by one node works on any node, once.
CREATE TABLE setup_links (
    link_hash   bytea PRIMARY KEY,
    environment text NOT NULL CHECK (environment IN ('live', 'sandbox')),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    created_at  timestamptz NOT NULL
);

-- The API's per-client-IP request counts, shared by the nodes: each node
-- adds what it counted locally, in batches, and reads back the cluster's
-- total. One row per surface, client address and one-minute window.
CREATE TABLE rate_limit_counts (
    scope         text NOT NULL,
    client_ip     text NOT NULL,
    window_start  timestamptz NOT NULL,
    requests      bigint NOT NULL,
    blocked_until timestamptz,
    PRIMARY KEY (scope, client_ip, window_start)
);
CREATE INDEX rate_limit_counts_window ON rate_limit_counts (window_start);

-- The nodes that shared rate-limit counts lately, so that each node knows
-- how many share an IP's remaining allowance.
CREATE TABLE cluster_nodes (
    node_id   text PRIMARY KEY,
    last_seen timestamptz NOT NULL
);
