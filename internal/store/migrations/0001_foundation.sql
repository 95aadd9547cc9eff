-- Accounts, organizations, members, invitations, teams, projects, audit log, mail outbox and
-- the server's own secrets. Times are Unix seconds (INTEGER) in UTC.

CREATE TABLE users (
    id              INTEGER PRIMARY KEY,
    email           TEXT    NOT NULL,
    name            TEXT    NOT NULL DEFAULT '',
    password_hash   TEXT    NOT NULL,
    active          INTEGER NOT NULL DEFAULT 1,
    session_version INTEGER NOT NULL DEFAULT 1,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email COLLATE NOCASE);

CREATE TABLE orgs (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE memberships (
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('member', 'admin', 'manager', 'owner', 'billing')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, user_id)
) WITHOUT ROWID;
CREATE INDEX memberships_user ON memberships (user_id);

-- An invitation is redeemed with a secret link; only the secret's SHA-256 is kept.
CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    email       TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    secret_hash TEXT    NOT NULL UNIQUE,
    invited_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    accepted_at INTEGER
);
CREATE UNIQUE INDEX invites_pending ON invites (org_id, email COLLATE NOCASE) WHERE accepted_at IS NULL;

CREATE TABLE teams (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    slug       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE projects (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    team_id    INTEGER REFERENCES teams (id) ON DELETE SET NULL,
    slug       TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    platform   TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, slug)
);

CREATE TABLE audit_log (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    actor_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    actor_email TEXT    NOT NULL,
    event       TEXT    NOT NULL,
    target      TEXT    NOT NULL,
    ip          TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
CREATE INDEX audit_log_org ON audit_log (org_id, id DESC);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    to_addr         TEXT    NOT NULL,
    template        TEXT    NOT NULL,
    data            BLOB    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    sent_at         INTEGER,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
);
CREATE INDEX outbox_due ON outbox (next_attempt_at) WHERE sent_at IS NULL;

-- Secrets the server generates on first run (session keys), so none is hard-coded.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
) WITHOUT ROWID;

-- A user's own security log (Account > Security): password changes and user-token events.
CREATE TABLE account_log (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    event      TEXT    NOT NULL,
    target     TEXT    NOT NULL DEFAULT '',
    ip         TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX account_log_user ON account_log (user_id, id DESC);
