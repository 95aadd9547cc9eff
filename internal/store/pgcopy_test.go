package store_test

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/blob/blobtest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/demo"
	"github.com/tokenboard/tokenboard/internal/pgtest"
	"github.com/tokenboard/tokenboard/internal/store"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

// mintedToken is a token minted on the SQLite installation before the move.
type mintedToken struct {
	plaintext string
	revoked   bool
}

// Moving an installation: the demo data plus 10,000 tokens minted through the services on a
// real SQLite file, copied into a real PostgreSQL database. Every live token authenticates
// on PostgreSQL, every revoked one stays refused, passwords, sessions and an inactive account
// are as they were, uploads read back, and the new database numbers new rows after the old.
func TestCopySQLiteToPostgres(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// The source is a SQLite file whatever backend the rest of the run tests.
	if err := storetest.CopyDemo(filepath.Join(dir, "tokenboard.db")); err != nil {
		t.Fatal(err)
	}
	src, err := store.Open(ctx, filepath.Join(dir, "tokenboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.PasswordCost = 4
	src.BaseURL = "http://tokenboard.test"
	fx, err := storetest.New(src, filepath.Join(dir, "tokenboard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	operator := core.WithActor(ctx, core.Actor{Operator: true, IP: "console"})
	acme, err := src.OrgBySlug(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	owner, err := src.UserByEmail(ctx, "owner@acme.test")
	if err != nil {
		t.Fatal(err)
	}
	asOwner := core.WithActor(ctx, core.Actor{User: owner, IP: "192.0.2.1"})

	const perKind = 5000
	var minted []mintedToken
	for i := range perKind {
		tok, plain, err := src.CreateOrgToken(operator, acme.ID, core.NewOrgToken{Name: "ci " + itoa(int64(i))})
		if err != nil {
			t.Fatal(err)
		}
		m := mintedToken{plaintext: plain}
		if i%97 == 0 {
			if err := src.RevokeOrgToken(operator, acme.ID, tok.ID); err != nil {
				t.Fatal(err)
			}
			m.revoked = true
		}
		minted = append(minted, m)
	}
	for i := range perKind {
		tok, plain, err := src.CreateUserToken(asOwner, core.NewUserToken{Name: "laptop " + itoa(int64(i)),
			Scopes: core.NewScopeSet(core.ScopeOrgRead)})
		if err != nil {
			t.Fatal(err)
		}
		m := mintedToken{plaintext: plain}
		if i%89 == 0 {
			if err := src.RevokeUserToken(asOwner, tok.ID); err != nil {
				t.Fatal(err)
			}
			m.revoked = true
		}
		minted = append(minted, m)
	}
	secret, _, err := src.StartSession(ctx, owner.ID, "192.0.2.1", "Firefox")
	if err != nil {
		t.Fatal(err)
	}
	if err := fx.DeactivateUser(ctx, "member@acme.test"); err != nil {
		t.Fatal(err)
	}
	files, err := blob.NewFS(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	uploads := [][]byte{[]byte("//# sourceMappingURL=app.js.map"), bytes.Repeat([]byte("chunk"), 300000)}
	for _, u := range uploads {
		if _, err := files.Put(ctx, blobtest.Sum(u), bytes.NewReader(u), 0); err != nil {
			t.Fatal(err)
		}
	}

	dst, err := store.OpenPostgres(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()
	report, err := store.CopySQLiteToPostgres(ctx, src, dst, files)
	if err != nil {
		t.Fatal(err)
	}
	if report.Blobs != 2 || report.BlobBytes != int64(len(uploads[0])+len(uploads[1])) {
		t.Errorf("blobs copied: %d, %d bytes", report.Blobs, report.BlobBytes)
	}
	copied := map[string]int64{}
	for _, tr := range report.Tables {
		copied[tr.Table] = tr.Rows
	}
	if copied["tokens"] < 2*perKind || copied["users"] < 7 || copied["sessions"] < 1 || copied["outbox"] < 2*perKind {
		t.Errorf("rows copied: %v", copied)
	}
	// Parents go first: no table before a table it references.
	order := map[string]int{}
	for i, tr := range report.Tables {
		order[tr.Table] = i
	}
	for _, pair := range [][2]string{{"users", "tokens"}, {"orgs", "memberships"}, {"projects", "tokens"}, {"releases", "release_projects"}} {
		if order[pair[0]] > order[pair[1]] {
			t.Errorf("%s copied after %s", pair[0], pair[1])
		}
	}

	live, refused := 0, 0
	for _, m := range minted {
		parsed, err := core.ParseToken(m.plaintext)
		if err != nil {
			t.Fatal(err)
		}
		_, err = dst.AuthenticateToken(ctx, parsed)
		switch {
		case m.revoked && err == nil:
			t.Fatalf("revoked token authenticates after the move")
		case m.revoked:
			refused++
		case err != nil:
			t.Fatalf("token minted before the move: %v", err)
		default:
			live++
		}
	}
	t.Logf("after the move: %d tokens authenticate, %d revoked ones are refused", live, refused)
	if live+refused != 2*perKind || refused == 0 {
		t.Errorf("checked %d live and %d revoked tokens", live, refused)
	}

	if _, err := dst.Authenticate(ctx, "owner@acme.test", demo.Password); err != nil {
		t.Errorf("password after the move: %v", err)
	}
	if _, err := dst.Authenticate(ctx, "owner@acme.test", "wrong password"); err == nil {
		t.Error("a wrong password signs in after the move")
	}
	if _, err := dst.Authenticate(ctx, "member@acme.test", demo.Password); err == nil {
		t.Error("an inactive account signs in after the move (boolean lost)")
	}
	if s, u, err := dst.SessionBySecret(ctx, secret); err != nil || u.ID != owner.ID || s == nil {
		t.Errorf("session after the move: %v", err)
	}
	for _, u := range uploads {
		b, err := dst.Blobs().Open(ctx, blobtest.Sum(u))
		if err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		got.ReadFrom(b)
		b.Close()
		if !bytes.Equal(got.Bytes(), u) {
			t.Errorf("upload %s reads back %d bytes of %d", blobtest.Sum(u)[:8], got.Len(), len(u))
		}
	}

	// New rows get new ids: the identity sequences start past the copied ones.
	u, err := dst.CreateUser(operator, core.NewUser{Email: "new@acme.test", Name: "New", Password: "a long enough password"})
	if err != nil {
		t.Fatalf("create a user after the move: %v", err)
	}
	if _, err := dst.CreateOrg(core.WithActor(ctx, core.Actor{User: u, IP: "console"}), "initech", "Initech"); err != nil {
		t.Fatalf("create an organization after the move: %v", err)
	}
	if _, plain, err := dst.CreateOrgToken(operator, acme.ID, core.NewOrgToken{Name: "after the move"}); err != nil {
		t.Fatalf("create a token after the move: %v", err)
	} else if parsed, _ := core.ParseToken(plain); parsed.Hash == "" {
		t.Fatal("unparseable new token")
	} else if _, err := dst.AuthenticateToken(ctx, parsed); err != nil {
		t.Errorf("new token: %v", err)
	}

	// A second import would merge two installations: refused, and nothing changes.
	if _, err := store.CopySQLiteToPostgres(ctx, src, dst, files); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("import into a non-empty database: %v", err)
	}
}

// An import never drops data silently: a SQLite table or column PostgreSQL's schema lacks
// stops it, and nothing is written; once the difference is gone, the same database imports.
func TestCopyRefusesWhatPostgresLacks(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "tokenboard.db")
	if err := storetest.CopyDemo(path); err != nil {
		t.Fatal(err)
	}
	src, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	fx, err := storetest.New(src, path)
	if err != nil {
		t.Fatal(err)
	}
	defer fx.Close()
	dst, err := store.OpenPostgres(ctx, pgtest.NewDatabase(t))
	if err != nil {
		t.Fatal(err)
	}
	defer dst.Close()

	for _, c := range []struct{ add, drop, want string }{
		{`CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)`, `DROP TABLE notes`, "table notes"},
		{`ALTER TABLE users ADD COLUMN nickname TEXT`, `ALTER TABLE users DROP COLUMN nickname`, "column nickname"},
	} {
		if _, err := fx.Raw().ExecContext(ctx, c.add); err != nil {
			t.Fatal(err)
		}
		if _, err := store.CopySQLiteToPostgres(ctx, src, dst, nil); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("import with %q: %v", c.add, err)
		}
		if empty, err := dst.IsEmpty(ctx); err != nil || !empty {
			t.Fatalf("a refused import wrote users: %v", err)
		}
		if _, err := fx.Raw().ExecContext(ctx, c.drop); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := store.CopySQLiteToPostgres(ctx, src, dst, nil); err != nil {
		t.Fatalf("import after the difference is gone: %v", err)
	}
	if _, err := dst.Authenticate(ctx, "owner@acme.test", demo.Password); err != nil {
		t.Errorf("sign-in after the import: %v", err)
	}
}
