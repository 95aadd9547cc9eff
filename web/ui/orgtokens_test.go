package ui_test

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

func tokensPath(org string) string { return "/settings/" + org + "/auth-tokens/" }

func tokenPath(org string, id int64) string {
	return tokensPath(org) + strconv.FormatInt(id, 10) + "/"
}

func TestOrgTokenScreensEnforceEveryRole(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	type want struct{ list, newPage, create, rename, revoke int }
	const login = 1 // a 303 to the sign-in page, where anonymous visitors are sent
	cases := []struct {
		who  string
		want want
	}{
		{apptest.AcmeOwner, want{200, 200, 200, 303, 303}},
		{apptest.AcmeManager, want{200, 200, 200, 303, 303}},
		{apptest.AcmeAdmin, want{200, 200, 200, 303, 403}},
		{apptest.AcmeMember, want{200, 200, 200, 303, 403}},
		{apptest.AcmeBilling, want{403, 403, 403, 403, 403}},
		{apptest.GlobexOwner, want{404, 404, 404, 404, 404}},
		{apptest.Anonymous, want{login, login, login, login, login}},
	}
	for _, tc := range cases {
		name := tc.who
		if name == apptest.Anonymous {
			name = "anonymous"
		}
		t.Run(name, func(t *testing.T) {
			target, plaintext := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "target of "+name)
			c := app.ClientAs(t, tc.who)
			check := func(action string, got *apptest.Response, want int) {
				t.Helper()
				if want == login {
					if got.Status != http.StatusSeeOther || !strings.HasPrefix(got.Location, "/auth/login/") {
						t.Errorf("%s: status %d to %q, want a redirect to the sign-in page", action, got.Status, got.Location)
					}
				} else if got.Status != want {
					t.Errorf("%s: status %d, want %d (body %.200q)", action, got.Status, want, got.Body)
				}
			}
			check("list", c.Get(tokensPath("acme")), tc.want.list)
			check("new page", c.Get(tokensPath("acme")+"new-token/"), tc.want.newPage)

			created := c.PostForm(tokensPath("acme")+"new-token/", url.Values{"name": {"made by " + name}, "expiration": {"never"}})
			check("create", created, tc.want.create)
			if madeIt := apptest.OrgTokenPattern.MatchString(created.Body); madeIt != (tc.want.create == 200) {
				t.Errorf("create: page shows a token = %v, want %v", madeIt, tc.want.create == 200)
			}

			check("rename", c.PostForm(tokenPath("acme", target.ID), url.Values{"name": {"renamed by " + name}}), tc.want.rename)
			renamed := app.OrgToken(t, target.ID).Name == "renamed by "+name
			if renamed != (tc.want.rename == 303) {
				t.Errorf("rename: renamed = %v, want %v", renamed, tc.want.rename == 303)
			}

			check("revoke", c.PostForm(tokenPath("acme", target.ID)+"revoke/", url.Values{"confirmed": {"1"}}), tc.want.revoke)
			revoked := app.Authenticate(t, plaintext) != nil
			if revoked != (tc.want.revoke == 303) {
				t.Errorf("revoke: token revoked = %v, want %v", revoked, tc.want.revoke == 303)
			}
		})
	}
}

