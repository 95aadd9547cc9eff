-- What CI jobs upload and report (issue 13, docs/CI-PROTOCOL.md). The uploaded bytes live in
-- the blob store, content-addressed by SHA-1; these tables say who holds what.

-- Chunks an organization uploaded. A blob is kept while any organization holds it; each
-- organization's holdings count against its own quota. created_at is refreshed on every
-- upload, so a chunk being reused is not pruned as abandoned.
CREATE TABLE chunks (
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    sha1       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (org_id, sha1)
) WITHOUT ROWID;
CREATE INDEX chunks_sha1 ON chunks (sha1);
CREATE INDEX chunks_created ON chunks (created_at);

CREATE TABLE artifact_bundles (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    checksum   TEXT    NOT NULL,
    bundle_id  TEXT    NOT NULL DEFAULT '',
    release    TEXT    NOT NULL DEFAULT '',
    dist       TEXT    NOT NULL DEFAULT '',
    size       INTEGER NOT NULL,
    file_count INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, checksum)
);
CREATE INDEX artifact_bundles_release ON artifact_bundles (org_id, release, created_at DESC);
CREATE INDEX artifact_bundles_bundle_id ON artifact_bundles (org_id, bundle_id);

-- A bundle is read in place from its chunks, in order.
CREATE TABLE artifact_bundle_chunks (
    bundle_id INTEGER NOT NULL REFERENCES artifact_bundles (id) ON DELETE CASCADE,
    idx       INTEGER NOT NULL,
    sha1      TEXT    NOT NULL,
    PRIMARY KEY (bundle_id, idx)
) WITHOUT ROWID;
CREATE INDEX artifact_bundle_chunks_sha1 ON artifact_bundle_chunks (sha1);

CREATE TABLE artifact_bundle_projects (
    bundle_id  INTEGER NOT NULL REFERENCES artifact_bundles (id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    PRIMARY KEY (bundle_id, project_id)
) WITHOUT ROWID;
CREATE INDEX artifact_bundle_projects_project ON artifact_bundle_projects (project_id);

CREATE TABLE artifact_bundle_files (
    bundle_id INTEGER NOT NULL REFERENCES artifact_bundles (id) ON DELETE CASCADE,
    path      TEXT    NOT NULL,
    url       TEXT    NOT NULL DEFAULT '',
    type      TEXT    NOT NULL DEFAULT '',
    size      INTEGER NOT NULL,
    debug_id  TEXT    NOT NULL DEFAULT '',
    sourcemap TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (bundle_id, path)
) WITHOUT ROWID;
-- Symbolication looks files up by debug id.
CREATE INDEX artifact_bundle_files_debug_id ON artifact_bundle_files (debug_id) WHERE debug_id <> '';

CREATE TABLE debug_files (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    project_id INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    checksum   TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    debug_id   TEXT    NOT NULL DEFAULT '',
    kind       TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (project_id, checksum)
);
CREATE INDEX debug_files_debug_id ON debug_files (org_id, debug_id) WHERE debug_id <> '';

CREATE TABLE debug_file_chunks (
    debug_file_id INTEGER NOT NULL REFERENCES debug_files (id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    sha1          TEXT    NOT NULL,
    PRIMARY KEY (debug_file_id, idx)
) WITHOUT ROWID;
CREATE INDEX debug_file_chunks_sha1 ON debug_file_chunks (sha1);

CREATE TABLE deploys (
    id          INTEGER PRIMARY KEY,
    release_id  INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    environment TEXT    NOT NULL,
    name        TEXT    NOT NULL DEFAULT '',
    url         TEXT    NOT NULL DEFAULT '',
    started_at  INTEGER,
    finished_at INTEGER NOT NULL
);
CREATE INDEX deploys_release ON deploys (release_id, finished_at DESC, id DESC);

CREATE TABLE repositories (
    id         INTEGER PRIMARY KEY,
    org_id     INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    url        TEXT    NOT NULL DEFAULT '',
    provider   TEXT    NOT NULL DEFAULT '',
    status     TEXT    NOT NULL DEFAULT 'active',
    created_at INTEGER NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE commit_authors (
    id     INTEGER PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    name   TEXT    NOT NULL DEFAULT '',
    email  TEXT    NOT NULL,
    UNIQUE (org_id, email)
);

CREATE TABLE commits (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES orgs (id) ON DELETE CASCADE,
    repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    key           TEXT    NOT NULL,
    message       TEXT    NOT NULL DEFAULT '',
    author_id     INTEGER REFERENCES commit_authors (id) ON DELETE SET NULL,
    committed_at  INTEGER,
    created_at    INTEGER NOT NULL,
    UNIQUE (repository_id, key)
);

-- A release's commits; position 0 is the newest (the order sentry-cli sends them in).
CREATE TABLE release_commits (
    release_id INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    commit_id  INTEGER NOT NULL REFERENCES commits (id) ON DELETE CASCADE,
    position   INTEGER NOT NULL,
    PRIMARY KEY (release_id, commit_id)
) WITHOUT ROWID;
CREATE INDEX release_commits_commit ON release_commits (commit_id);
-- A release's commits in order, and its newest one, without sorting.
CREATE INDEX release_commits_position ON release_commits (release_id, position);

-- The head commit of each repository for a release (the "refs" of a release update).
CREATE TABLE release_heads (
    release_id      INTEGER NOT NULL REFERENCES releases (id) ON DELETE CASCADE,
    repository_id   INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
    commit_key      TEXT    NOT NULL,
    previous_commit TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (release_id, repository_id)
) WITHOUT ROWID;
