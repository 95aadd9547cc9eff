-- Token lifecycle (issue 15): exposure reports, rotation with an overlap, expiry reminders and
-- organization token policies.
--
-- An exposure is recorded on the token itself, once: the first report wins, so a repeated
-- report changes nothing and sends no second email (exposed_at IS NULL is the claim).
ALTER TABLE tokens ADD COLUMN exposed_at INTEGER;
ALTER TABLE tokens ADD COLUMN exposed_url TEXT NOT NULL DEFAULT '';
ALTER TABLE tokens ADD COLUMN exposed_source TEXT NOT NULL DEFAULT '';
-- A rotated token names its successor (an id of the same kind); its expires_at is clamped to
-- the end of the overlap, which the bearer lookup already compares on every request.
ALTER TABLE tokens ADD COLUMN replaced_by INTEGER;
-- Expiry reminders are claimed by setting these in the transaction that queues the email, so
-- each is sent once however many instances run and however often they restart.
ALTER TABLE tokens ADD COLUMN reminded_7d_at INTEGER;
ALTER TABLE tokens ADD COLUMN reminded_1d_at INTEGER;

-- The reminder job's scan: live tokens with an expiry, in expiry order.
CREATE INDEX tokens_expiring ON tokens (expires_at) WHERE revoked_at IS NULL AND expires_at IS NOT NULL;

-- An organization's token policies; an organization without a row has the defaults (revoke
-- exposed tokens, no lifetime limits). Lifetimes are in days, 0 for none.
CREATE TABLE org_token_policies (
    org_id                  INTEGER PRIMARY KEY REFERENCES orgs (id) ON DELETE CASCADE,
    revoke_exposed          INTEGER NOT NULL DEFAULT 1,
    max_token_days          INTEGER NOT NULL DEFAULT 0,
    max_user_token_days     INTEGER NOT NULL DEFAULT 0,
    updated_at              INTEGER NOT NULL
);
