package store_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// eventRead is the permission an issue webhook needs.
var eventRead = core.NewScopeSet(core.ScopeEventRead)

// mustCreateIntegration creates an integration in org as the user, returning it and its first
// token's plaintext.
func mustCreateIntegration(t *testing.T, app *apptest.App, email, org, name string, scopes core.ScopeSet) (*core.Integration, string) {
	t.Helper()
	i, _, plain, err := app.DB.CreateIntegration(app.As(t, email), app.Org(t, org).ID, core.IntegrationInput{Name: name, Scopes: scopes})
	if err != nil {
		t.Fatalf("create integration %q as %s: %v", name, email, err)
	}
	return i, plain
}

// authenticate returns the principal of a plaintext token, or the error the API would answer.
func authenticate(t *testing.T, app *apptest.App, plain string) (*core.Principal, error) {
	t.Helper()
	parsed, err := core.ParseToken(plain)
	if err != nil {
		t.Fatalf("ParseToken(%q): %v", plain, err)
	}
	return app.DB.AuthenticateToken(context.Background(), parsed)
}

func mustAuthenticate(t *testing.T, app *apptest.App, plain string) *core.Principal {
	t.Helper()
	p, err := authenticate(t, app, plain)
	if err != nil {
		t.Fatalf("token does not authenticate: %v", err)
	}
	return p
}

func mustNotAuthenticate(t *testing.T, app *apptest.App, plain string) {
	t.Helper()
	if _, err := authenticate(t, app, plain); core.ErrorCode(err) != core.EUNAUTHORIZED || core.ErrorMessage(err) != "Invalid token" {
		t.Fatalf("revoked token: err = %v, want 401 Invalid token", err)
	}
}

