-- The "Revoked after exposure" sections of the token lists (issue 15): tokens revoked because
-- GitHub reported them exposed, by owner, latest revocation first. Revoked rows are outside
-- the live lists' partial indexes; these hold only the few rows revoked for an exposure, so
-- the sections cost an index step however many tokens an organization has revoked. Org and
-- integration tokens are found by org_id (both have one), user tokens by user_id.
CREATE INDEX tokens_revoked_exposed_org ON tokens (org_id, revoked_at DESC) WHERE revoked_reason = 'exposed';
CREATE INDEX tokens_revoked_exposed_user ON tokens (user_id, revoked_at DESC) WHERE revoked_reason = 'exposed';
