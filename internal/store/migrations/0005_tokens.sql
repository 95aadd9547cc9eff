-- One table for the three kinds of tokens, with one revocation scheme: a revoked token keeps
-- its row (revoked_at, revoked_by, revoked_reason), whatever its kind, for the audit and for
-- telling "revoked" from "never existed" when a token is reported exposed. Before this, org
-- tokens were deactivated (deactivated_at), user tokens deleted and integration tokens marked
-- revoked_at, each in its own table. Every id stays what it was: ids are per kind (the primary
-- key is kind and id), as they appear in URLs and API responses.
CREATE TABLE tokens (
    kind                 TEXT    NOT NULL CHECK (kind IN ('org', 'user', 'integration')),
    id                   INTEGER NOT NULL,
    -- The owner: an org token's and an integration token's organization, a user token's user,
    -- and an integration token's integration (NULL once the integration is deleted; its
    -- tokens are revoked first).
    org_id               INTEGER REFERENCES orgs (id) ON DELETE CASCADE,
    user_id              INTEGER REFERENCES users (id) ON DELETE CASCADE,
    integration_id       INTEGER REFERENCES integrations (id) ON DELETE SET NULL,
    token_hash           TEXT    NOT NULL UNIQUE,
    last_chars           TEXT    NOT NULL,
    name                 TEXT    NOT NULL DEFAULT '',
    scopes               TEXT    NOT NULL,
    created_by           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at           INTEGER NOT NULL,
    expires_at           INTEGER,
    last_used_at         INTEGER,
    last_used_project_id INTEGER REFERENCES projects (id) ON DELETE SET NULL,
    revoked_at           INTEGER,
    revoked_by           INTEGER REFERENCES users (id) ON DELETE SET NULL,
    -- Why: 'revoked' (by a person), 'rotated', 'integration deleted'.
    revoked_reason       TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (kind, id),
    CHECK ((kind = 'user') = (user_id IS NOT NULL) AND (kind = 'user') = (org_id IS NULL))
) WITHOUT ROWID;

INSERT INTO tokens (kind, id, org_id, token_hash, last_chars, name, scopes, created_by, created_at,
        expires_at, last_used_at, last_used_project_id, revoked_at, revoked_reason)
    SELECT 'org', id, org_id, token_hash, last_chars, name, scopes, created_by, created_at,
        expires_at, last_used_at, last_used_project_id, deactivated_at,
        CASE WHEN deactivated_at IS NULL THEN '' ELSE 'revoked' END
    FROM org_tokens;
-- Revoked user tokens were deleted: there is nothing to carry over for them.
INSERT INTO tokens (kind, id, user_id, token_hash, last_chars, name, scopes, created_at, expires_at,
        last_used_at)
    SELECT 'user', id, user_id, token_hash, last_chars, name, scopes, created_at, expires_at, last_used_at
    FROM user_tokens;
INSERT INTO tokens (kind, id, org_id, integration_id, token_hash, last_chars, scopes, created_by,
        created_at, last_used_at, revoked_at, revoked_reason)
    SELECT 'integration', t.id, i.org_id, t.integration_id, t.token_hash, t.last_chars, t.scopes,
        t.created_by, t.created_at, t.last_used_at, t.revoked_at,
        CASE WHEN t.revoked_at IS NULL THEN '' ELSE 'revoked' END
    FROM integration_tokens t JOIN integrations i ON i.id = t.integration_id;

DROP TABLE org_tokens;
DROP TABLE user_tokens;
DROP TABLE integration_tokens;

-- Each list is over live tokens only, so a page stays an index walk however many tokens have
-- been revoked. The org list's index follows its query's ORDER BY term for term.
CREATE INDEX org_tokens_list ON tokens (org_id, coalesce(last_used_at, -1) DESC, name COLLATE NOCASE, id DESC)
    WHERE kind = 'org' AND revoked_at IS NULL;
CREATE INDEX user_tokens_live ON tokens (user_id, id DESC) WHERE kind = 'user' AND revoked_at IS NULL;
CREATE INDEX integration_tokens_live ON tokens (integration_id, id) WHERE kind = 'integration' AND revoked_at IS NULL;
