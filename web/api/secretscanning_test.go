package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/smtptest"
)

// reportEntry is one entry of GitHub's report.
type reportEntry struct {
	Token  string `json:"token"`
	Type   string `json:"type"`
	URL    string `json:"url"`
	Source string `json:"source"`
}

func reportBody(t *testing.T, entries ...reportEntry) []byte {
	t.Helper()
	b, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newMail waits for the outbox to drain and returns the messages that arrived after the
// first `before`.
func newMail(t *testing.T, app *apptest.App, before int) []smtptest.Message {
	t.Helper()
	app.WaitOutboxDelivered(t, 5*time.Second)
	return app.SMTP.Messages()[before:]
}

// mailTo returns the subjects of the messages to addr.
func mailTo(msgs []smtptest.Message, addr string) []smtptest.Message {
	var out []smtptest.Message
	for _, m := range msgs {
		if slices.Contains(m.To, addr) {
			out = append(out, m)
		}
	}
	return out
}

func checkDetails(t *testing.T, res *apptest.Response, status int, want string) {
	t.Helper()
	var body map[string]string
	if res.Status != status || json.Unmarshal([]byte(res.Body), &body) != nil || body["details"] != want || len(body) != 1 {
		t.Errorf("status %d body %q, want %d {\"details\": %q}", res.Status, res.Body, status, want)
	}
}

// TestSecretScanningReportRevokesAndNotifies sends GitHub's report, signed with a P-256 key
// made for this test, naming a live token of each kind and two that are not ours.
func TestSecretScanningReportRevokesAndNotifies(t *testing.T) {
	app := apptest.Start(t)
	orgToken := app.MintOrgToken(t, "acme", "Deploy from CI")
	userToken := app.MintUserToken(t, apptest.AcmeMember, core.NewScopeSet(core.ScopeOrgRead), nil)
	intToken := app.MintIntegrationToken(t, "acme", core.NewScopeSet(core.ScopeOrgRead))
	unknownUser, _ := core.GenerateUserToken()
	app.WaitOutboxDelivered(t, 5*time.Second)
	before := len(app.SMTP.Messages())

	const leakURL = "https://github.com/acme/app/blob/abc/.env"
	body := reportBody(t,
		reportEntry{orgToken, "sentry_org_auth_token", leakURL, "content"},
		reportEntry{userToken, "sentry_user_auth_token", leakURL, "commit"},
		reportEntry{intToken, "sentry_integration_token", leakURL, "issue"},
		reportEntry{unknownUser, "sentry_user_auth_token", leakURL, "content"},
		reportEntry{"not-a-token-at-all", "sentry_org_auth_token", leakURL, "content"},
	)
	sig := app.SignReport(t, body)
	res := app.PostReport(t, body, "application/json", apptest.SecretScanningKeyID, sig)
	if res.Status != http.StatusOK {
		t.Fatalf("status %d: %s", res.Status, res.Body)
	}
	var got []map[string]string
	res.JSON(t, &got)
	wantLabels := []string{"true_positive", "true_positive", "true_positive", "false_positive", "false_positive"}
	tokens := []string{orgToken, userToken, intToken, unknownUser, "not-a-token-at-all"}
	types := []string{"sentry_org_auth_token", "sentry_user_auth_token", "sentry_integration_token", "sentry_user_auth_token", "sentry_org_auth_token"}
	if len(got) != len(tokens) {
		t.Fatalf("%d answers, want %d: %s", len(got), len(tokens), res.Body)
	}
	for i := range tokens {
		want := map[string]string{"token_hash": core.HashToken(tokens[i]), "token_type": types[i], "label": wantLabels[i]}
		if len(got[i]) != 3 || got[i]["token_hash"] != want["token_hash"] || got[i]["token_type"] != want["token_type"] || got[i]["label"] != want["label"] {
			t.Errorf("answer %d = %v, want %v", i, got[i], want)
		}
	}
	if strings.Contains(res.Body, orgToken) || strings.Contains(res.Body, userToken) {
		t.Error("the answer repeats a token")
	}

	// Revoked at once (the default policy): the next request with each fails.
	for name, tok := range map[string]string{"org": orgToken, "user": userToken, "integration": intToken} {
		if r := app.Bearer(t, http.MethodGet, "/api/0/organizations/acme/", tok, nil); r.Status != http.StatusUnauthorized {
			t.Errorf("%s token after the report: status %d, want 401", name, r.Status)
		}
	}

	// One email per owner per org or integration token, one to the user for theirs.
	msgs := newMail(t, app, before)
	for _, owner := range []string{apptest.AcmeOwner, "owner2@acme.test"} {
		subjects := []string{}
		for _, m := range mailTo(msgs, owner) {
			subjects = append(subjects, m.Subject)
			if !strings.Contains(m.Text, leakURL) || strings.Contains(m.Text, orgToken) || strings.Contains(m.Text, intToken) {
				t.Errorf("mail to %s lacks the URL or holds a token:\n%s", owner, m.Text)
			}
			if !strings.Contains(m.Text, "************") || !strings.Contains(m.Text, "has been revoked") {
				t.Errorf("mail to %s lacks the masked token or the revocation:\n%s", owner, m.Text)
			}
			if !strings.Contains(m.Text, app.URL+"/settings/acme/") {
				t.Errorf("mail to %s has no link to the token:\n%s", owner, m.Text)
			}
		}
		slices.Sort(subjects)
		want := []string{"Action Required: Integration Token Exposed", "Action Required: Organization Auth Token Exposed"}
		if !slices.Equal(subjects, want) {
			t.Errorf("mail to %s: %q, want %q", owner, subjects, want)
		}
	}
	userMail := mailTo(msgs, apptest.AcmeMember)
	if len(userMail) != 1 || userMail[0].Subject != "Action Required: User Auth Token Exposed" ||
		!strings.Contains(userMail[0].Text, leakURL) || !strings.Contains(userMail[0].Text, "commit") {
		t.Errorf("mail to the user: %+v", userMail)
	}
	if len(msgs) != 5 {
		t.Errorf("%d messages, want 5 (2 owners × 2 tokens, 1 user)", len(msgs))
	}

	// The audit log says why the tokens went.
	log, err := app.DB.AuditLog(apptest.AsOperator(), app.Org(t, "acme").ID, "", core.Page{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	var exposed, revoked int
	for _, e := range log {
		if e.Event == core.AuditTokenExposed && strings.Contains(e.Target, "revoked because it was reported exposed") && strings.Contains(e.Target, leakURL) {
			exposed++
		}
		if (e.Event == core.AuditOrgTokenRevoked || e.Event == core.AuditIntegrationTokenRevoked) && strings.Contains(e.Target, "reported exposed") {
			revoked++
		}
		if e.ActorEmail != "GitHub secret scanning" && (e.Event == core.AuditTokenExposed) {
			t.Errorf("audit actor %q", e.ActorEmail)
		}
	}
	if exposed != 2 || revoked != 2 {
		t.Errorf("audit: %d exposure and %d revocation entries, want 2 and 2", exposed, revoked)
	}

	// A replay of the same signed report answers the same and changes nothing: no mail, no entry.
	again := app.PostReport(t, body, "application/json", apptest.SecretScanningKeyID, sig)
	if again.Status != http.StatusOK || again.Body != res.Body {
		t.Errorf("replay: %d %s, want the first answer %s", again.Status, again.Body, res.Body)
	}
	if m := newMail(t, app, before+len(msgs)); len(m) != 0 {
		t.Errorf("the replay sent %d more messages", len(m))
	}
	log2, _ := app.DB.AuditLog(apptest.AsOperator(), app.Org(t, "acme").ID, "", core.Page{Limit: 20})
	if len(log2) != len(log) || log2[0].ID != log[0].ID {
		t.Error("the replay wrote to the audit log")
	}
}

// TestSecretScanningRefusesUnsignedReports checks every way a report is refused, and that a
// refused report neither revokes nor mails.
func TestSecretScanningRefusesUnsignedReports(t *testing.T) {
	app := apptest.Start(t)
	orgToken := app.MintOrgToken(t, "acme", "Refused report target")
	app.WaitOutboxDelivered(t, 5*time.Second)
	before := len(app.SMTP.Messages())
	body := reportBody(t, reportEntry{orgToken, "sentry_org_auth_token", "https://example.com/x", "content"})
	good := app.SignReport(t, body)
	other := app.SignReport(t, append([]byte(" "), body...))

	checkDetails(t, app.PostReport(t, body, "application/json", apptest.SecretScanningKeyID, other), 400, "invalid signature")
	checkDetails(t, app.PostReport(t, body, "application/json", "another-key", good), 400, "invalid signature")
	checkDetails(t, app.PostReport(t, body, "application/json", "", ""), 400, "invalid signature")
	checkDetails(t, app.PostReport(t, body, "application/json", apptest.SecretScanningKeyID, ""), 400, "invalid signature")
	checkDetails(t, app.PostReport(t, body, "application/json", apptest.SecretScanningKeyID, "bm90IGEgc2lnbmF0dXJl"), 400, "invalid signature")
	checkDetails(t, app.PostReport(t, body, "text/plain", apptest.SecretScanningKeyID, good), 400, "invalid content type")
	checkDetails(t, app.PostReport(t, body, "", apptest.SecretScanningKeyID, good), 400, "invalid content type")

	// A body over the limit is refused before it is read in full, signed or not.
	big := reportBody(t, reportEntry{orgToken, "sentry_org_auth_token", strings.Repeat("x", 300<<10), "content"})
	if res := app.PostReport(t, big, "application/json", apptest.SecretScanningKeyID, app.SignReport(t, big)); res.Status != http.StatusRequestEntityTooLarge {
		t.Errorf("body over the limit: status %d, want 413", res.Status)
	}
	// A signed body that is not GitHub's array.
	notArray := []byte(`{"token": "x"}`)
	checkDetails(t, app.PostReport(t, notArray, "application/json", apptest.SecretScanningKeyID, app.SignReport(t, notArray)), 400, "invalid payload")

	if !app.TokenWorks(t, orgToken) {
		t.Error("a refused report revoked the token")
	}
	if m := newMail(t, app, before); len(m) != 0 {
		t.Errorf("refused reports sent %d messages", len(m))
	}
	// The good signature still works afterwards: the token goes.
	if res := app.PostReport(t, body, "application/json; charset=utf-8", apptest.SecretScanningKeyID, good); res.Status != 200 {
		t.Fatalf("good report: %d %s", res.Status, res.Body)
	}
	if app.TokenWorks(t, orgToken) {
		t.Error("the token works after a good report")
	}
}
