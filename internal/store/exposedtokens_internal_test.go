package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestRevokedExposedQueriesUseTheirIndexes: the "Revoked after exposure" sections run on every
// view of the token lists, so their queries must search the partial indexes of migration 0013
// in order, never scan the tokens table nor sort.
func TestRevokedExposedQueriesUseTheirIndexes(t *testing.T) {
	skipOnPostgres(t, "reads SQLite's query plan")
	t.Parallel()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []struct {
		name, query, index string
		args               []any
	}{
		{"org", revokedExposedOrgQuery, "tokens_revoked_exposed_org (org_id=? AND revoked_at>?)", []any{1, 0}},
		{"user", revokedExposedUserQuery, "tokens_revoked_exposed_user (user_id=? AND revoked_at>?)", []any{1, 0}},
		{"integration", revokedExposedIntegrationQuery, "tokens_revoked_exposed_org (org_id=? AND revoked_at>?)", []any{1, 1, 0}},
	} {
		rows, err := db.db.Query(`EXPLAIN QUERY PLAN `+q.query, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		rows.Close()
		text := strings.Join(plan, "\n")
		if !strings.Contains(text, "SEARCH t USING INDEX "+q.index) {
			t.Errorf("%s: the query does not search %s:\n%s", q.name, q.index, text)
		}
		if strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("%s: the query sorts instead of walking the index in order:\n%s", q.name, text)
		}
	}
}
