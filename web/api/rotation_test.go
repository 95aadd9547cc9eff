package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// setClock moves the store's clock, the one clock of the server, to at.
func setClock(t *testing.T, app *apptest.App, at time.Time) {
	t.Helper()
	app.DB.Now = func() time.Time { return at }
	t.Cleanup(func() { app.DB.Now = func() time.Time { return time.Now().UTC() } })
}

func orgCall(app *apptest.App, t *testing.T, token string) int {
	return app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/projects/", token, nil).Status
}

// TestOrgTokenRotationOverlap rotates an org token with a 1-hour overlap: both tokens work
// until the overlap ends, then only the successor does; the owners get the creation email
// naming the replaced token; the list shows the pair.
func TestOrgTokenRotationOverlap(t *testing.T) {
	app := apptest.Start(t)
	start := time.Now().UTC().Truncate(time.Second)
	setClock(t, app, start)
	owner := app.LoginAs(t, apptest.AcmeOwner)
	old, oldPlain := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "Deploys")
	app.WaitOutboxDelivered(t, 5*time.Second)
	before := len(app.SMTP.Messages())

	res := owner.JSON(http.MethodPost, apiToken(itoa64(old.ID))+"rotate/", map[string]any{"overlap": "1h"})
	if res.Status != http.StatusCreated {
		t.Fatalf("rotate: %d %s", res.Status, res.Body)
	}
	var got struct {
		ID, Name, Token, ReplacesID string
		ReplacedTokenStopsAt        time.Time
	}
	res.JSON(t, &got)
	if got.Name != "Deploys" || !strings.HasPrefix(got.Token, "sntrys_") || got.ReplacesID != itoa64(old.ID) ||
		!got.ReplacedTokenStopsAt.Equal(start.Add(time.Hour)) {
		t.Errorf("rotation answer: %+v", got)
	}
	if res.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", res.Header.Get("Cache-Control"))
	}
	if orgCall(app, t, oldPlain) != 200 || orgCall(app, t, got.Token) != 200 {
		t.Fatal("both tokens must work during the overlap")
	}
	page := owner.Get("/settings/acme/auth-tokens/")
	if !strings.Contains(page.Body, "Replaced") || !strings.Contains(page.Body, "stops working in 1 h") && !strings.Contains(page.Body, "stops working in 60 min") {
		t.Errorf("the list does not show the pair:\n%.3000s", page.Body)
	}
	setClock(t, app, start.Add(59*time.Minute))
	if orgCall(app, t, oldPlain) != 200 {
		t.Error("the old token stopped before the overlap ended")
	}
	setClock(t, app, start.Add(time.Hour))
	if code := orgCall(app, t, oldPlain); code != http.StatusUnauthorized {
		t.Errorf("the old token after the overlap: %d, want 401", code)
	}
	if orgCall(app, t, got.Token) != 200 {
		t.Error("the successor stopped")
	}

	msgs := newMail(t, app, before)
	owners := mailTo(msgs, apptest.AcmeOwner)
	if len(owners) != 1 || !strings.Contains(owners[0].Text, "It replaces the token Deploys") ||
		!strings.Contains(owners[0].Text, "keeps working until") {
		t.Errorf("owner's creation email: %+v", owners)
	}
	if len(mailTo(msgs, "owner2@acme.test")) != 1 {
		t.Error("the second owner got no creation email")
	}

	// A token already rotated is not rotated again.
	setClock(t, app, start.Add(10*time.Minute))
	if r := owner.JSON(http.MethodPost, apiToken(itoa64(old.ID))+"rotate/", map[string]any{"overlap": "1h"}); r.Status != http.StatusConflict {
		t.Errorf("second rotation: %d %s, want 409", r.Status, r.Body)
	}
}