func TestOrgTokenForgedRequestsAreRefused(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme, globex := app.Org(t, "acme"), app.Org(t, "globex")
	countTokens := func(orgID int64) int {
		t.Helper()
		n, err := app.Fixtures(t).CountOrgTokens(context.Background(), orgID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	t.Run("CreateWithoutCSRFTokenIsRefused", func(t *testing.T) {
		before := countTokens(acme.ID)
		r := app.LoginAs(t, apptest.AcmeMember).PostFormRaw(tokensPath("acme")+"new-token/", url.Values{"name": {"forged"}})
		if r.Status != http.StatusForbidden {
			t.Errorf("status %d, want 403", r.Status)
		}
		if n := countTokens(acme.ID); n != before {
			t.Errorf("%d tokens created", n-before)
		}
	})
	t.Run("CrossSiteRevokeIsRefused", func(t *testing.T) {
		tok, plaintext := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "cross-site target")
		c := app.LoginAs(t, apptest.AcmeOwner)
		req, _ := http.NewRequest(http.MethodPost, app.URL+tokenPath("acme", tok.ID)+"revoke/", strings.NewReader("confirmed=1"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		if r := c.Do(req); r.Status != http.StatusForbidden {
			t.Errorf("status %d, want 403", r.Status)
		}
		if err := app.Authenticate(t, plaintext); err != nil {
			t.Errorf("token no longer authenticates: %v", err)
		}
	})
	t.Run("MemberRevokePostedDirectlyIsForbidden", func(t *testing.T) {
		tok, plaintext := app.CreateOrgToken(t, apptest.AcmeMember, "acme", "member's own token")
		for _, form := range []url.Values{{"confirmed": {"1"}}, {}} {
			r := app.LoginAs(t, apptest.AcmeMember).PostForm(tokenPath("acme", tok.ID)+"revoke/", form)
			if r.Status != http.StatusForbidden {
				t.Errorf("revoke with %v: status %d, want 403", form, r.Status)
			}
		}
		if err := app.Authenticate(t, plaintext); err != nil {
			t.Errorf("token no longer authenticates: %v", err)
		}
	})
	t.Run("RevokeWithoutConfirmationOnlyAsks", func(t *testing.T) {
		tok, plaintext := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "unconfirmed")
		r := app.LoginAs(t, apptest.AcmeManager).PostForm(tokenPath("acme", tok.ID)+"revoke/", nil)
		want := "Are you sure you want to revoke sntrys_************" + tok.LastChars +
			" token? It will not be usable anymore, and this cannot be undone."
		if r.Status != http.StatusOK || !strings.Contains(r.Body, want) || !strings.Contains(r.Body, `name="confirmed" value="1"`) {
			t.Errorf("status %d, want the confirmation page saying %q: %.500s", r.Status, want, r.Body)
		}
		if err := app.Authenticate(t, plaintext); err != nil {
			t.Errorf("token revoked without confirmation: %v", err)
		}
	})
	t.Run("AnotherOrganizationsTokenIsNotFound", func(t *testing.T) {
		foreign, plaintext := app.CreateOrgToken(t, apptest.GlobexOwner, "globex", "globex secret")
		c := app.LoginAs(t, apptest.AcmeOwner)
		for action, r := range map[string]*apptest.Response{
			"edit page": c.Get(tokenPath("acme", foreign.ID)),
			"rename":    c.PostForm(tokenPath("acme", foreign.ID), url.Values{"name": {"stolen"}}),
			"revoke":    c.PostForm(tokenPath("acme", foreign.ID)+"revoke/", url.Values{"confirmed": {"1"}}),
		} {
			if r.Status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", action, r.Status)
			}
		}
		if err := app.Authenticate(t, plaintext); err != nil {
			t.Errorf("globex token revoked through acme: %v", err)
		}
		if countTokens(globex.ID) != 1 {
			t.Errorf("globex tokens changed")
		}
	})
	t.Run("RevokedTokenPagesAreNotFound", func(t *testing.T) {
		tok, _ := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "gone")
		c := app.LoginAs(t, apptest.AcmeOwner)
		if r := c.PostForm(tokenPath("acme", tok.ID)+"revoke/", url.Values{"confirmed": {"1"}}); r.Status != http.StatusSeeOther {
			t.Fatalf("revoke: status %d", r.Status)
		}
		for action, r := range map[string]*apptest.Response{
			"edit page":    c.Get(tokenPath("acme", tok.ID)),
			"rename":       c.PostForm(tokenPath("acme", tok.ID), url.Values{"name": {"back"}}),
			"revoke again": c.PostForm(tokenPath("acme", tok.ID)+"revoke/", url.Values{"confirmed": {"1"}}),
			"bad id":       c.Get(tokensPath("acme") + "abc/"),
		} {
			if r.Status != http.StatusNotFound {
				t.Errorf("%s: status %d, want 404", action, r.Status)
			}
		}
		if list := c.Get(tokensPath("acme")); strings.Contains(list.Body, ">gone<") {
			t.Errorf("the revoked token is still listed")
		}
	})
}

