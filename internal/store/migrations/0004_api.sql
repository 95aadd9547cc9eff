-- The API lists an organization's releases newest first, a page at a time.
CREATE INDEX releases_org_created ON releases (org_id, created_at DESC, id DESC);
