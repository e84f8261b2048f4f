-- Nothing on SQLite: its one writer at a time already numbers the change
-- feed in commit order (see the PostgreSQL migration of the same name).
SELECT 1;
