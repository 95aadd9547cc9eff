package ui_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/apptest"
)

var rotatedOrgTokenPattern = regexp.MustCompile(`sntrys_[A-Za-z0-9+/=_]+`)

// TestRotateScreens rotates an org token and a user token through their screens: the form,
// the one-time display, and the lists showing the pair; a member sees no Rotate for org tokens
// and is refused by the server.
func TestRotateScreens(t *testing.T) {
	app := apptest.Start(t)
	owner := app.LoginAs(t, apptest.AcmeOwner)
	tok, plain := app.CreateOrgToken(t, apptest.AcmeOwner, "acme", "Screen rotation")
	rotateURL := "/settings/acme/auth-tokens/" + strconv.FormatInt(tok.ID, 10) + "/rotate/"

	list := owner.Get("/settings/acme/auth-tokens/")
	if !strings.Contains(list.Body, `href="`+rotateURL+`"`) {
		t.Fatalf("the owner's list has no Rotate link")
	}
	form := owner.Get(rotateURL)
	if form.Status != http.StatusOK || !strings.Contains(form.Body, `name="overlap"`) || !strings.Contains(form.Body, "24 hours") {
		t.Fatalf("rotate form: %d", form.Status)
	}
	if bad := owner.PostForm(rotateURL, url.Values{"overlap": {"3d"}}); bad.Status != http.StatusBadRequest {
		t.Errorf("a bad overlap: %d, want 400", bad.Status)
	}
	res := owner.PostForm(rotateURL, url.Values{"overlap": {"24h"}})
	successor := res.TokenShownOnce(t, rotatedOrgTokenPattern)
	if successor == plain {
		t.Fatal("the rotation showed the old token")
	}
	if !app.TokenWorks(t, plain) || !app.TokenWorks(t, successor) {
		t.Error("both tokens must work during the overlap")
	}
	list = owner.Get("/settings/acme/auth-tokens/")
	if strings.Count(list.Body, "Screen rotation") < 2 || !strings.Contains(list.Body, "Replaced") || !strings.Contains(list.Body, "stops working in 23 h") {
		t.Errorf("the list does not show the pair")
	}
	if again := owner.PostForm(rotateURL, url.Values{"overlap": {"none"}}); again.Status != http.StatusBadRequest || !strings.Contains(again.Body, "already been rotated") {
		t.Errorf("rotating the old token again: %d", again.Status)
	}

	member := app.LoginAs(t, apptest.AcmeMember)
	if strings.Contains(member.Get("/settings/acme/auth-tokens/").Body, "/rotate/") {
		t.Error("a member sees Rotate on org tokens")
	}
	if res := member.PostForm(rotateURL, url.Values{"overlap": {"none"}}); res.Status != http.StatusForbidden {
		t.Errorf("a member rotating: %d, want 403", res.Status)
	}

	// A user token, with no overlap: the old one stops at once.
	userPlain := mustCreateUserTokenForm(t, member, url.Values{"name": {"cli"}, "expiration": {"30"}, "perm-org": {"read"}})
	p := app.Principal(t, userPlain)
	userRotate := userTokensURL + strconv.FormatInt(p.TokenID, 10) + "/rotate/"
	if !strings.Contains(member.Get(userTokensURL).Body, userRotate) {
		t.Error("the user's list has no Rotate link")
	}
	newUser := member.PostForm(userRotate, url.Values{"overlap": {"none"}}).TokenShownOnce(t, userTokenPattern)
	if app.TokenWorks(t, userPlain) || !app.TokenWorks(t, newUser) {
		t.Error("after a rotation without overlap only the successor works")
	}
}
