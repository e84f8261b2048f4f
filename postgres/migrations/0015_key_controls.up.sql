-- A key's controls (keygate's extension): the networks it may be used from
-- (JSON array of CIDRs), its rate limit (JSON {requests, per}), and its
-- credits: the balance, spent in batches by each node, and the rest of its
-- state as JSON {granted, refill, refilled_at, notified}. NULL for none.
ALTER TABLE api_keys ADD COLUMN allowed_ips text;
ALTER TABLE api_keys ADD COLUMN rate_limit text;
ALTER TABLE api_keys ADD COLUMN credits_remaining bigint;
ALTER TABLE api_keys ADD COLUMN credits text;