// auditCount counts the acme audit entries of an event.
func auditCount(t *testing.T, app *apptest.App, event string) int {
	t.Helper()
	entries, err := app.DB.AuditLog(app.As(t, "owner@acme.test"), app.Org(t, "acme").ID, "", core.Page{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if e.Event == event {
			n++
		}
	}
	return n
}

func TestIntegrationCreate(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme := app.Org(t, "acme")

	t.Run("FirstTokenActsWithTheIntegrationScopesInItsOrgOnly", func(t *testing.T) {
		scopes := core.NewScopeSet(core.ScopeEventRead, core.ScopeProjectWrite).Expand()
		i, tok, plain, err := app.DB.CreateIntegration(app.As(t, "manager@acme.test"), acme.ID, core.IntegrationInput{
			Name: "Deploy Bot", WebhookURL: "https://hooks.example.com/", Events: []string{"issue"}, Scopes: scopes,
		})
		if err != nil {
			t.Fatal(err)
		}
		if i.Slug != "deploy-bot" || i.TokenCount != 1 || tok.Scopes != scopes {
			t.Fatalf("integration %+v, token %+v", i, tok)
		}
		if len(plain) != 71 || plain[:7] != "sntryi_" || tok.LastChars != plain[67:] {
			t.Fatalf("token %q, last chars %q", plain, tok.LastChars)
		}
		p := mustAuthenticate(t, app, plain)
		if p.Kind != core.TokenIntegration || p.OrgID != acme.ID || p.IntegrationID != i.ID || p.Scopes != scopes || p.User != nil {
			t.Fatalf("principal = %+v", p)
		}
		if auditCount(t, app, core.AuditIntegrationCreated) != 1 || auditCount(t, app, core.AuditIntegrationTokenCreated) != 1 {
			t.Fatal("want one integration-created and one token-created audit entry")
		}
	})

	t.Run("SlugsAreUniqueAcrossOrganizations", func(t *testing.T) {
		a, _ := mustCreateIntegration(t, app, "owner@acme.test", "acme", "Sync Job", 0)
		b, _ := mustCreateIntegration(t, app, "owner@globex.test", "globex", "Sync Job!", 0)
		c, _ := mustCreateIntegration(t, app, "owner@acme.test", "acme", "sync job", 0)
		if a.Slug != "sync-job" || b.Slug != "sync-job-2" || c.Slug != "sync-job-3" {
			t.Fatalf("slugs %q %q %q", a.Slug, b.Slug, c.Slug)
		}
	})

	t.Run("SlugNeverShadowsTheCreatePage", func(t *testing.T) {
		i, _ := mustCreateIntegration(t, app, "owner@acme.test", "acme", "New Internal", 0)
		if i.Slug != "new-internal-2" {
			t.Fatalf("slug = %q", i.Slug)
		}
	})

	t.Run("InvalidInputIsRefusedByField", func(t *testing.T) {
		_, _, _, err := app.DB.CreateIntegration(app.As(t, "owner@acme.test"), acme.ID, core.IntegrationInput{
			Name: "Hooks", Events: []string{"issue"}, Scopes: eventRead,
		})
		if core.ErrorCode(err) != core.EINVALID || core.ErrorFields(err)["webhook_url"] == "" {
			t.Fatalf("err = %v, want a webhook_url error", err)
		}
	})
}

func TestIntegrationPermissions(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme := app.Org(t, "acme")
	i, _ := mustCreateIntegration(t, app, "owner@acme.test", "acme", "Checker", eventRead)
	tokens, err := app.DB.IntegrationTokens(app.As(t, "owner@acme.test"), acme.ID, i.Slug)
	if err != nil || len(tokens) != 1 {
		t.Fatalf("tokens = %v, %v", tokens, err)
	}
	tokenID := tokens[0].ID
	in := core.IntegrationInput{Name: "Checker", Scopes: eventRead}

	actions := []struct {
		name string
		call func(ctx context.Context) error
	}{
		{"List", func(ctx context.Context) error { _, err := app.DB.Integrations(ctx, acme.ID); return err }},
		{"Get", func(ctx context.Context) error { _, err := app.DB.Integration(ctx, acme.ID, i.Slug); return err }},
		{"GetBySlug", func(ctx context.Context) error { _, err := app.DB.IntegrationBySlug(ctx, i.Slug); return err }},
		{"Create", func(ctx context.Context) error {
			_, _, _, err := app.DB.CreateIntegration(ctx, acme.ID, core.IntegrationInput{Name: "Another"})
			return err
		}},
		{"Update", func(ctx context.Context) error {
			_, err := app.DB.UpdateIntegration(ctx, acme.ID, i.Slug, in)
			return err
		}},
		{"Tokens", func(ctx context.Context) error { _, err := app.DB.IntegrationTokens(ctx, acme.ID, i.Slug); return err }},
		{"NewToken", func(ctx context.Context) error {
			_, _, err := app.DB.CreateIntegrationToken(ctx, acme.ID, i.Slug)
			return err
		}},
		{"Rotate", func(ctx context.Context) error {
			_, _, err := app.DB.RotateIntegrationToken(ctx, acme.ID, i.Slug, tokenID)
			return err
		}},
		{"Revoke", func(ctx context.Context) error { return app.DB.RevokeIntegrationToken(ctx, acme.ID, i.Slug, tokenID) }},
		{"Delete", func(ctx context.Context) error { return app.DB.DeleteIntegration(ctx, acme.ID, i.Slug) }},
	}
	// Only the refusals are checked here: a refused call changes nothing, so the same
	// integration and token serve every case. What each role may do is checked over HTTP.
	refusals := map[string]map[string]string{
		"admin@acme.test":   {"Create": core.EFORBIDDEN, "Update": core.EFORBIDDEN, "Tokens": core.EFORBIDDEN, "NewToken": core.EFORBIDDEN, "Rotate": core.EFORBIDDEN, "Revoke": core.EFORBIDDEN, "Delete": core.EFORBIDDEN},
		"member@acme.test":  {"Create": core.EFORBIDDEN, "Update": core.EFORBIDDEN, "Tokens": core.EFORBIDDEN, "NewToken": core.EFORBIDDEN, "Rotate": core.EFORBIDDEN, "Revoke": core.EFORBIDDEN, "Delete": core.EFORBIDDEN},
		"manager@acme.test": {"Delete": core.EFORBIDDEN},
		"billing@acme.test": {"List": core.EFORBIDDEN, "Get": core.EFORBIDDEN, "GetBySlug": core.EFORBIDDEN, "Create": core.EFORBIDDEN, "Update": core.EFORBIDDEN, "Tokens": core.EFORBIDDEN, "NewToken": core.EFORBIDDEN, "Rotate": core.EFORBIDDEN, "Revoke": core.EFORBIDDEN, "Delete": core.EFORBIDDEN},
		"owner@globex.test": {"List": core.ENOTFOUND, "Get": core.ENOTFOUND, "GetBySlug": core.ENOTFOUND, "Create": core.ENOTFOUND, "Update": core.ENOTFOUND, "Tokens": core.ENOTFOUND, "NewToken": core.ENOTFOUND, "Rotate": core.ENOTFOUND, "Revoke": core.ENOTFOUND, "Delete": core.ENOTFOUND},
	}
	for email, refused := range refusals {
		for _, a := range actions {
			want, ok := refused[a.name]
			if !ok {
				continue
			}
			t.Run(email+"/"+a.name, func(t *testing.T) {
				if err := a.call(app.As(t, email)); core.ErrorCode(err) != want {
					t.Fatalf("err = %v, want %s", err, want)
				}
			})
		}
	}
	t.Run("MemberSeesTheIntegrations", func(t *testing.T) {
		list, err := app.DB.Integrations(app.As(t, "member@acme.test"), acme.ID)
		if err != nil || len(list) != 1 || list[0].TokenCount != 1 {
			t.Fatalf("list = %+v, %v", list, err)
		}
	})
	t.Run("NothingChanged", func(t *testing.T) {
		list, err := app.DB.Integrations(app.As(t, "owner@acme.test"), acme.ID)
		if err != nil || len(list) != 1 || list[0].TokenCount != 1 {
			t.Fatalf("list = %+v, %v", list, err)
		}
	})
}

func TestIntegrationScopeEscalation(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme := app.Org(t, "acme")
	orgAdmin, _ := core.Permissions{"org": core.Admin}.Scopes()
	const refusal = "Requested permission of org:admin exceeds requester's permission. Please contact an administrator to make the requested change."

	t.Run("ManagerCannotGiveOrgAdmin", func(t *testing.T) {
		_, _, _, err := app.DB.CreateIntegration(app.As(t, "manager@acme.test"), acme.ID, core.IntegrationInput{Name: "Admin Bot", Scopes: orgAdmin})
		if core.ErrorFields(err)["scopes"] != refusal {
			t.Fatalf("err = %v, want %q", err, refusal)
		}
		m, _ := mustCreateIntegration(t, app, "manager@acme.test", "acme", "Manager Bot", eventRead)
		_, err = app.DB.UpdateIntegration(app.As(t, "manager@acme.test"), acme.ID, m.Slug, core.IntegrationInput{Name: "Manager Bot", Scopes: orgAdmin})
		if core.ErrorFields(err)["scopes"] != refusal {
			t.Fatalf("update: err = %v, want %q", err, refusal)
		}
	})
	t.Run("OwnerCanGiveOrgAdmin", func(t *testing.T) {
		i, plain := mustCreateIntegration(t, app, "owner@acme.test", "acme", "Owner Bot", orgAdmin)
		if !i.Scopes.Has(core.ScopeOrgAdmin) || !mustAuthenticate(t, app, plain).Scopes.Has(core.ScopeOrgAdmin) {
			t.Fatalf("scopes = %v", i.Scopes)
		}
		t.Run("AndAManagerMayStillEditIt", func(t *testing.T) {
			in := core.IntegrationInput{Name: "Owner Bot renamed", Scopes: orgAdmin.Union(eventRead)}
			if _, err := app.DB.UpdateIntegration(app.As(t, "manager@acme.test"), acme.ID, i.Slug, in); err != nil {
				t.Fatal(err)
			}
		})
		t.Run("ButAManagerGetsNoTokenOfIt", func(t *testing.T) {
			manager := app.As(t, "manager@acme.test")
			if _, _, err := app.DB.CreateIntegrationToken(manager, acme.ID, i.Slug); core.ErrorMessage(err) != refusal || core.ErrorCode(err) != core.EFORBIDDEN {
				t.Fatalf("new token: err = %v", err)
			}
			tokens, err := app.DB.IntegrationTokens(manager, acme.ID, i.Slug)
			if err != nil || len(tokens) != 1 {
				t.Fatalf("tokens = %v, %v", tokens, err)
			}
			if _, _, err := app.DB.RotateIntegrationToken(manager, acme.ID, i.Slug, tokens[0].ID); core.ErrorCode(err) != core.EFORBIDDEN {
				t.Fatalf("rotate: err = %v", err)
			}
			mustAuthenticate(t, app, plain)
			if err := app.DB.RevokeIntegrationToken(manager, acme.ID, i.Slug, tokens[0].ID); err != nil {
				t.Fatalf("revoking stays allowed: %v", err)
			}
		})
	})
}

func TestIntegrationUpdate(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme := app.Org(t, "acme")
	owner := app.As(t, "owner@acme.test")
	i, plain := mustCreateIntegration(t, app, "owner@acme.test", "acme", "Triage", eventRead)

	t.Run("LiveTokensTakeTheNewScopes", func(t *testing.T) {
		raised := core.NewScopeSet(core.ScopeEventWrite, core.ScopeProjectRead).Expand()
		got, err := app.DB.UpdateIntegration(owner, acme.ID, i.Slug, core.IntegrationInput{
			Name: "Triage v2", WebhookURL: "https://hooks.example.com/", Events: []string{"comment"}, Scopes: raised,
		})
		if err != nil {
			t.Fatal(err)
		}
		if got.Slug != "triage" || got.Name != "Triage v2" || got.Scopes != raised || !got.HasEvent("comment") {
			t.Fatalf("updated = %+v", got)
		}
		if p := mustAuthenticate(t, app, plain); p.Scopes != raised {
			t.Fatalf("token scopes = %v, want %v", p.Scopes, raised)
		}
		lowered, err := app.DB.UpdateIntegration(owner, acme.ID, i.Slug, core.IntegrationInput{Name: "Triage v2"})
		if err != nil {
			t.Fatal(err)
		}
		if p := mustAuthenticate(t, app, plain); p.Scopes != 0 || lowered.Scopes != 0 {
			t.Fatalf("after lowering: token scopes = %v", p.Scopes)
		}
		if n := auditCount(t, app, core.AuditIntegrationEdited); n != 2 {
			t.Fatalf("%d edit audit entries, want 2", n)
		}
	})
	t.Run("UnknownSlugIsNotFound", func(t *testing.T) {
		if _, err := app.DB.UpdateIntegration(owner, acme.ID, "nope", core.IntegrationInput{Name: "x"}); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestIntegrationTokens(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme := app.Org(t, "acme")
	owner := app.As(t, "owner@acme.test")

	t.Run("AtMost20LiveTokens", func(t *testing.T) {
		i, _ := mustCreateIntegration(t, app, "owner@acme.test", "acme", "Capped", eventRead)
		var last *core.IntegrationToken
		for n := 2; n <= core.MaxIntegrationTokens; n++ {
			tok, _, err := app.DB.CreateIntegrationToken(owner, acme.ID, i.Slug)
			if err != nil {
				t.Fatalf("token %d: %v", n, err)
			}
			last = tok
		}
		_, _, err := app.DB.CreateIntegrationToken(app.As(t, "manager@acme.test"), acme.ID, i.Slug)
		if !core.IsIntegrationTokenLimit(err) {
			t.Fatalf("21st token: err = %v, want %q", err, core.MsgIntegrationTokenLimit)
		}
		if _, _, err := app.DB.RotateIntegrationToken(owner, acme.ID, i.Slug, last.ID); err != nil {
			t.Fatalf("rotating at the cap: %v", err)
		}
		tokens, err := app.DB.IntegrationTokens(owner, acme.ID, i.Slug)
		if err != nil || len(tokens) != core.MaxIntegrationTokens {
			t.Fatalf("%d tokens, %v", len(tokens), err)
		}
		if err := app.DB.RevokeIntegrationToken(owner, acme.ID, i.Slug, tokens[0].ID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := app.DB.CreateIntegrationToken(owner, acme.ID, i.Slug); err != nil {
			t.Fatalf("a revoked token frees its place: %v", err)
		}
	})

	t.Run("RotateRevokesTheOldAndIssuesTheNewOnce", func(t *testing.T) {
		i, first := mustCreateIntegration(t, app, "owner@acme.test", "acme", "Rotated", eventRead)
		tokens, _ := app.DB.IntegrationTokens(owner, acme.ID, i.Slug)
		before := auditCount(t, app, core.AuditIntegrationTokenRotated)
		tok, second, err := app.DB.RotateIntegrationToken(app.As(t, "manager@acme.test"), acme.ID, i.Slug, tokens[0].ID)
		if err != nil {
			t.Fatal(err)
		}
		mustNotAuthenticate(t, app, first)
		if p := mustAuthenticate(t, app, second); p.TokenID != tok.ID || p.Scopes != eventRead {
			t.Fatalf("new token principal = %+v", p)
		}
		if n := auditCount(t, app, core.AuditIntegrationTokenRotated) - before; n != 1 {
			t.Fatalf("%d rotate audit entries, want 1", n)
		}
		tokens, _ = app.DB.IntegrationTokens(owner, acme.ID, i.Slug)
		if len(tokens) != 1 || tokens[0].ID != tok.ID {
			t.Fatalf("tokens after rotation = %+v", tokens)
		}
		t.Run("TheRotatedTokenIsGone", func(t *testing.T) {
			_, _, err := app.DB.RotateIntegrationToken(owner, acme.ID, i.Slug, tokens[0].ID-1)
			if core.ErrorCode(err) != core.ENOTFOUND {
				t.Fatalf("err = %v", err)
			}
		})
	})

	t.Run("RevokeStopsTheTokenAtOnce", func(t *testing.T) {
		i, plain := mustCreateIntegration(t, app, "owner@acme.test", "acme", "Revoked", eventRead)
		tokens, _ := app.DB.IntegrationTokens(owner, acme.ID, i.Slug)
		before := auditCount(t, app, core.AuditIntegrationTokenRevoked)
		if err := app.DB.RevokeIntegrationToken(owner, acme.ID, i.Slug, tokens[0].ID); err != nil {
			t.Fatal(err)
		}
		mustNotAuthenticate(t, app, plain)
		if n := auditCount(t, app, core.AuditIntegrationTokenRevoked) - before; n != 1 {
			t.Fatalf("%d revoke audit entries, want 1", n)
		}
		if err := app.DB.RevokeIntegrationToken(owner, acme.ID, i.Slug, tokens[0].ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("revoking twice: err = %v", err)
		}
	})

	t.Run("AnotherIntegrationsTokenIsNotFound", func(t *testing.T) {
		mine, _ := mustCreateIntegration(t, app, "owner@acme.test", "acme", "Mine", 0)
		_, theirPlain := mustCreateIntegration(t, app, "owner@globex.test", "globex", "Theirs", 0)
		_, siblingPlain := mustCreateIntegration(t, app, "owner@acme.test", "acme", "Sibling", 0)
		for _, other := range []struct{ name, plain string }{{"OtherOrg", theirPlain}, {"SameOrg", siblingPlain}} {
			t.Run(other.name, func(t *testing.T) {
				id := mustAuthenticate(t, app, other.plain).TokenID
				if err := app.DB.RevokeIntegrationToken(owner, acme.ID, mine.Slug, id); core.ErrorCode(err) != core.ENOTFOUND {
					t.Fatalf("revoke: err = %v", err)
				}
				if _, _, err := app.DB.RotateIntegrationToken(owner, acme.ID, mine.Slug, id); core.ErrorCode(err) != core.ENOTFOUND {
					t.Fatalf("rotate: err = %v", err)
				}
			})
		}
		mustAuthenticate(t, app, theirPlain)
		mustAuthenticate(t, app, siblingPlain)
	})
}

func TestIntegrationDelete(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme := app.Org(t, "acme")
	owner := app.As(t, "owner@acme.test")
	i, first := mustCreateIntegration(t, app, "owner@acme.test", "acme", "Doomed", eventRead)
	plains := []string{first}
	for n := 0; n < 3; n++ {
		_, plain, err := app.DB.CreateIntegrationToken(owner, acme.ID, i.Slug)
		if err != nil {
			t.Fatal(err)
		}
		plains = append(plains, plain)
	}
	if err := app.DB.DeleteIntegration(app.As(t, "manager@acme.test"), acme.ID, i.Slug); core.ErrorCode(err) != core.EFORBIDDEN {
		t.Fatalf("manager delete: err = %v, want EFORBIDDEN", err)
	}
	if err := app.DB.DeleteIntegration(owner, acme.ID, i.Slug); err != nil {
		t.Fatal(err)
	}
	for n, plain := range plains {
		t.Run(fmt.Sprintf("Token%dRevoked", n+1), func(t *testing.T) { mustNotAuthenticate(t, app, plain) })
	}
	if _, err := app.DB.Integration(owner, acme.ID, i.Slug); core.ErrorCode(err) != core.ENOTFOUND {
		t.Fatalf("deleted integration: err = %v", err)
	}
	if auditCount(t, app, core.AuditIntegrationDeleted) != 1 {
		t.Fatal("want one delete audit entry")
	}
}
