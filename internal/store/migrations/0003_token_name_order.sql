-- The Auth Tokens list orders names case-insensitively ("alpha" before "Zeta"), as people read
-- them; the index follows the query's ORDER BY term for term so a page stays an index walk.
DROP INDEX org_tokens_list;
CREATE INDEX org_tokens_list ON org_tokens (org_id, coalesce(last_used_at, -1) DESC, name COLLATE NOCASE, id DESC)
    WHERE deactivated_at IS NULL;
