-- Issue 13, second wave. A release's status: sentry-cli's "releases archive" and "restore"
-- set it to 'archived' or back to 'open'. And what an org token last did in its last-used
-- project (core.TokenAction: 'sourcemaps', 'deploy', …), for "Last access" on the Auth
-- Tokens list; '' when unknown (uses recorded before this migration, or by other kinds).
ALTER TABLE releases ADD COLUMN status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'archived'));
ALTER TABLE tokens ADD COLUMN last_used_action TEXT NOT NULL DEFAULT '';