// TestTokenRotationRules covers no overlap, the permissions, session only, a bad overlap and
// the expiry rule of user tokens.
func TestTokenRotationRules(t *testing.T) {
	app := apptest.Start(t)
	start := time.Now().UTC().Truncate(time.Second)
	setClock(t, app, start)
	owner := app.LoginAs(t, apptest.AcmeOwner)

	tok, plain := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "No overlap")
	if r := owner.JSON(http.MethodPost, apiToken(itoa64(tok.ID))+"rotate/", map[string]any{"overlap": "2h"}); r.Status != http.StatusBadRequest {
		t.Errorf("overlap 2h: %d, want 400", r.Status)
	}
	member := app.LoginAs(t, apptest.AcmeMember)
	if r := member.JSON(http.MethodPost, apiToken(itoa64(tok.ID))+"rotate/", map[string]any{"overlap": "none"}); r.Status != http.StatusForbidden {
		t.Errorf("a member rotating: %d, want 403", r.Status)
	}
	if r := app.Bearer(t, http.MethodPost, apiToken(itoa64(tok.ID))+"rotate/", app.MintUserToken(t, apptest.AcmeOwner, core.NewScopeSet(core.ScopeOrgRead), nil), map[string]any{}); r.Status != http.StatusForbidden {
		t.Errorf("a bearer token rotating: %d, want 403", r.Status)
	}
	if r := owner.JSON(http.MethodPost, apiToken(itoa64(tok.ID))+"rotate/", map[string]any{"overlap": "none"}); r.Status != http.StatusCreated {
		t.Fatalf("rotate without overlap: %d %s", r.Status, r.Body)
	}
	if orgCall(app, t, plain) != http.StatusUnauthorized {
		t.Error("the old token works after a rotation without overlap")
	}

	// A user token that lives 30 days, rotated 10 days in: the successor lives 30 days from now.
	expires := start.Add(30 * 24 * time.Hour)
	user := app.LoginAs(t, apptest.AcmeMember)
	res := user.JSON(http.MethodPost, "/api/0/api-tokens/", map[string]any{"scopes": []string{"org:read"}, "expiresAt": expires, "name": "laptop"})
	if res.Status != http.StatusCreated {
		t.Fatalf("create: %d %s", res.Status, res.Body)
	}
	var created struct{ ID, Token string }
	res.JSON(t, &created)
	later := start.Add(10 * 24 * time.Hour)
	setClock(t, app, later)
	res = user.JSON(http.MethodPost, "/api/0/api-tokens/"+created.ID+"/rotate/", map[string]any{"overlap": "7d"})
	if res.Status != http.StatusCreated {
		t.Fatalf("rotate user token: %d %s", res.Status, res.Body)
	}
	var rotated struct {
		Name, Token string
		ExpiresAt   time.Time
		Scopes      []string
	}
	res.JSON(t, &rotated)
	if rotated.Name != "laptop" || !rotated.ExpiresAt.Equal(later.Add(30*24*time.Hour)) || strings.Join(rotated.Scopes, " ") != "org:read" {
		t.Errorf("successor: %+v", rotated)
	}
	setClock(t, app, later.Add(7*24*time.Hour-time.Second))
	if orgCall(app, t, created.Token) != 200 {
		t.Error("the old user token stopped before its 7-day overlap")
	}
	setClock(t, app, later.Add(7*24*time.Hour))
	if orgCall(app, t, created.Token) != http.StatusUnauthorized {
		t.Error("the old user token works after its overlap")
	}
	if orgCall(app, t, rotated.Token) != 200 {
		t.Error("the successor does not work")
	}
	// Another user's token id is not found. (The clock has moved 17 days: sign in again, as
	// the first session has ended after its 14 idle days.)
	owner = app.LoginAs(t, apptest.AcmeOwner)
	if r := owner.JSON(http.MethodPost, "/api/0/api-tokens/"+created.ID+"/rotate/", map[string]any{}); r.Status != http.StatusNotFound {
		t.Errorf("rotating another user's token: %d, want 404", r.Status)
	}
}
