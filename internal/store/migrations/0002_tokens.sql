-- The three kinds of tokens and the integrations that own the third. No column holds a
-- token's plaintext: only the SHA-256 of the full string (hex) and its last 4 characters.

CREATE TABLE org_tokens (
    id                   INTEGER PRIMARY KEY,
    org_id               INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    token_hash           TEXT    NOT NULL UNIQUE,
    last_chars           TEXT    NOT NULL,
    name                 TEXT    NOT NULL,
    scopes               TEXT    NOT NULL,
    created_by           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at           INTEGER NOT NULL,
    expires_at           INTEGER,
    last_used_at         INTEGER,
    last_used_project_id INTEGER REFERENCES projects (id) ON DELETE SET NULL,
    deactivated_at       INTEGER
);
-- The list page's order (last used desc, never used last, then name, then newest), over live
-- tokens only, so a page of it is an index walk even with many revoked tokens.
CREATE INDEX org_tokens_list ON org_tokens (org_id, coalesce(last_used_at, -1) DESC, name, id DESC)
    WHERE deactivated_at IS NULL;

CREATE TABLE user_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    token_hash   TEXT    NOT NULL UNIQUE,
    last_chars   TEXT    NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    last_used_at INTEGER
);
CREATE INDEX user_tokens_user ON user_tokens (user_id, id DESC);

CREATE TABLE integrations (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    slug              TEXT    NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    webhook_url       TEXT    NOT NULL DEFAULT '',
    alert_rule_action INTEGER NOT NULL DEFAULT 0,
    events            TEXT    NOT NULL DEFAULT '',
    overview          TEXT    NOT NULL DEFAULT '',
    scopes            TEXT    NOT NULL,
    created_by        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX integrations_org ON integrations (org_id, name);

CREATE TABLE integration_tokens (
    id             INTEGER PRIMARY KEY,
    integration_id INTEGER NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    token_hash     TEXT    NOT NULL UNIQUE,
    last_chars     TEXT    NOT NULL,
    scopes         TEXT    NOT NULL,
    created_by     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER,
    revoked_at     INTEGER
);
CREATE INDEX integration_tokens_live ON integration_tokens (integration_id) WHERE revoked_at IS NULL;

CREATE TABLE releases (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    version       TEXT    NOT NULL,
    ref           TEXT    NOT NULL DEFAULT '',
    url           TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    released_at   INTEGER,
    UNIQUE (org_id, version)
);

CREATE TABLE release_projects (
    release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    PRIMARY KEY (release_id, project_id)
) WITHOUT ROWID;
CREATE INDEX release_projects_project ON release_projects (project_id);
