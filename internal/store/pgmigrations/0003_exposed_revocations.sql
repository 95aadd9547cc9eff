-- The "Revoked after exposure" sections of the token lists (issue 15), as SQLite's
-- migrations/0013_exposed_revocations.sql: tokens revoked because GitHub reported them
-- exposed, by owner, latest revocation first. Partial, so they hold only those few rows.
CREATE INDEX tokens_revoked_exposed_org ON tokens (org_id, revoked_at DESC) WHERE revoked_reason = 'exposed';
CREATE INDEX tokens_revoked_exposed_user ON tokens (user_id, revoked_at DESC) WHERE revoked_reason = 'exposed';
