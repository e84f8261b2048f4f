-- name: CountSignInAttempt
-- ?1 key, ?2 now, ?3 start of the oldest window still open: counts one
-- attempt in one statement (a window that has closed starts again at now)
-- and returns the count, so that of many attempts at once each sees its own.
INSERT INTO sign_in_attempts (key, attempts, window_start) VALUES (?1, 1, ?2)
ON CONFLICT (key) DO UPDATE SET
    attempts = CASE WHEN sign_in_attempts.window_start <= ?3 THEN 1 ELSE sign_in_attempts.attempts + 1 END,
    window_start = CASE WHEN sign_in_attempts.window_start <= ?3 THEN ?2 ELSE sign_in_attempts.window_start END
RETURNING attempts, window_start;

-- name: ForgiveSignInAttempt
UPDATE sign_in_attempts SET attempts = attempts - 1 WHERE key = ?1 AND attempts > 0;

-- name: ForgetSignInAttempts
DELETE FROM sign_in_attempts WHERE key = ?1;

-- name: DeleteOldSignInAttempts
DELETE FROM sign_in_attempts WHERE window_start <= ?1;
