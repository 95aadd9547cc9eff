package storetest

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
	"golang.org/x/crypto/bcrypt"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/demo"
	"github.com/tokenboard/tokenboard/internal/pgtest"
	"github.com/tokenboard/tokenboard/internal/store"
)

// PostgresEnv names a PostgreSQL server the tests may create databases on (pgtest.ServerEnv:
// scripts/test.sh starts one and sets it for the whole suite).
const PostgresEnv = pgtest.ServerEnv

// BackendEnv set to "postgres" runs the store of every test on PostgresEnv's server instead of
// SQLite files: scripts/test.sh runs the store's tests, and a smaller set of web tests, a
// second time that way.
const BackendEnv = "TOKENBOARD_TEST_BACKEND"

// OnPostgres reports whether this test run stores its data on PostgreSQL.
func OnPostgres() bool { return os.Getenv(BackendEnv) == "postgres" && os.Getenv(PostgresEnv) != "" }

// SkipOnPostgres skips a test of SQLite itself (its files, its locking) when the run is on
// PostgreSQL, saying why.
func SkipOnPostgres(t interface{ Skip(...any) }, why string) {
	if OnPostgres() {
		t.Skip("SQLite only: " + why)
	}
}

// postgresURLs maps each store OpenDemo opened on PostgreSQL to its database's URL, for New.
var postgresURLs sync.Map

// databaseSeq numbers the databases of this test binary.
var databaseSeq atomic.Int64

// pgDemoTemplate is the name of the demo database built once per test binary, which every
// test's database is cloned from (CREATE DATABASE … TEMPLATE, a file copy on the server).
var pgDemoTemplate = sync.OnceValues(buildPostgresDemoTemplate)

// cloning runs the clones one at a time: PostgreSQL refuses to copy a template while another
// session is connected to it, and one clone at a time never races the template's own setup
// connections closing; the copies are the server's disk work anyway.
var cloning sync.Mutex

func buildPostgresDemoTemplate() (string, error) {
	name := fmt.Sprintf("tb_demo_%d", os.Getpid())
	if err := adminExec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s`, name), fmt.Sprintf(`CREATE DATABASE %s`, name)); err != nil {
		return "", err
	}
	ctx := context.Background()
	db, err := store.OpenPostgres(ctx, databaseURL(name))
	if err != nil {
		return "", err
	}
	db.PasswordCost = bcrypt.MinCost
	err = demo.Seed(core.WithActor(ctx, core.Actor{Operator: true, IP: "console"}), db, demo.Password, io.Discard)
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("seed demo: %w", err)
	}
	return name, nil
}

// openPostgresDemo opens a fresh PostgreSQL database holding the demo organizations.
func openPostgresDemo(ctx context.Context) (*store.DB, error) {
	tmpl, err := pgDemoTemplate()
	if err != nil {
		return nil, err
	}
	name := fmt.Sprintf("tb_%d_%d", os.Getpid(), databaseSeq.Add(1))
	cloning.Lock()
	err = adminExec(fmt.Sprintf(`DROP DATABASE IF EXISTS %s`, name), fmt.Sprintf(`CREATE DATABASE %s TEMPLATE %s`, name, tmpl))
	cloning.Unlock()
	if err != nil {
		return nil, err
	}
	u := databaseURL(name)
	db, err := store.OpenPostgres(ctx, u)
	if err != nil {
		return nil, err
	}
	db.PasswordCost = bcrypt.MinCost
	postgresURLs.Store(db, u)
	return db, nil
}

// databaseURL is the server's URL with the database name replaced.
func databaseURL(name string) string {
	u, err := url.Parse(os.Getenv(PostgresEnv))
	if err != nil {
		panic(fmt.Sprintf("%s: %v", PostgresEnv, err))
	}
	u.Path = "/" + name
	return u.String()
}

// adminExec runs statements on the server's own database (CREATE DATABASE cannot run in a
// transaction, so each runs alone).
func adminExec(statements ...string) error {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, os.Getenv(PostgresEnv))
	if err != nil {
		return fmt.Errorf("%s: %w", PostgresEnv, err)
	}
	defer conn.Close(ctx)
	for _, s := range statements {
		if _, err := conn.Exec(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}

// findInPostgres is FindInDatabase on PostgreSQL: every text and bytea column of every table.
// PostgreSQL's files are the server's; only what SQL reads is searched.
func (f *Fixtures) findInPostgres(ctx context.Context, s string) ([]string, error) {
	rows, err := f.raw.QueryContext(ctx, `SELECT table_name, column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND data_type IN ('text', 'bytea') ORDER BY table_name, ordinal_position`)
	if err != nil {
		return nil, err
	}
	type column struct{ table, name, kind string }
	var cols []column
	for rows.Next() {
		var c column
		if err := rows.Scan(&c.table, &c.name, &c.kind); err != nil {
			rows.Close()
			return nil, err
		}
		cols = append(cols, c)
	}
	rows.Close()
	var found []string
	for _, c := range cols {
		quote := func(id string) string { return `"` + strings.ReplaceAll(id, `"`, `""`) + `"` }
		cond := fmt.Sprintf(`strpos(%s, ?) > 0`, quote(c.name))
		if c.kind == "bytea" {
			cond = fmt.Sprintf(`position(convert_to(?, 'UTF8') IN %s) > 0`, quote(c.name))
		}
		var n int
		if err := f.raw.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(c.table)+` WHERE `+cond, s).Scan(&n); err != nil {
			return nil, fmt.Errorf("scanning %s.%s: %w", c.table, c.name, err)
		}
		if n > 0 {
			found = append(found, c.table+"."+c.name)
		}
	}
	return found, rows.Err()
}
