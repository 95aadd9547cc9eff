package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/store"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

// testStore is a fresh database with the demo organizations, and a second handle on it for
// raw inspection.
type testStore struct {
	*store.DB
	fx *storetest.Fixtures
}

func mustOpen(t testing.TB) *testStore {
	t.Helper()
	path := filepath.Join(t.TempDir(), "tokenboard.db")
	db, err := storetest.OpenDemo(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	fx, err := storetest.New(db, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fx.Close(); db.Close() })
	db.BaseURL = "http://tokenboard.test/"
	return &testStore{DB: db, fx: fx}
}

// as returns a context whose actor is the demo user with that email.
func (s *testStore) as(t *testing.T, email string) context.Context {
	t.Helper()
	u, err := s.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return core.WithActor(context.Background(), core.Actor{User: u, IP: "203.0.113.7"})
}

func (s *testStore) mustCreate(t *testing.T, ctx context.Context, n core.NewUserToken) (*core.UserToken, string) {
	t.Helper()
	tok, plain, err := s.CreateUserToken(ctx, n)
	if err != nil {
		t.Fatalf("CreateUserToken: %v", err)
	}
	return tok, plain
}

// authenticate does what the API does with a bearer token: parse, then look up by hash.
func (s *testStore) authenticate(t *testing.T, plain string) (*core.Principal, error) {
	t.Helper()
	parsed, err := core.ParseToken(plain)
	if err != nil {
		t.Fatalf("ParseToken(%q): %v", plain, err)
	}
	return s.AuthenticateToken(context.Background(), parsed)
}

// rawDump returns every value of every row of the tables, as text, read through a second
// connection: what an attacker with a copy of the database would see.
func (s *testStore) rawDump(t *testing.T, tables ...string) string {
	t.Helper()
	conn := s.fx.Raw()
	var b strings.Builder
	for _, table := range tables {
		rows, err := conn.Query(`SELECT * FROM ` + table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for _, v := range vals {
				fmt.Fprintf(&b, "%s\t", v)
			}
			b.WriteString("\n")
		}
		rows.Close()
	}
	return b.String()
}

