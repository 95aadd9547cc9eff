-- The host and path a reverse proxy last asked about for a token (forward authentication,
-- GET /_auth/verify), shown with the token's "last used". One row per token, keyed by kind
-- and id as the API names tokens, in a table of its own so that the token tables stay as
-- they are. A row is shown only for a token created before the use (used_at >= created_at),
-- so a token that reuses a deleted token's id never inherits its target.
CREATE TABLE token_use_targets (
    kind     TEXT    NOT NULL CHECK (kind IN ('org', 'user', 'integration')),
    token_id INTEGER NOT NULL,
    target   TEXT    NOT NULL,
    used_at  INTEGER NOT NULL,
    PRIMARY KEY (kind, token_id)
) WITHOUT ROWID;
