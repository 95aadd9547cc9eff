-- A user's color theme (Account > Details), kept apart from users so that the user queries,
-- which every request runs, are unchanged. No row means "system": follow the browser.
CREATE TABLE user_preferences (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    theme   TEXT NOT NULL DEFAULT 'system' CHECK (theme IN ('light', 'dark', 'system'))
);