func (s *testStore) dueMail(t *testing.T) []core.OutboxMessage {
	t.Helper()
	msgs, err := s.DueMessages(context.Background(), time.Now().Add(time.Hour), 100)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

func mustScopes(t *testing.T, names ...string) core.ScopeSet {
	t.Helper()
	set, err := core.ParseScopeSet(names)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

var userTokenFormat = regexp.MustCompile(`^sntryu_[0-9a-f]{64}$`)

func TestCreateUserToken(t *testing.T) {
	t.Parallel()
	t.Run("StoresOnlyTheHashAndTheLastFour", func(t *testing.T) {
		s := mustOpen(t)
		ctx := s.as(t, "member@acme.test")
		tok, plain := s.mustCreate(t, ctx, core.NewUserToken{Name: "laptop", Scopes: mustScopes(t, "project:write", "project:releases")})
		if !userTokenFormat.MatchString(plain) {
			t.Fatalf("token %q is not sntryu_ + 64 lowercase hex", plain)
		}
		if tok.LastChars != plain[len(plain)-4:] {
			t.Errorf("last chars %q, token ends %q", tok.LastChars, plain[len(plain)-4:])
		}
		if got := strings.Join(tok.Scopes.Names(), " "); got != "project:read project:releases project:write" {
			t.Errorf("scopes %q, want expanded and sorted", got)
		}
		dump := s.rawDump(t, "tokens", "outbox", "account_log", "audit_log")
		if strings.Contains(dump, plain) || strings.Contains(dump, plain[len("sntryu_"):]) {
			t.Fatal("the database holds the token's plaintext")
		}
		if !strings.Contains(dump, core.HashToken(plain)) {
			t.Error("the database lacks the token's hash")
		}
		if !strings.Contains(dump, "project:read project:releases project:write") {
			t.Error("the scopes column is not stored expanded and sorted")
		}
	})

	t.Run("AuthenticatesAsItsUserWithItsScopes", func(t *testing.T) {
		s := mustOpen(t)
		ctx := s.as(t, "member@acme.test")
		tok, plain := s.mustCreate(t, ctx, core.NewUserToken{Scopes: mustScopes(t, "org:read")})
		p, err := s.authenticate(t, plain)
		if err != nil {
			t.Fatal(err)
		}
		if p.Kind != core.TokenUser || p.TokenID != tok.ID || p.User == nil || p.User.Email != "member@acme.test" {
			t.Errorf("principal = %+v", p)
		}
		if p.Scopes != tok.Scopes {
			t.Errorf("principal scopes %v, want %v", p.Scopes.Names(), tok.Scopes.Names())
		}
	})

	t.Run("QueuesOneSecurityEmailToTheUserWithoutTheToken", func(t *testing.T) {
		s := mustOpen(t)
		before := len(s.dueMail(t))
		ctx := s.as(t, "member@acme.test")
		_, plain := s.mustCreate(t, ctx, core.NewUserToken{Name: "laptop", Scopes: mustScopes(t, "org:read")})
		msgs := s.dueMail(t)[before:]
		if len(msgs) != 1 {
			t.Fatalf("%d messages queued, want 1", len(msgs))
		}
		m := msgs[0]
		if m.To != "member@acme.test" || m.Template != core.MailUserTokenCreated {
			t.Errorf("queued %s to %s", m.Template, m.To)
		}
		var d core.UserTokenCreatedMail
		if err := json.Unmarshal(m.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.AccountEmail != "member@acme.test" || d.IP != "203.0.113.7" || d.Time.IsZero() ||
			d.ReviewURL != "http://tokenboard.test/settings/account/api/auth-tokens/" ||
			d.TokenName != "laptop (************"+plain[len(plain)-4:]+")" {
			t.Errorf("mail data = %+v", d)
		}
		if strings.Contains(string(m.Data), plain) {
			t.Error("the queued email holds the token")
		}
	})

	t.Run("InvalidInputCreatesNothing", func(t *testing.T) {
		s := mustOpen(t)
		before := len(s.dueMail(t))
		ctx := s.as(t, "member@acme.test")
		past := time.Now().Add(-time.Minute)
		cases := map[string]core.NewUserToken{
			"scopes":     {Name: "nothing"},
			"name":       {Name: strings.Repeat("x", 256), Scopes: mustScopes(t, "org:read")},
			"expiration": {Scopes: mustScopes(t, "org:read"), ExpiresAt: &past},
		}
		for field, n := range cases {
			_, _, err := s.CreateUserToken(ctx, n)
			if core.ErrorFields(err)[field] == "" {
				t.Errorf("%s: err = %v, want a message on %s", field, err, field)
			}
		}
		if toks, _ := s.UserTokens(ctx); len(toks) != 0 {
			t.Errorf("%d tokens exist", len(toks))
		}
		if n := len(s.dueMail(t)); n != before {
			t.Errorf("%d messages queued", n-before)
		}
	})

	t.Run("NeedsASignedInUser", func(t *testing.T) {
		s := mustOpen(t)
		op := core.WithActor(context.Background(), core.Actor{Operator: true})
		if _, _, err := s.CreateUserToken(op, core.NewUserToken{Scopes: mustScopes(t, "org:read")}); core.ErrorCode(err) != core.EUNAUTHORIZED {
			t.Errorf("err = %v, want unauthorized", err)
		}
	})
}

func TestUserTokensBelongToTheirUserOnly(t *testing.T) {
	t.Parallel()
	s := mustOpen(t)
	owner, member := s.as(t, "owner@acme.test"), s.as(t, "member@acme.test")
	tok, plain := s.mustCreate(t, member, core.NewUserToken{Name: "mine", Scopes: mustScopes(t, "org:read")})

	if toks, err := s.UserTokens(owner); err != nil || len(toks) != 0 {
		t.Errorf("the owner lists %d tokens (err %v), want none", len(toks), err)
	}
	cases := map[string]error{}
	_, cases["UserToken"] = s.UserToken(owner, tok.ID)
	_, cases["RenameUserToken"] = s.RenameUserToken(owner, tok.ID, "stolen")
	cases["RevokeUserToken"] = s.RevokeUserToken(owner, tok.ID)
	for call, err := range cases {
		if core.ErrorCode(err) != core.ENOTFOUND || core.ErrorMessage(err) != "Invalid token ID" {
			t.Errorf("%s on another user's token: %v, want not found", call, err)
		}
	}
	got, err := s.UserToken(member, tok.ID)
	if err != nil || got.Name != "mine" {
		t.Fatalf("the owner's calls changed the token: %+v, %v", got, err)
	}
	if _, err := s.authenticate(t, plain); err != nil {
		t.Errorf("the token stopped working: %v", err)
	}
}

func TestRenameUserToken(t *testing.T) {
	t.Parallel()
	s := mustOpen(t)
	ctx := s.as(t, "member@acme.test")
	tok, _ := s.mustCreate(t, ctx, core.NewUserToken{Name: "old", Scopes: mustScopes(t, "org:read")})
	mails := len(s.dueMail(t))

	t.Run("ChangesOnlyTheName", func(t *testing.T) {
		got, err := s.RenameUserToken(ctx, tok.ID, "  new  ")
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "new" || got.Scopes != tok.Scopes || got.LastChars != tok.LastChars || !got.CreatedAt.Equal(tok.CreatedAt) {
			t.Errorf("renamed = %+v, was %+v", got, tok)
		}
	})
	t.Run("MayClearTheName", func(t *testing.T) {
		got, err := s.RenameUserToken(ctx, tok.ID, "")
		if err != nil || got.Name != "" {
			t.Errorf("renamed = %+v, %v", got, err)
		}
	})
	t.Run("RefusesALongName", func(t *testing.T) {
		_, err := s.RenameUserToken(ctx, tok.ID, strings.Repeat("x", 256))
		if core.ErrorFields(err)["name"] != "The name cannot be longer than 255 characters." {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("SendsNoEmail", func(t *testing.T) {
		if n := len(s.dueMail(t)); n != mails {
			t.Errorf("%d messages queued by renames", n-mails)
		}
	})
}

func TestRevokeUserToken(t *testing.T) {
	t.Parallel()
	s := mustOpen(t)
	ctx := s.as(t, "member@acme.test")
	tok, plain := s.mustCreate(t, ctx, core.NewUserToken{Scopes: mustScopes(t, "org:read")})
	mails := len(s.dueMail(t))
	if err := s.RevokeUserToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	t.Run("TheNextRequestFails", func(t *testing.T) {
		_, err := s.authenticate(t, plain)
		if core.ErrorCode(err) != core.EUNAUTHORIZED || core.ErrorMessage(err) != "Invalid token" {
			t.Errorf("err = %v, want 401 Invalid token", err)
		}
	})
	t.Run("TheTokenIsGone", func(t *testing.T) {
		if _, err := s.UserToken(ctx, tok.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("err = %v, want not found", err)
		}
		if err := s.RevokeUserToken(ctx, tok.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("revoking again: %v, want not found", err)
		}
	})
	t.Run("SendsNoEmail", func(t *testing.T) {
		if n := len(s.dueMail(t)); n != mails {
			t.Errorf("%d messages queued by the revoke", n-mails)
		}
	})
}

func TestUserTokenExpiry(t *testing.T) {
	t.Parallel()
	s := mustOpen(t)
	ctx := s.as(t, "member@acme.test")
	start := time.Now().UTC()
	in := start.Add(time.Hour)
	_, plain := s.mustCreate(t, ctx, core.NewUserToken{Scopes: mustScopes(t, "org:read"), ExpiresAt: &in})

	if _, err := s.authenticate(t, plain); err != nil {
		t.Fatalf("before its expiry: %v", err)
	}
	// Nothing else uses this database, so moving its clock races with nothing.
	for _, at := range []time.Time{in, in.Add(time.Second), in.Add(24 * time.Hour)} {
		s.Now = func() time.Time { return at }
		_, err := s.authenticate(t, plain)
		if core.ErrorCode(err) != core.EUNAUTHORIZED || core.ErrorMessage(err) != "Token expired" {
			t.Errorf("at %v (expiry %v): err = %v, want 401 Token expired", at, in, err)
		}
	}
	toks, err := s.UserTokens(ctx)
	if err != nil || len(toks) != 1 || !core.Expired(toks[0].ExpiresAt, s.Now()) {
		t.Errorf("the list lost the expired token or its expiry: %+v, %v", toks, err)
	}
}

// effectiveIn is the organization check the API makes for a user token on each request: the
// user's current role, read by MemberRole, and core.EffectiveScopes, which intersects it with
// the token's scopes.
func (s *testStore) effectiveIn(t *testing.T, p *core.Principal, orgID int64) core.ScopeSet {
	t.Helper()
	role, _, err := s.MemberRole(context.Background(), orgID, p.User.ID)
	if err != nil {
		t.Fatal(err)
	}
	return core.EffectiveScopes(core.Actor{User: p.User, Token: p}, orgID, role)
}

func TestUserTokenActsWithinItsUsersCurrentRole(t *testing.T) {
	t.Parallel()
	s := mustOpen(t)
	owner := s.as(t, "owner@acme.test")
	acme, err := s.OrgBySlug(owner, "acme")
	if err != nil {
		t.Fatal(err)
	}
	globex, err := s.OrgBySlug(owner, "globex")
	if err != nil {
		t.Fatal(err)
	}
	admin := s.as(t, "admin@acme.test")
	adminUser := core.ActorFrom(admin).User
	// Created with more than an admin holds: org:admin.
	_, plain := s.mustCreate(t, admin, core.NewUserToken{Scopes: mustScopes(t, "org:admin", "project:admin")})
	p, err := s.authenticate(t, plain)
	if err != nil {
		t.Fatal(err)
	}
	check := func(step string, orgID int64, want string) {
		t.Helper()
		if got := strings.Join(s.effectiveIn(t, p, orgID).Names(), " "); got != want {
			t.Errorf("%s: acts with %q, want %q", step, got, want)
		}
	}
	check("as admin", acme.ID, "org:integrations org:read project:admin project:read project:write")
	check("in an organization it is not a member of", globex.ID, "")

	if err := s.ChangeRole(owner, acme.ID, adminUser.ID, core.RoleMember); err != nil {
		t.Fatal(err)
	}
	check("demoted to member", acme.ID, "org:read project:read")

	if err := s.RemoveMember(owner, acme.ID, adminUser.ID); err != nil {
		t.Fatal(err)
	}
	check("removed from the organization", acme.ID, "")
}

func TestUserTokenEventsGoToTheUsersSecurityLog(t *testing.T) {
	t.Parallel()
	s := mustOpen(t)
	ctx := s.as(t, "member@acme.test")
	tok, plain := s.mustCreate(t, ctx, core.NewUserToken{Name: "ci", Scopes: mustScopes(t, "org:read")})
	if _, err := s.RenameUserToken(ctx, tok.ID, "deploy"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeUserToken(ctx, tok.ID); err != nil {
		t.Fatal(err)
	}
	log, err := s.AccountLog(ctx, core.Page{})
	if err != nil {
		t.Fatal(err)
	}
	masked := "************" + plain[len(plain)-4:]
	want := []core.AccountLogEntry{
		{Event: core.AccountUserTokenRevoked, Target: "deploy (" + masked + ")"},
		{Event: core.AccountUserTokenRenamed, Target: "ci (" + masked + ") → deploy"},
		{Event: core.AccountUserTokenCreated, Target: "ci (" + masked + ")"},
	}
	if len(log) != len(want) {
		t.Fatalf("log = %+v, want %d entries", log, len(want))
	}
	for i, w := range want {
		if log[i].Event != w.Event || log[i].Target != w.Target || log[i].IP != "203.0.113.7" || log[i].CreatedAt.IsZero() {
			t.Errorf("entry %d = %+v, want %s %q from 203.0.113.7", i, log[i], w.Event, w.Target)
		}
	}
	if other, _ := s.AccountLog(s.as(t, "owner@acme.test"), core.Page{}); len(other) != 0 {
		t.Errorf("another user's log shows %d entries", len(other))
	}
}
