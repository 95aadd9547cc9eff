// Command mint-tokens mints the tokens scripts/loadtest.sh uses, straight into a tokenboard
// database (the test fixtures' path: rows written directly, no audit entry, no mail). It
// prints shell assignments: ORG_TOKEN (an org token of acme), USER_TOKEN (a user token of
// owner@acme.test with org:read and project:releases) and UNKNOWN_TOKEN (a well-formed user
// token that is in no database).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

func main() {
	data := flag.String("data", "./data", "folder holding tokenboard.db (with the demo data)")
	baseURL := flag.String("base-url", "http://127.0.0.1:9000", "server URL written into the org token")
	flag.Parse()
	if err := run(*data, *baseURL); err != nil {
		fmt.Fprintln(os.Stderr, "mint-tokens:", err)
		os.Exit(1)
	}
}

func run(data, baseURL string) error {
	ctx := context.Background()
	db, err := apptest.OpenFixtureDB(filepath.Join(data, "tokenboard.db"))
	if err != nil {
		return err
	}
	defer db.Close()
	org, err := apptest.InsertOrgToken(ctx, db, baseURL, "acme", "load test", nil)
	if err != nil {
		return err
	}
	user, err := apptest.InsertUserToken(ctx, db, "owner@acme.test",
		core.NewScopeSet(core.ScopeOrgRead, core.ScopeProjectReleases), nil)
	if err != nil {
		return err
	}
	unknown, err := core.GenerateUserToken()
	if err != nil {
		return err
	}
	fmt.Printf("ORG_TOKEN=%s\nUSER_TOKEN=%s\nUNKNOWN_TOKEN=%s\n", org, user, unknown)
	return nil
}
