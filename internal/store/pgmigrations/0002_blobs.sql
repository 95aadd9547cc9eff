-- Uploaded bytes (source map and debug file chunks), by content address, in the database every
-- instance shares: a chunk uploaded through one instance is read by another when it assembles
-- (docs/CI-PROTOCOL.md, "Where the bytes live"). On SQLite they are files in the data folder.
CREATE TABLE blobs (
    sha1   TEXT PRIMARY KEY,
    data   BYTEA NOT NULL,
    size   BIGINT NOT NULL,
    -- When a Put last stored or re-sent these bytes: housekeeping deletes only blobs idle
    -- since it found them unheld (blob.Store.DeleteIfIdleSince).
    put_at TIMESTAMPTZ NOT NULL
);
-- Out of line and uncompressed: reading a range of a chunk (substring) fetches only the pages
-- that hold it, and chunks are mostly compressed already (zip, gzip).
ALTER TABLE blobs ALTER COLUMN data SET STORAGE EXTERNAL;
