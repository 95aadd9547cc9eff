package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

func TestOrgTokenService(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme := app.Org(t, "acme")
	member := app.As(t, "member@acme.test")
	manager := app.As(t, "manager@acme.test")
	authenticate := func(plaintext string) (*core.Principal, error) {
		t.Helper()
		parsed, err := core.ParseToken(plaintext)
		if err != nil {
			t.Fatalf("parse: %v", err)
		}
		return app.DB.AuthenticateToken(context.Background(), parsed)
	}

	t.Run("CreatedTokenAuthenticatesUntilRevoked", func(t *testing.T) {
		tok, plaintext, err := app.DB.CreateOrgToken(member, acme.ID, core.NewOrgToken{Name: "  deploy  "})
		if err != nil {
			t.Fatal(err)
		}
		if tok.Name != "deploy" || tok.LastChars != plaintext[len(plaintext)-4:] || tok.Scopes != core.OrgTokenScopes || tok.OrgID != acme.ID {
			t.Errorf("created %+v", tok)
		}
		p, err := authenticate(plaintext)
		if err != nil {
			t.Fatalf("new token: %v", err)
		}
		if p.Kind != core.TokenOrg || p.OrgID != acme.ID || p.TokenID != tok.ID || p.User != nil || !p.Scopes.Has(core.ScopeOrgCI) {
			t.Errorf("principal %+v", p)
		}
		if err := app.DB.RevokeOrgToken(manager, acme.ID, tok.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := authenticate(plaintext); core.ErrorCode(err) != core.EUNAUTHORIZED || core.ErrorMessage(err) != "Invalid org token" {
			t.Errorf("revoked token: %v, want Invalid org token", err)
		}
		if _, err := app.DB.OrgToken(member, acme.ID, tok.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("revoked token's details: %v, want not found", err)
		}
		if err := app.DB.RevokeOrgToken(manager, acme.ID, tok.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("revoking twice: %v, want not found", err)
		}
		list, err := app.DB.OrgTokens(member, acme.ID, core.Page{})
		if err != nil || len(list) != 0 {
			t.Errorf("list after revoke: %v %v", list, err)
		}
	})
	t.Run("ExpiryIsStoredAndEnforced", func(t *testing.T) {
		at := time.Now().Add(time.Hour).Truncate(time.Second).UTC()
		tok, plaintext, err := app.DB.CreateOrgToken(member, acme.ID, core.NewOrgToken{Name: "expiring", ExpiresAt: &at})
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := app.DB.OrgToken(member, acme.ID, tok.ID); got.ExpiresAt == nil || !got.ExpiresAt.Equal(at) {
			t.Errorf("stored expiry %v, want %v", got.ExpiresAt, at)
		}
		app.ExpireToken(t, plaintext)
		if _, err := authenticate(plaintext); core.ErrorMessage(err) != "Token expired" {
			t.Errorf("expired token: %v", err)
		}
		past := time.Now().Add(-time.Minute)
		if _, _, err := app.DB.CreateOrgToken(member, acme.ID, core.NewOrgToken{Name: "late", ExpiresAt: &past}); core.ErrorFields(err)["expiration"] == "" {
			t.Errorf("expiry in the past: %v, want a field error", err)
		}
	})
	t.Run("PermissionsAreCheckedInside", func(t *testing.T) {
		tok, _, err := app.DB.CreateOrgToken(member, acme.ID, core.NewOrgToken{Name: "guarded"})
		if err != nil {
			t.Fatal(err)
		}
		billing, outsider := app.As(t, "billing@acme.test"), app.As(t, "owner@globex.test")
		cases := []struct {
			name string
			err  error
			want string
		}{
			{"member revokes", app.DB.RevokeOrgToken(member, acme.ID, tok.ID), core.EFORBIDDEN},
			{"admin revokes", app.DB.RevokeOrgToken(app.As(t, "admin@acme.test"), acme.ID, tok.ID), core.EFORBIDDEN},
			{"billing lists", second(app.DB.OrgTokens(billing, acme.ID, core.Page{})), core.EFORBIDDEN},
			{"billing creates", third(app.DB.CreateOrgToken(billing, acme.ID, core.NewOrgToken{Name: "x"})), core.EFORBIDDEN},
			{"outsider reads", second(app.DB.OrgToken(outsider, acme.ID, tok.ID)), core.ENOTFOUND},
			{"outsider renames", second(app.DB.RenameOrgToken(outsider, acme.ID, tok.ID, "x")), core.ENOTFOUND},
			{"outsider revokes", app.DB.RevokeOrgToken(outsider, acme.ID, tok.ID), core.ENOTFOUND},
			{"anonymous lists", second(app.DB.OrgTokens(context.Background(), acme.ID, core.Page{})), core.EUNAUTHORIZED},
			{"blank rename", second(app.DB.RenameOrgToken(member, acme.ID, tok.ID, " ")), core.EINVALID},
			{"other org's id", second(app.DB.RenameOrgToken(app.As(t, "owner@globex.test"), app.Org(t, "globex").ID, tok.ID, "x")), core.ENOTFOUND},
		}
		for _, tc := range cases {
			if got := core.ErrorCode(tc.err); got != tc.want {
				t.Errorf("%s: %v, want %s", tc.name, tc.err, tc.want)
			}
		}
		if got, _ := app.DB.OrgToken(member, acme.ID, tok.ID); got == nil || got.Name != "guarded" {
			t.Errorf("token changed by refused calls: %+v", got)
		}
	})
}

func second[T any](_ T, err error) error { return err }

func third[A, B any](_ A, _ B, err error) error { return err }
