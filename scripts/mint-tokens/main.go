// Command mint-tokens mints the tokens scripts/loadtest.sh uses into a tokenboard database,
// through the store's own token services (audit entries and security emails included, as for
// any token). It prints shell assignments: ORG_TOKEN (an org token of acme), USER_TOKEN (a
// user token of owner@acme.test with org:read and project:releases) and UNKNOWN_TOKEN (a
// well-formed user token that is in no database).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/store"
)

func main() {
	data := flag.String("data", "./data", "folder holding tokenboard.db (with the demo data)")
	baseURL := flag.String("base-url", "http://127.0.0.1:9000", "server URL written into the org token")
	databaseURL := flag.String("database-url", "", "PostgreSQL database (postgres://…) instead of the SQLite file under --data")
	flag.Parse()
	if err := run(*data, *databaseURL, *baseURL); err != nil {
		fmt.Fprintln(os.Stderr, "mint-tokens:", err)
		os.Exit(1)
	}
}

func run(data, databaseURL, baseURL string) error {
	ctx := context.Background()
	var db *store.DB
	var err error
	if databaseURL != "" {
		db, err = store.OpenPostgres(ctx, databaseURL)
	} else {
		db, err = store.Open(ctx, filepath.Join(data, "tokenboard.db"))
	}
	if err != nil {
		return err
	}
	defer db.Close()
	db.BaseURL = baseURL
	acme, err := db.OrgBySlug(ctx, "acme")
	if err != nil {
		return fmt.Errorf("organization acme: %w", err)
	}
	operator := core.WithActor(ctx, core.Actor{Operator: true, IP: "console"})
	_, org, err := db.CreateOrgToken(operator, acme.ID, core.NewOrgToken{Name: "load test"})
	if err != nil {
		return err
	}
	owner, err := db.UserByEmail(ctx, "owner@acme.test")
	if err != nil {
		return fmt.Errorf("user owner@acme.test: %w", err)
	}
	_, user, err := db.CreateUserToken(core.WithActor(ctx, core.Actor{User: owner, IP: "console"}),
		core.NewUserToken{Name: "load test", Scopes: core.NewScopeSet(core.ScopeOrgRead, core.ScopeProjectReleases)})
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
