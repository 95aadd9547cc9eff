package api_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/web/api"
)

func TestParseVerifyQuery(t *testing.T) {
	ok := map[string]api.VerifyRequirement{
		"":                    {},
		"org=acme":            {Org: "acme"},
		"scope=project:write": {Scopes: core.NewScopeSet(core.ScopeProjectWrite)},
		"scope=project:write&scope=org:ci&org=acme": {Scopes: core.NewScopeSet(core.ScopeProjectWrite, core.ScopeOrgCI), Org: "acme"},
		"scope=org%3Aread":                          {Scopes: core.NewScopeSet(core.ScopeOrgRead)},
	}
	for q, want := range ok {
		got, err := api.ParseVerifyQuery(q)
		if err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", q, got, err, want)
		}
	}
	for _, q := range []string{
		"scope=project:wrote", "scope=", "scopes=org:read", "org=acme&org=globex", "org=", "org=Acme",
		"scope=org:read;org=acme", "scope=%zz", "token=sntryu_x", strings.Repeat("scope=org:read&", 200),
	} {
		if _, err := api.ParseVerifyQuery(q); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("%q: %v, want EINVALID", q, err)
		}
	}
}

// FuzzParseVerifyQuery: any query either fails with EINVALID or yields known scopes and a
// valid slug, and what it yields survives being written back as a query.
func FuzzParseVerifyQuery(f *testing.F) {
	for _, seed := range []string{"", "org=acme", "scope=project:write&scope=org:ci&org=acme", "scope=%zz",
		"org=acme&org=acme", "scope=org:read;x", "a=b", "scope=org%3Aci", "org=a-b-1&scope=alerts:write"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, q string) {
		got, err := api.ParseVerifyQuery(q)
		if err != nil {
			if core.ErrorCode(err) != core.EINVALID {
				t.Fatalf("%q: error %v is not EINVALID", q, err)
			}
			return
		}
		if got.Scopes.Minus(core.AllScopes) != 0 {
			t.Fatalf("%q: unknown scope bits %b", q, got.Scopes)
		}
		if got.Org != "" && core.ValidateSlug(got.Org) != "" {
			t.Fatalf("%q: org %q is not a slug", q, got.Org)
		}
		v := url.Values{}
		for _, name := range got.Scopes.Names() {
			v.Add("scope", name)
		}
		if got.Org != "" {
			v.Set("org", got.Org)
		}
		again, err := api.ParseVerifyQuery(v.Encode())
		if err != nil || again != got {
			t.Fatalf("%q: %+v written back as %q reads %+v, %v", q, got, v.Encode(), again, err)
		}
	})
}
