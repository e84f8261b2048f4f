-- Requests refused for want of a permission (403 forbidden), per key and
-- hour, beside the requests served; counted by each verifier and added with
-- its batch of last uses.
ALTER TABLE api_key_usage ADD COLUMN forbidden INTEGER NOT NULL DEFAULT 0;
