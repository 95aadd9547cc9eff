package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestOrgTokenListWalksTheListIndex checks that a page of the list is an ordered walk of the
// partial index org_tokens_list, with no sort: what keeps a page as cheap at 10,000 tokens as
// at 100. (External tests cannot see the query; this one cannot use apptest, which imports
// this package.)
func TestOrgTokenListWalksTheListIndex(t *testing.T) {
	skipOnPostgres(t, "reads SQLite's query plan")
	t.Parallel()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "plan.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.db.Query(`EXPLAIN QUERY PLAN `+orgTokenListQuery, 1, 51, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	text := strings.Join(plan, "\n")
	if !strings.Contains(text, "SEARCH t USING INDEX org_tokens_list (org_id=?)") {
		t.Errorf("the list query does not search org_tokens_list by org:\n%s", text)
	}
	if strings.Contains(text, "TEMP B-TREE") {
		t.Errorf("the list query sorts instead of walking the index in order:\n%s", text)
	}
}
