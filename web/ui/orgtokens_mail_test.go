package ui_test

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/smtptest"
	"github.com/tokenboard/tokenboard/views/email"
)

// mailWait bounds waiting for the sender; mail normally arrives within milliseconds.
const mailWait = 15 * time.Second

// createThroughForm creates a token with the dashboard's form and returns it.
func createThroughForm(t *testing.T, c *apptest.Client, name string) string {
	t.Helper()
	r := c.PostForm(tokensPath("acme")+"new-token/", url.Values{"name": {name}, "expiration": {"never"}})
	token := apptest.OrgTokenPattern.FindString(r.Body)
	if r.Status != http.StatusOK || token == "" {
		t.Fatalf("create %q: status %d, no token shown", name, r.Status)
	}
	return token
}

// queuedOrgTokenMail returns the recipients of the queued org-token emails.
func queuedOrgTokenMail(t *testing.T, app *apptest.App) []string {
	t.Helper()
	rows, err := app.SQL(t).Query(`SELECT to_addr FROM outbox WHERE template = ? ORDER BY to_addr`, core.MailOrgTokenCreated)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var to []string
	for rows.Next() {
		var addr string
		if err := rows.Scan(&addr); err != nil {
			t.Fatal(err)
		}
		to = append(to, addr)
	}
	return to
}

func recipients(msgs []smtptest.Message) []string {
	var to []string
	for _, m := range msgs {
		to = append(to, m.To...)
	}
	slices.Sort(to)
	return to
}

func TestOrgTokenCreationEmailsEveryOwner(t *testing.T) {
	t.Run("BothOwnersAndNobodyElse", func(t *testing.T) {
		app := apptest.Start(t)
		token := createThroughForm(t, app.LoginAs(t, apptest.AcmeMember), `Tom's "CI" token`)
		owners := []string{apptest.AcmeOwner2, apptest.AcmeOwner}
		if queued := queuedOrgTokenMail(t, app); !slices.Equal(queued, owners) {
			t.Fatalf("queued for %v, want exactly the owners %v", queued, owners)
		}
		msgs := app.SMTP.WaitFor(t, 2, mailWait)
		if to := recipients(msgs); !slices.Equal(to, owners) {
			t.Fatalf("delivered to %v, want %v", to, owners)
		}
		var createdAt, id int64
		if err := app.SQL(t).QueryRow(`SELECT created_at, id FROM tokens WHERE kind = 'org'`).Scan(&createdAt, &id); err != nil {
			t.Fatal(err)
		}
		// The email names the token by its masked value and links to the token's own page.
		masked := "************" + token[len(token)-4:]
		tokenPage := app.URL + "/settings/acme/auth-tokens/" + strconv.FormatInt(id, 10) + "/"
		when := time.Unix(createdAt, 0).UTC().Format(email.TimeLayout)
		for _, m := range msgs {
			if m.Subject != "Organization auth token created in Acme Corp" {
				t.Errorf("subject %q", m.Subject)
			}
			for _, want := range []string{
				"Security Notice",
				`User member@acme.test has created a new Organization Auth Token ` + masked + ` "Tom's "CI" token" for your organization Acme Corp.`,
				"127.0.0.1", when, tokenPage, "Don't recognize this activity?",
			} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("to %v: text lacks %q:\n%s", m.To, want, m.Text)
				}
			}
			for _, want := range []string{"Security Notice", "Acme Corp", "127.0.0.1", when, masked, `href="` + tokenPage + `"`} {
				if !strings.Contains(m.HTML, want) {
					t.Errorf("to %v: HTML lacks %q", m.To, want)
				}
			}
			if strings.Contains(m.Data, token) || strings.Contains(m.Data, token[len(token)-20:]) {
				t.Errorf("to %v: the email carries the token", m.To)
			}
		}
	})
	t.Run("OwnerCreatorGetsOneCopy", func(t *testing.T) {
		app := apptest.Start(t)
		createThroughForm(t, app.LoginAs(t, apptest.AcmeOwner), "owner's own")
		if queued := queuedOrgTokenMail(t, app); !slices.Equal(queued, []string{apptest.AcmeOwner2, apptest.AcmeOwner}) {
			t.Errorf("queued for %v", queued)
		}
	})
	t.Run("SMTPOutageDelaysMailNotTheToken", func(t *testing.T) {
		app := apptest.Start(t)
		app.SMTP.Stop()
		token := createThroughForm(t, app.LoginAs(t, apptest.AcmeManager), "during the outage")
		if err := app.Authenticate(t, token); err != nil {
			t.Fatalf("token not usable during the outage: %v", err)
		}
		// Wait until the sender has tried and failed, so the mail below comes from a retry.
		waitUntil(t, "a failed delivery attempt", func() bool {
			var failed int
			app.SQL(t).QueryRow(`SELECT count(*) FROM outbox WHERE sent_at IS NULL AND attempts > 0`).Scan(&failed)
			return failed > 0
		})
		if n := len(app.SMTP.Messages()); n != 0 {
			t.Fatalf("%d messages delivered while the server was down", n)
		}
		app.SMTP.Restart()
		if to := recipients(app.SMTP.WaitFor(t, 2, mailWait)); !slices.Equal(to, []string{apptest.AcmeOwner2, apptest.AcmeOwner}) {
			t.Errorf("delivered to %v after the outage", to)
		}
	})
}

// waitUntil polls cond until it holds, failing the test after mailWait.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(mailWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %v for %s", mailWait, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