func TestOrgTokenCreateShowsTheTokenOnceAndValidates(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	c := app.LoginAs(t, apptest.AcmeMember)

	t.Run("EmptyListSaysSo", func(t *testing.T) {
		r := c.Get(tokensPath("acme"))
		for _, want := range []string{"Auth Tokens", "Create New Token", "You haven't created any authentication tokens yet."} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("list lacks %q", want)
			}
		}
	})
	t.Run("FormHasSentrysFields", func(t *testing.T) {
		r := c.Get(tokensPath("acme") + "new-token/")
		for _, want := range []string{"Create New Auth Token", `name="name"`, `<div id="token-scopes" aria-describedby="token-scopes-help token-scopes-what">org:ci</div>`,
			"Source Map Upload, Release Creation", `name="expiration"`, "30 days", "60 days", "90 days", "Cancel", "Create Token"} {
			if !strings.Contains(r.Body, want) {
				t.Errorf("form lacks %q", want)
			}
		}
	})
	t.Run("InvalidInputIsShownAgainWithTheMessage", func(t *testing.T) {
		long := strings.Repeat("n", 256)
		cases := []struct {
			form url.Values
			want []string
		}{
			{url.Values{"name": {"  "}}, []string{"The name cannot be blank."}},
			{url.Values{"name": {long}}, []string{"The name cannot be longer than 255 characters.", `value="` + long + `"`}},
			{url.Values{"name": {"ci"}, "expiration": {"custom"}, "expiration_date": {"2001-01-01"}},
				[]string{"The expiration date must be in the future.", `value="ci"`, `value="2001-01-01"`}},
			{url.Values{"name": {""}, "expiration": {"forever"}}, []string{"The name cannot be blank.", "Select a valid choice."}},
		}
		for _, tc := range cases {
			r := c.PostForm(tokensPath("acme")+"new-token/", tc.form)
			if r.Status != http.StatusBadRequest {
				t.Errorf("%v: status %d, want 400", tc.form, r.Status)
			}
			for _, want := range tc.want {
				if !strings.Contains(r.Body, want) {
					t.Errorf("%v: page lacks %q", tc.form, want)
				}
			}
			if apptest.OrgTokenPattern.MatchString(r.Body) {
				t.Errorf("%v: a token was shown", tc.form)
			}
		}
	})

	var plaintext string
	t.Run("CreatedTokenIsShownOnceUncached", func(t *testing.T) {
		r := c.PostForm(tokensPath("acme")+"new-token/", url.Values{"name": {"CI deploys"}, "expiration": {"30"}})
		plaintext = r.TokenShownOnce(t, apptest.OrgTokenPattern)
		for _, want := range []string{"Created auth token.", "You can only view this token when it was created.", `href="/settings/acme/auth-tokens/"`, `data-copy-target="new-token"`} {
			if !strings.Contains(html.UnescapeString(r.Body), want) {
				t.Errorf("page lacks %q", want)
			}
		}
		parsed, err := core.ParseToken(plaintext)
		if err != nil {
			t.Fatalf("shown token does not parse: %v", err)
		}
		if parsed.Payload.Org != "acme" || parsed.Payload.URL != app.URL || parsed.Payload.RegionURL != app.URL {
			t.Errorf("payload %+v, want org acme at %s", parsed.Payload, app.URL)
		}
		if err := app.Authenticate(t, plaintext); err != nil {
			t.Errorf("new token does not authenticate: %v", err)
		}
	})
	t.Run("ListAndEditShowOnlyTheMask", func(t *testing.T) {
		last4 := plaintext[len(plaintext)-4:]
		list := c.Get(tokensPath("acme"))
		if !strings.Contains(list.Body, "sntrys_************"+last4) || !strings.Contains(list.Body, "CI deploys") {
			t.Errorf("list lacks the token's name or mask")
		}
		if !strings.Contains(list.Body, "never used") || !strings.Contains(list.Body, "Expires") {
			t.Errorf("list lacks Last access or expiry")
		}
		if !strings.Contains(list.Body, OrgTokenRevokeDeniedText) {
			t.Errorf("member's list lacks the disabled Revoke tooltip")
		}
		id := mustOnlyTokenID(t, app, "CI deploys")
		edit := c.Get(tokenPath("acme", id))
		for _, want := range []string{"Edit Auth Token", `value="************` + last4 + `"`, "You can only view the token once after creation.",
			"You cannot change the scopes of an existing token.", `value="CI deploys"`, "Save Changes"} {
			if !strings.Contains(edit.Body, want) {
				t.Errorf("edit page lacks %q", want)
			}
		}
		for page, r := range map[string]*apptest.Response{"list": list, "edit": edit} {
			if strings.Contains(r.Body, plaintext) || strings.Contains(r.Body, plaintext[:len(plaintext)-4]) {
				t.Errorf("%s page shows the token", page)
			}
		}
	})
	t.Run("RenameValidatesAndSaves", func(t *testing.T) {
		id := mustOnlyTokenID(t, app, "CI deploys")
		r := c.PostForm(tokenPath("acme", id), url.Values{"name": {""}})
		if r.Status != http.StatusBadRequest || !strings.Contains(r.Body, "The name cannot be blank.") {
			t.Errorf("blank rename: status %d", r.Status)
		}
		r = c.PostForm(tokenPath("acme", id), url.Values{"name": {"CI releases"}})
		if r.Status != http.StatusSeeOther || r.Location != tokensPath("acme") {
			t.Fatalf("rename: status %d to %q", r.Status, r.Location)
		}
		if list := c.Get(tokensPath("acme")); !strings.Contains(list.Body, "Updated auth token.") || !strings.Contains(list.Body, "CI releases") {
			t.Errorf("list after rename lacks the flash or the new name")
		}
	})
	t.Run("TokenIsInNoLogCookieURLOrColumn", func(t *testing.T) {
		app.AssertNowhere(t, plaintext, c)
	})
}

