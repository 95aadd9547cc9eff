package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// TestRevokedExposedTokens: a report that revokes a token takes it out of the live reads, and
// the exposed-token readers give it back, with its exposure and revocation time, to exactly
// those who may read the live list of its kind; a token revoked by a person, a live one, or
// another owner's is not theirs to show; the lists keep a token for ExposedRevocationShown,
// its page for good.
func TestRevokedExposedTokens(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	start := time.Now().UTC().Truncate(time.Second)
	app.DB.Now = func() time.Time { return start }
	ctx := context.Background()
	acme := app.Org(t, "acme")
	owner := app.As(t, apptest.AcmeOwner)

	orgLeaked, orgLeakedPlain, err := app.DB.CreateOrgToken(owner, acme.ID, core.NewOrgToken{Name: "Leaked CI"})
	if err != nil {
		t.Fatal(err)
	}
	orgRevoked, _, err := app.DB.CreateOrgToken(owner, acme.ID, core.NewOrgToken{Name: "Revoked by hand"})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.DB.RevokeOrgToken(owner, acme.ID, orgRevoked.ID); err != nil {
		t.Fatal(err)
	}
	orgLive, _, err := app.DB.CreateOrgToken(owner, acme.ID, core.NewOrgToken{Name: "Still live"})
	if err != nil {
		t.Fatal(err)
	}
	member := app.As(t, apptest.AcmeMember)
	userLeaked, userLeakedPlain, err := app.DB.CreateUserToken(member, core.NewUserToken{Name: "laptop", Scopes: core.NewScopeSet(core.ScopeOrgRead)})
	if err != nil {
		t.Fatal(err)
	}
	integration, intToken, intPlain, err := app.DB.CreateIntegration(owner, acme.ID, core.IntegrationInput{Name: "Deployer", Scopes: core.NewScopeSet(core.ScopeProjectRead).Expand()})
	if err != nil {
		t.Fatal(err)
	}

	reportedAt := start.Add(time.Hour)
	app.DB.Now = func() time.Time { return reportedAt }
	system := core.WithActor(ctx, core.Actor{System: "GitHub secret scanning"})
	_, err = app.DB.ReportExposedTokens(system, []core.ExposureReport{
		{Token: orgLeakedPlain, Type: "sentry_org_auth_token", URL: "https://github.com/acme/site/blob/main/.env", Source: "content"},
		{Token: userLeakedPlain, Type: "sentry_user_auth_token", URL: "https://gist.github.com/m/1", Source: "gist"},
		{Token: intPlain, Type: "sentry_integration_token", URL: "https://github.com/acme/site/issues/3", Source: "issue"},
	})
	if err != nil {
		t.Fatal(err)
	}

	t.Run("OrgTokens", func(t *testing.T) {
		if _, err := app.DB.OrgToken(owner, acme.ID, orgLeaked.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Fatalf("the live reader still finds the revoked token: %v", err)
		}
		for _, email := range []string{apptest.AcmeOwner, apptest.AcmeManager, apptest.AcmeAdmin, apptest.AcmeMember} {
			got, err := app.DB.RevokedExposedOrgTokens(app.As(t, email), acme.ID)
			if err != nil {
				t.Fatalf("%s: %v", email, err)
			}
			if len(got) != 1 || got[0].ID != orgLeaked.ID {
				t.Fatalf("%s sees %d tokens, want only %q", email, len(got), orgLeaked.Name)
			}
			e, at := got[0].Exposure, got[0].RevokedAt
			if e == nil || e.URL != "https://github.com/acme/site/blob/main/.env" || e.Source != "content" || !e.At.Equal(reportedAt) ||
				at == nil || !at.Equal(reportedAt) {
				t.Errorf("%s: exposure %+v, revoked at %v", email, e, at)
			}
		}
		if _, err := app.DB.RevokedExposedOrgTokens(app.As(t, apptest.AcmeBilling), acme.ID); core.ErrorCode(err) != core.EFORBIDDEN {
			t.Errorf("billing: %v, want EFORBIDDEN as for the live list", err)
		}
		if _, err := app.DB.RevokedExposedOrgTokens(app.As(t, apptest.GlobexOwner), acme.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("a non-member: %v, want ENOTFOUND as for the live list", err)
		}
		if tok, err := app.DB.RevokedExposedOrgToken(member, acme.ID, orgLeaked.ID); err != nil || tok.Name != "Leaked CI" || tok.RevokedAt == nil || tok.Exposure == nil {
			t.Errorf("one token: %+v, %v", tok, err)
		}
		for name, id := range map[string]int64{"revoked by hand": orgRevoked.ID, "live": orgLive.ID, "unknown": 999999} {
			if _, err := app.DB.RevokedExposedOrgToken(member, acme.ID, id); core.ErrorCode(err) != core.ENOTFOUND {
				t.Errorf("%s: %v, want ENOTFOUND", name, err)
			}
		}
		globex := app.Org(t, "globex")
		if _, err := app.DB.RevokedExposedOrgToken(app.As(t, apptest.GlobexOwner), globex.ID, orgLeaked.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("another organization's id: %v, want ENOTFOUND", err)
		}
	})

	t.Run("UserTokens", func(t *testing.T) {
		got, err := app.DB.RevokedExposedUserTokens(member)
		if err != nil || len(got) != 1 || got[0].ID != userLeaked.ID || got[0].Exposure == nil || got[0].Exposure.Source != "gist" || got[0].RevokedAt == nil {
			t.Fatalf("the member's section: %+v, %v", got, err)
		}
		if tok, err := app.DB.RevokedExposedUserToken(member, userLeaked.ID); err != nil || tok.Name != "laptop" {
			t.Errorf("the member's token: %+v, %v", tok, err)
		}
		other := app.As(t, apptest.AcmeAdmin)
		if got, err := app.DB.RevokedExposedUserTokens(other); err != nil || len(got) != 0 {
			t.Errorf("another user sees %d tokens (%v)", len(got), err)
		}
		if _, err := app.DB.RevokedExposedUserToken(other, userLeaked.ID); core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("another user's token: %v, want ENOTFOUND", err)
		}
	})

	t.Run("IntegrationTokens", func(t *testing.T) {
		for _, email := range []string{apptest.AcmeOwner, apptest.AcmeManager} {
			got, err := app.DB.RevokedExposedIntegrationTokens(app.As(t, email), acme.ID, integration.Slug)
			if err != nil || len(got) != 1 || got[0].ID != intToken.ID || got[0].Exposure == nil || got[0].RevokedAt == nil {
				t.Errorf("%s: %+v, %v", email, got, err)
			}
		}
		if _, err := app.DB.RevokedExposedIntegrationTokens(member, acme.ID, integration.Slug); core.ErrorCode(err) != core.EFORBIDDEN {
			t.Errorf("a member: %v, want EFORBIDDEN as for the live tokens", err)
		}
	})

	t.Run("ListsKeepThemForAWhile", func(t *testing.T) {
		app.DB.Now = func() time.Time { return reportedAt.Add(core.ExposedRevocationShown - time.Second) }
		if got, _ := app.DB.RevokedExposedOrgTokens(owner, acme.ID); len(got) != 1 {
			t.Errorf("just before the end of the window: %d tokens, want 1", len(got))
		}
		app.DB.Now = func() time.Time { return reportedAt.Add(core.ExposedRevocationShown + time.Second) }
		if got, _ := app.DB.RevokedExposedOrgTokens(owner, acme.ID); len(got) != 0 {
			t.Errorf("after the window: %d tokens, want none", len(got))
		}
		if got, _ := app.DB.RevokedExposedUserTokens(member); len(got) != 0 {
			t.Errorf("after the window: %d user tokens, want none", len(got))
		}
		if _, err := app.DB.RevokedExposedOrgToken(owner, acme.ID, orgLeaked.ID); err != nil {
			t.Errorf("the token's page after the window: %v", err)
		}
	})
}
