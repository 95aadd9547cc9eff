package ui_test

import (
	"fmt"
	"io"
	"strconv"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/views"
)

// BenchmarkOrgTokenListPage measures what the Auth Tokens page costs the server for one page
// of 50 tokens: the service's query (permission check included) and the template render,
// with 100 and 10,000 live tokens in the organization. The last page of 10,000 shows what an
// OFFSET deep into the list adds. Results are in BENCHMARKS.md.
func BenchmarkOrgTokenListPage(b *testing.B) {
	const size = 50
	cases := []struct {
		tokens, page int
	}{
		{100, 1},
		{10_000, 1},
		{10_000, 10_000 / size},
	}
	for _, tc := range cases {
		b.Run(fmt.Sprintf("tokens=%d/page=%d", tc.tokens, tc.page), func(b *testing.B) {
			app := apptest.Start(b)
			acme := app.Org(b, "acme")
			app.SeedOrgTokens(b, acme.ID, "bench", tc.tokens)
			ctx := app.As(b, apptest.AcmeMember)
			p := views.Page{Title: "Auth Tokens", Nav: views.NavAuthTokens, User: core.ActorFrom(ctx).User, Org: acme, Role: core.RoleMember}
			page := core.Page{Offset: (tc.page - 1) * size, Limit: size + 1}
			now := time.Now()
			for b.Loop() {
				tokens, err := app.DB.OrgTokens(ctx, acme.ID, page)
				if err != nil {
					b.Fatal(err)
				}
				if len(tokens) < size {
					b.Fatalf("%d tokens on the page, want %d", len(tokens), size)
				}
				// The rows as the handler builds them, URLs included.
				v := views.OrgTokensView{NewURL: "/settings/acme/auth-tokens/new-token/", Now: now}
				for _, t := range tokens[:size] {
					edit := "/settings/acme/auth-tokens/" + strconv.FormatInt(t.ID, 10) + "/"
					v.Rows = append(v.Rows, views.OrgTokenRow{Token: t, EditURL: edit, RevokeURL: edit + "revoke/"})
				}
				if err := views.OrgTokens(p, v).Render(ctx, io.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