// OrgTokenRevokeDeniedText is the disabled Revoke button's tooltip as it appears in HTML.
const OrgTokenRevokeDeniedText = `data-tooltip="You must be an organization owner or manager to revoke a token."`

// mustOnlyTokenID returns the id of acme's live token with that name.
func mustOnlyTokenID(t *testing.T, app *apptest.App, name string) int64 {
	t.Helper()
	id, err := app.Fixtures(t).OrgTokenID(context.Background(), name)
	if err != nil {
		t.Fatalf("token %q: %v", name, err)
	}
	return id
}

func TestOrgTokenListIsOrderedAndPaginated(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	acme := app.Org(t, "acme")
	now := time.Now()
	web, err := app.DB.ProjectBySlug(apptest.AsOperator(), acme.ID, "web")
	if err != nil {
		t.Fatal(err)
	}
	ago := func(d time.Duration) *time.Time { at := now.Add(-d); return &at }
	// Sentry's order: last used first (most recent first, never used last), then by name,
	// then newest first: the two named "a never" differ by id only, the newer first.
	seed := []storetest.SeededOrgToken{
		{Name: "b never"},
		{Name: "a never"},
		{Name: "a never"},
		{Name: "used long ago", LastUsedAt: ago(72 * time.Hour)},
		{Name: "used just now", LastUsedAt: ago(2 * time.Minute), LastUsedProjectID: web.ID},
	}
	for i := range seed {
		seed[i].CreatedAt = now.Add(time.Duration(i-1000) * time.Second)
		seed[i].LastChars = "ab" + strconv.Itoa(i)
	}
	if err := app.Fixtures(t).SeedOrgTokens(context.Background(), acme.ID, seed); err != nil {
		t.Fatal(err)
	}
	c := app.LoginAs(t, apptest.AcmeMember)
	body := c.Get(tokensPath("acme")).Body
	want := []string{"used just now", "used long ago", "a never", "b never"}
	last := -1
	for _, name := range want {
		i := strings.Index(body[last+1:], ">"+name+"<")
		if i < 0 {
			t.Fatalf("%q missing or out of order in the list", name)
		}
		last += 1 + i
	}
	if i, j := strings.Index(body, "************ab2"), strings.Index(body, "************ab1"); i < 0 || j < 0 || i > j {
		t.Errorf("tokens named alike: newest (ab2) at %d, older (ab1) at %d", i, j)
	}
	if !regexp.MustCompile(`2 minutes ago</time>\s*in project <a href="/settings/acme/releases/\?project=web">Web</a>`).MatchString(body) {
		t.Errorf("Last access lacks \"2 minutes ago in project Web\", linked to the project")
	}
	if !strings.Contains(body, "3 days ago") || !strings.Contains(body, `<span class="muted">never used</span>`) {
		t.Errorf("Last access lacks the time-only or the never used forms")
	}

	t.Run("PagesOfFifty", func(t *testing.T) {
		app.SeedOrgTokens(t, acme.ID, "bulk", 120)
		first := c.Get(tokensPath("acme"))
		if n := strings.Count(first.Body, "sntrys_************"); n != 50 {
			t.Errorf("first page shows %d tokens, want 50", n)
		}
		if !strings.Contains(first.Body, `href="/settings/acme/auth-tokens/?page=2" rel="next"`) {
			t.Errorf("first page has no Next link")
		}
		third := c.Get(tokensPath("acme") + "?page=3")
		if n := strings.Count(third.Body, "sntrys_************"); n != 125-100 {
			t.Errorf("third page shows %d tokens, want 25", n)
		}
		if !strings.Contains(third.Body, `rel="prev"`) || strings.Contains(third.Body, `rel="next"`) {
			t.Errorf("last page's links are wrong")
		}
	})
}

