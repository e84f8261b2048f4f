-- Sign-in attempts, counted per e-mail address and per client IP (the key
-- says which, and of which environment), in windows: the lockout is in the
-- database so that it holds across nodes and is counted atomically.
CREATE TABLE sign_in_attempts (
    key          text COLLATE "C" PRIMARY KEY,
    attempts     integer NOT NULL,
    window_start timestamptz NOT NULL
);
CREATE INDEX sign_in_attempts_window ON sign_in_attempts (window_start);
