-- The create forms already submitted (core.SubmissionLedger): the SHA-256 of each form's
-- one-time key, so a reloaded or resubmitted create form never mints a second token. Rows
-- older than a day are pruned as new ones arrive: a form is not resubmitted after that long
-- with the same key (the page holding it is served no-store).
CREATE TABLE submissions (
    key_hash   BLOB    PRIMARY KEY,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX submissions_created ON submissions (created_at);
