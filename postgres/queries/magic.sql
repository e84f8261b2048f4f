-- name: CreateMagicCode
INSERT INTO magic_codes (code_hash, user_id, environment, expires_at, created_at) VALUES ($1, $2, $3, $4, $5);

-- name: RedeemMagicCode
-- $1 hash, $2 now, $3 environment: marks the code used if it is unused,
-- unexpired and of this environment, in one statement, so that of many
-- redemptions at once exactly one wins (and another environment's dashboard
-- can't use a code up).
UPDATE magic_codes SET used_at = $2
WHERE code_hash = $1 AND used_at IS NULL AND expires_at > $2 AND environment = $3
RETURNING user_id, environment;

-- name: UpdateAccountBusiness
UPDATE accounts SET name = $2, business = $3, updated_at = $4 WHERE id = $1;

-- name: FindAccountBusiness
SELECT business FROM accounts WHERE id = $1;
