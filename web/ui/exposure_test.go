package ui_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// TestRevokedAfterExposureScreens: a signed report revokes a token of each kind, and each
// screen that listed it shows it in its "Revoked after exposure" section with the Exposed
// badge and where it was found, to exactly those who see the live list; the token's page
// renders read-only instead of 404, and nothing else about revoked tokens changes (renaming
// and revoking them is 404, the API's lists and pages stay live tokens only).
func TestRevokedAfterExposureScreens(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme := app.Org(t, "acme")
	ownerCtx := app.As(t, apptest.AcmeOwner)
	orgTok, orgPlain, err := app.DB.CreateOrgToken(ownerCtx, acme.ID, core.NewOrgToken{Name: "Leaked CI"})
	if err != nil {
		t.Fatal(err)
	}
	handRevoked, _, err := app.DB.CreateOrgToken(ownerCtx, acme.ID, core.NewOrgToken{Name: "Revoked by hand"})
	if err != nil {
		t.Fatal(err)
	}
	if err := app.DB.RevokeOrgToken(ownerCtx, acme.ID, handRevoked.ID); err != nil {
		t.Fatal(err)
	}
	userTok, userPlain, err := app.DB.CreateUserToken(app.As(t, apptest.AcmeMember), core.NewUserToken{Name: "member laptop", Scopes: core.NewScopeSet(core.ScopeOrgRead)})
	if err != nil {
		t.Fatal(err)
	}
	integration, _, intPlain, err := app.DB.CreateIntegration(ownerCtx, acme.ID, core.IntegrationInput{Name: "Deployer", Scopes: core.NewScopeSet(core.ScopeProjectRead).Expand()})
	if err != nil {
		t.Fatal(err)
	}
	const (
		orgWhere  = "https://github.com/acme/site/blob/main/.env"
		userWhere = "https://gist.github.com/member/1"
		intWhere  = "https://github.com/acme/site/issues/3"
	)
	app.ReportExposed(t,
		apptest.ExposureEntry{Token: orgPlain, Type: "sentry_org_auth_token", URL: orgWhere, Source: "commit"},
		apptest.ExposureEntry{Token: userPlain, Type: "sentry_user_auth_token", URL: userWhere, Source: "gist"},
		apptest.ExposureEntry{Token: intPlain, Type: "sentry_integration_token", URL: intWhere, Source: "issue"},
	)
	if app.TokenWorks(t, orgPlain) {
		t.Fatal("the reported org token still works")
	}
	orgPage := tokensPath("acme") + strconv.FormatInt(orgTok.ID, 10) + "/"
	orgMask := core.MaskToken(core.TokenOrg, orgTok.LastChars, true)
	section := func(body string) string {
		i := strings.Index(body, `id="revoked-exposed"`)
		if i < 0 {
			return ""
		}
		return body[i:]
	}

	t.Run("OrgList", func(t *testing.T) {
		for _, email := range []string{apptest.AcmeOwner, apptest.AcmeManager, apptest.AcmeAdmin, apptest.AcmeMember} {
			res := app.LoginAs(t, email).Get(tokensPath("acme"))
			s := section(res.Body)
			if res.Status != http.StatusOK || !strings.Contains(s, "Revoked after exposure") || !strings.Contains(s, "Leaked CI") ||
				!strings.Contains(s, orgMask) || !strings.Contains(s, ">Exposed<") || !strings.Contains(s, orgWhere) ||
				!strings.Contains(s, "(commit)") || !strings.Contains(s, `href="`+orgPage+`"`) {
				t.Errorf("%s: %d, the section reads %q", email, res.Status, s)
			}
			if strings.Contains(s, "Revoked by hand") {
				t.Errorf("%s: a token revoked by a person is in the section", email)
			}
			live := strings.TrimSuffix(res.Body, s)
			if strings.Contains(live, "Leaked CI") {
				t.Errorf("%s: the revoked token is in the live list too", email)
			}
		}
		if res := app.LoginAs(t, apptest.AcmeBilling).Get(tokensPath("acme")); res.Status != http.StatusForbidden {
			t.Errorf("billing: %d, want 403", res.Status)
		}
		if res := app.LoginAs(t, apptest.GlobexOwner).Get(tokensPath("acme")); res.Status != http.StatusNotFound {
			t.Errorf("a non-member: %d, want 404", res.Status)
		}
		if res := app.LoginAs(t, apptest.AcmeOwner).Get(tokensPath("acme") + "?page=2"); strings.Contains(res.Body, "Revoked after exposure") {
			t.Error("the section is repeated on page 2")
		}
	})

	t.Run("OrgTokenPage", func(t *testing.T) {
		member := app.LoginAs(t, apptest.AcmeMember)
		res := member.Get(orgPage)
		if res.Status != http.StatusOK || !strings.Contains(res.Body, "Revoked Auth Token") || !strings.Contains(res.Body, ">Exposed<") ||
			!strings.Contains(res.Body, orgWhere) || !strings.Contains(res.Body, "Leaked CI") || !strings.Contains(res.Body, `id="token-revoked-exposed"`) {
			t.Fatalf("the revoked token's page: %d %s", res.Status, res.Body)
		}
		if strings.Contains(res.Body, `name="name"`) || strings.Contains(res.Body, "Save Changes") {
			t.Error("the revoked token's page offers a rename")
		}
		if res := member.Get(tokensPath("acme") + strconv.FormatInt(handRevoked.ID, 10) + "/"); res.Status != http.StatusNotFound {
			t.Errorf("a token revoked by a person: %d, want 404 as before", res.Status)
		}
		if res := member.PostForm(orgPage, url.Values{"name": {"renamed"}}); res.Status != http.StatusNotFound {
			t.Errorf("renaming the revoked token: %d, want 404", res.Status)
		}
		owner := app.LoginAs(t, apptest.AcmeOwner)
		if res := owner.PostForm(orgPage+"revoke/", url.Values{"confirmed": {"1"}}); res.Status != http.StatusNotFound {
			t.Errorf("revoking it again: %d, want 404", res.Status)
		}
		if res := app.LoginAs(t, apptest.GlobexOwner).Get(orgPage); res.Status != http.StatusNotFound {
			t.Errorf("a non-member: %d, want 404", res.Status)
		}
		// The API is Sentry's: live tokens only.
		list := owner.JSON(http.MethodGet, "/api/0/organizations/acme/org-auth-tokens/", nil)
		if list.Status != http.StatusOK || strings.Contains(list.Body, "Leaked CI") {
			t.Errorf("the API list: %d %s", list.Status, list.Body)
		}
		if res := owner.JSON(http.MethodGet, "/api/0/organizations/acme/org-auth-tokens/"+strconv.FormatInt(orgTok.ID, 10)+"/", nil); res.Status != http.StatusNotFound {
			t.Errorf("the API's token: %d, want 404", res.Status)
		}
	})

	t.Run("UserTokens", func(t *testing.T) {
		member := app.LoginAs(t, apptest.AcmeMember)
		page := userTokensPagePath + strconv.FormatInt(userTok.ID, 10) + "/"
		s := section(member.Get(userTokensPagePath).Body)
		if !strings.Contains(s, "member laptop") || !strings.Contains(s, ">Exposed<") || !strings.Contains(s, userWhere) || !strings.Contains(s, `href="`+page+`"`) {
			t.Errorf("the member's section reads %q", s)
		}
		if res := member.Get(page); res.Status != http.StatusOK || !strings.Contains(res.Body, "Revoked User Auth Token") || !strings.Contains(res.Body, userWhere) {
			t.Errorf("the revoked user token's page: %d", res.Status)
		}
		other := app.LoginAs(t, apptest.AcmeAdmin)
		if strings.Contains(other.Get(userTokensPagePath).Body, "member laptop") {
			t.Error("another user sees the member's revoked token")
		}
		if res := other.Get(page); res.Status != http.StatusNotFound {
			t.Errorf("another user's revoked token: %d, want 404", res.Status)
		}
		if res := member.JSON(http.MethodGet, "/api/0/api-tokens/", nil); res.Status != http.StatusOK || strings.Contains(res.Body, "member laptop") {
			t.Errorf("the API's user tokens: %d %s", res.Status, res.Body)
		}
	})

	t.Run("IntegrationPage", func(t *testing.T) {
		path := "/settings/acme/developer-settings/" + integration.Slug + "/"
		for _, email := range []string{apptest.AcmeOwner, apptest.AcmeManager} {
			s := section(app.LoginAs(t, email).Get(path).Body)
			if !strings.Contains(s, ">Exposed<") || !strings.Contains(s, intWhere) || !strings.Contains(s, "(issue)") {
				t.Errorf("%s: the section reads %q", email, s)
			}
		}
		// Members do not see the integration's tokens; nor its revoked ones.
		if res := app.LoginAs(t, apptest.AcmeMember).Get(path); res.Status != http.StatusOK || strings.Contains(res.Body, "Revoked after exposure") {
			t.Errorf("a member: %d, the section shown %v", res.Status, strings.Contains(res.Body, "Revoked after exposure"))
		}
	})
}

// userTokensPagePath is the User Auth Tokens list.
const userTokensPagePath = "/settings/account/api/auth-tokens/"
