package store_test

import (
	"context"
	"database/sql"
	"testing"

	"github.com/tokenboard/tokenboard/internal/core"
)

// TestRevocationKeepsTheRowForEveryKind checks the one revocation scheme: whichever kind, a
// revoked token keeps its row with when, by whom and why, fails authentication, and leaves
// the lists.
func TestRevocationKeepsTheRowForEveryKind(t *testing.T) {
	t.Parallel()
	d := openTestDB(t)
	ctx := context.Background()
	acme := d.org(t, "acme")
	owner := d.user(t, "owner@acme.test")
	asOwner := core.WithActor(ctx, core.Actor{User: owner, IP: "test"})

	orgTok, orgPlain, err := d.CreateOrgToken(asOwner, acme.ID, core.NewOrgToken{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	userTok, userPlain, err := d.CreateUserToken(asOwner, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)})
	if err != nil {
		t.Fatal(err)
	}
	integration, _, rotatedPlain, err := d.CreateIntegration(asOwner, acme.ID,
		core.IntegrationInput{Name: "Bot", Scopes: core.NewScopeSet(core.ScopeOrgRead)})
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := d.IntegrationTokens(asOwner, acme.ID, integration.Slug)
	if err != nil || len(tokens) != 1 {
		t.Fatalf("integration tokens %v %v", tokens, err)
	}
	_, keptPlain, err := d.RotateIntegrationToken(asOwner, acme.ID, integration.Slug, tokens[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, plain := range []string{orgPlain, userPlain, keptPlain} {
		d.mustAuthenticate(t, plain)
	}

	if err := d.RevokeOrgToken(asOwner, acme.ID, orgTok.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.RevokeUserToken(asOwner, userTok.ID); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteIntegration(asOwner, acme.ID, integration.Slug); err != nil {
		t.Fatal(err)
	}

	for plain, reason := range map[string]string{
		orgPlain: "revoked", userPlain: "revoked", rotatedPlain: "rotated", keptPlain: "integration deleted",
	} {
		if _, err := d.authenticate(t, plain); core.ErrorCode(err) != core.EUNAUTHORIZED {
			t.Errorf("revoked token (%s): %v, want 401", reason, err)
		}
		var revokedAt sql.NullInt64
		var revokedBy sql.NullInt64
		var gotReason string
		err := d.fx.Raw().QueryRow(`SELECT revoked_at, revoked_by, revoked_reason FROM tokens WHERE token_hash = ?`,
			core.HashToken(plain)).Scan(&revokedAt, &revokedBy, &gotReason)
		if err != nil {
			t.Fatalf("the revoked token's row (%s): %v", reason, err)
		}
		if !revokedAt.Valid || revokedBy.Int64 != owner.ID || gotReason != reason {
			t.Errorf("revoked row: at %v by %v reason %q, want set, %d, %q", revokedAt, revokedBy, gotReason, owner.ID, reason)
		}
	}
	if list, err := d.OrgTokens(asOwner, acme.ID, core.Page{}); err != nil || len(list) != 0 {
		t.Errorf("org tokens after revoking: %v %v", list, err)
	}
	if list, err := d.UserTokens(asOwner); err != nil || len(list) != 0 {
		t.Errorf("user tokens after revoking: %v %v", list, err)
	}
	if _, err := d.UserToken(asOwner, userTok.ID); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("a revoked user token by id: %v, want not found", err)
	}
	if _, err := d.RenameUserToken(asOwner, userTok.ID, "x"); core.ErrorCode(err) != core.ENOTFOUND {
		t.Errorf("renaming a revoked user token: %v, want not found", err)
	}
	// Ids are per kind and never reused: the next token of a kind follows the revoked one.
	next, _, err := d.CreateUserToken(asOwner, core.NewUserToken{Scopes: core.NewScopeSet(core.ScopeOrgRead)})
	if err != nil || next.ID != userTok.ID+1 {
		t.Errorf("next user token id %v (%v), want %d", next, err, userTok.ID+1)
	}
}
