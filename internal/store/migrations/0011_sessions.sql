-- Server-side browser sessions (issue 10 item 1). The cookie holds a random secret; this table
-- keeps only its SHA-256, so signing out (deleting the row) ends the session for every copy of
-- the cookie, and a copy of the database opens no browser session. session_version is the
-- user's when the session started: a change of password moves the user's on, which ends every
-- session still holding the old one (the one that changed it is moved on with it).
CREATE TABLE sessions (
    id              INTEGER PRIMARY KEY,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret_hash     TEXT    NOT NULL UNIQUE,
    session_version INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    -- last_seen_at plus the idle timeout in force when it was written.
    expires_at      INTEGER NOT NULL,
    ip              TEXT    NOT NULL DEFAULT '',
    user_agent      TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id, last_seen_at);
CREATE INDEX sessions_expiry ON sessions (expires_at);
