package apptest

import (
	"context"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/core"
)

// The fixtures that the tests of both surfaces (web/ui and web/api) build on: the demo's
// people, tokens made through the services, and the checks that a token works or leaked.

// The demo's people, one per role, plus an owner of another organization and nobody.
const (
	AcmeOwner   = "owner@acme.test"
	AcmeOwner2  = "owner2@acme.test"
	AcmeManager = "manager@acme.test"
	AcmeAdmin   = "admin@acme.test"
	AcmeMember  = "member@acme.test"
	AcmeBilling = "billing@acme.test"
	GlobexOwner = "owner@globex.test"
	Anonymous   = ""
)

// Roles are the acme roles in table order, then an outsider (a member of globex only).
var Roles = []string{AcmeOwner, AcmeManager, AcmeAdmin, AcmeMember, AcmeBilling, GlobexOwner}

// OrgTokenPattern finds an org token in a page or a body.
var OrgTokenPattern = regexp.MustCompile(`sntrys_[A-Za-z0-9+/]+={0,2}_[A-Za-z0-9+/]{43}`)

// ClientAs returns a client signed in as email, or an anonymous one for Anonymous.
func (a *App) ClientAs(t testing.TB, email string) *Client {
	t.Helper()
	if email == Anonymous {
		return a.Client(t)
	}
	return a.LoginAs(t, email)
}

// CreateOrgToken creates a token in the organization as the user, through the service.
func (a *App) CreateOrgToken(t testing.TB, email, org, name string) (*core.OrgToken, string) {
	t.Helper()
	tok, plaintext, err := a.DB.CreateOrgToken(a.As(t, email), a.Org(t, org).ID, core.NewOrgToken{Name: name})
	if err != nil {
		t.Fatalf("create org token %q as %s: %v", name, email, err)
	}
	return tok, plaintext
}

// OrgToken reads a token of acme as its first owner, whatever its state.
func (a *App) OrgToken(t testing.TB, id int64) *core.OrgToken {
	t.Helper()
	tok, err := a.DB.OrgToken(a.As(t, AcmeOwner), a.Org(t, "acme").ID, id)
	if err != nil {
		t.Fatalf("org token %d: %v", id, err)
	}
	return tok
}

// Authenticate runs the bearer lookup on a token, failing the test on a malformed token. The
// error, if any, is returned for its message.
func (a *App) Authenticate(t testing.TB, plaintext string) error {
	t.Helper()
	_, err := a.authenticate(t, plaintext)
	return err
}

// TokenWorks reports whether a token still authenticates.
func (a *App) TokenWorks(t testing.TB, plaintext string) bool {
	t.Helper()
	_, err := a.authenticate(t, plaintext)
	return err == nil
}

// Principal returns what a token authenticates as, failing the test if it does not.
func (a *App) Principal(t testing.TB, plaintext string) *core.Principal {
	t.Helper()
	p, err := a.authenticate(t, plaintext)
	if err != nil {
		t.Fatalf("token does not authenticate: %v", err)
	}
	return p
}

func (a *App) authenticate(t testing.TB, plaintext string) (*core.Principal, error) {
	t.Helper()
	parsed, err := core.ParseToken(plaintext)
	if err != nil {
		t.Fatalf("token does not parse: %v", err)
	}
	return a.DB.AuthenticateToken(context.Background(), parsed)
}

// Integration is an integration made through the service, with its first token.
type Integration struct {
	Slug    string
	TokenID int64
	Plain   string
}

// CreateIntegration creates an integration in org as email, with Issue & Event Read.
func (a *App) CreateIntegration(t testing.TB, email, org, name string) Integration {
	t.Helper()
	i, tok, plain, err := a.DB.CreateIntegration(a.As(t, email), a.Org(t, org).ID,
		core.IntegrationInput{Name: name, Scopes: core.NewScopeSet(core.ScopeEventRead)})
	if err != nil {
		t.Fatalf("create integration %q: %v", name, err)
	}
	return Integration{Slug: i.Slug, TokenID: tok.ID, Plain: plain}
}

// LiveIntegrationTokens counts an acme integration's live tokens, as its owner sees them.
func (a *App) LiveIntegrationTokens(t testing.TB, slug string) int {
	t.Helper()
	tokens, err := a.DB.IntegrationTokens(a.As(t, AcmeOwner), a.Org(t, "acme").ID, slug)
	if err != nil {
		t.Fatalf("tokens of %s: %v", slug, err)
	}
	return len(tokens)
}

// AssertNowhere checks that an org token, or its secret part, is in no log line, cookie, URL
// (the server logs no paths; clients were never redirected to one holding it) or database
// column or file.
func (a *App) AssertNowhere(t testing.TB, plaintext string, clients ...*Client) {
	t.Helper()
	secret := plaintext[strings.LastIndexByte(plaintext, '_')+1:]
	// The last 4 characters are stored on purpose; the rest of the secret never is.
	needles := []string{plaintext, secret[:len(secret)-4]}
	// The scan must find what is stored, or finding nothing proves nothing.
	if where := a.FindInDatabase(t, core.HashToken(plaintext)); !slices.Contains(where, "tokens.token_hash") {
		t.Fatalf("the database scan does not find the token's hash: %v", where)
	}
	for _, needle := range needles {
		if strings.Contains(a.Logs.String(), needle) {
			t.Errorf("the logs contain the token")
		}
		for _, c := range clients {
			for _, ck := range c.Cookies() {
				if strings.Contains(ck, needle) || strings.Contains(ck, url.QueryEscape(needle)) {
					t.Errorf("cookie %.40s… contains the token", ck)
				}
			}
		}
		if where := a.FindInDatabase(t, needle); len(where) > 0 {
			t.Errorf("the database holds the token in %v", where)
		}
	}
}