func TestOrgTokenAuditLog(t *testing.T) {
	t.Parallel()
	app := apptest.Start(t)
	member := app.LoginAs(t, apptest.AcmeMember)
	r := member.PostForm(tokensPath("acme")+"new-token/", url.Values{"name": {"audited"}})
	plaintext := apptest.OrgTokenPattern.FindString(r.Body)
	id := mustOnlyTokenID(t, app, "audited")
	member.PostForm(tokenPath("acme", id), url.Values{"name": {"audited twice"}})
	app.LoginAs(t, apptest.AcmeManager).PostForm(tokenPath("acme", id)+"revoke/", url.Values{"confirmed": {"1"}})
	mask := "sntrys_************" + plaintext[len(plaintext)-4:]

	t.Run("OwnersAndManagersSeeEntriesNewestFirst", func(t *testing.T) {
		for _, who := range []string{apptest.AcmeOwner, apptest.AcmeManager} {
			body := app.LoginAs(t, who).Get("/settings/acme/audit-log/").Body
			want := [][]string{
				{apptest.AcmeManager, core.AuditOrgTokenRevoked, "audited twice (" + mask + ")", "127.0.0.1"},
				{apptest.AcmeMember, core.AuditOrgTokenRenamed, "audited → audited twice (" + mask + ")", "127.0.0.1"},
				{apptest.AcmeMember, core.AuditOrgTokenCreated, "audited (" + mask + ")", "127.0.0.1"},
			}
			last := 0
			for _, row := range want {
				// A sentence per event (issue 12): "<actor> added org auth token <target>",
				// then the event code and the IP.
				cells := `<tr data-event="` + row[1] + `"><td><div class="audit-sentence"><strong>` + row[0] + "</strong> " +
					core.AuditPhrase(row[1]) + " " + row[2] + `</div><div class="muted audit-meta"><code>` + row[1] + "</code> · IP " + row[3] + "</div>"
				i := strings.Index(body[last:], cells)
				if i < 0 {
					t.Fatalf("%s: audit log lacks %q after offset %d", who, cells, last)
				}
				last += i
			}
			if strings.Contains(body, plaintext) {
				t.Errorf("audit log shows the token")
			}
		}
	})
	t.Run("OthersAreForbidden", func(t *testing.T) {
		for _, who := range []string{apptest.AcmeAdmin, apptest.AcmeMember, apptest.AcmeBilling} {
			if r := app.LoginAs(t, who).Get("/settings/acme/audit-log/"); r.Status != http.StatusForbidden {
				t.Errorf("%s: status %d, want 403", who, r.Status)
			}
		}
	})
	t.Run("Paginated", func(t *testing.T) {
		for i := range 50 {
			app.CreateOrgToken(t, apptest.AcmeOwner, "acme", fmt.Sprintf("filler %02d", i))
		}
		c := app.LoginAs(t, apptest.AcmeOwner)
		first := c.Get("/settings/acme/audit-log/")
		if !strings.Contains(first.Body, "filler 49") || !strings.Contains(first.Body, `rel="next"`) {
			t.Errorf("first page lacks the newest entry or a Next link")
		}
		second := c.Get("/settings/acme/audit-log/?page=2")
		if !strings.Contains(second.Body, "audited twice (") || strings.Contains(second.Body, "filler 49") {
			t.Errorf("second page does not hold the older entries")
		}
	})
}
