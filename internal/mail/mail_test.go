package mail_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/mail"
	"github.com/tokenboard/tokenboard/internal/smtptest"
	"github.com/tokenboard/tokenboard/views/email"
)

const (
	from       = "tokenboard <noreply@tokenboard.test>"
	fromAddr   = "noreply@tokenboard.test"
	waitLong   = 20 * time.Second
	fakeSecret = "sntrys_eyJpYXQiOjE3MDAwMDAwMDB9_c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0"
)

var created = time.Date(2026, time.November, 23, 15, 5, 9, 0, time.FixedZone("CET", 3600))

func orgTokenData() core.OrgTokenCreatedMail {
	return core.OrgTokenCreatedMail{
		ActorEmail:  "alice@example.com",
		TokenName:   "CI deploy",
		OrgName:     "Acme",
		IP:          "203.0.113.7",
		Time:        created,
		TokenMasked: "************AbCd",
		ReviewURL:   "https://tokenboard.test/settings/acme/auth-tokens/7/",
	}
}

func mustSMTP(t *testing.T, srv *smtptest.Server) mail.Transport {
	t.Helper()
	tr, err := mail.NewSMTPTransport(srv.URL(), "ignored@tokenboard.test")
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

// startSender runs a sender with millisecond retries until the test ends.
func startSender(t *testing.T, outbox core.Outbox, tr mail.Transport, tune func(*mail.Sender)) *mail.Sender {
	t.Helper()
	s := mail.NewSender(outbox, mail.RenderFunc(email.Render), tr, from, slog.New(slog.NewTextHandler(testWriter{t}, nil)))
	s.PollInterval = 10 * time.Millisecond
	s.RetryBase = 10 * time.Millisecond
	s.RetryMax = 80 * time.Millisecond
	if tune != nil {
		tune(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
	return s
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

var tagOrEntity = regexp.MustCompile(`<[a-zA-Z/!]|&[a-z]+;|&#`)

func assertPlainText(t *testing.T, text string) {
	t.Helper()
	if loc := tagOrEntity.FindStringIndex(text); loc != nil {
		t.Errorf("text part contains HTML near %q:\n%s", text[loc[0]:min(len(text), loc[0]+30)], text)
	}
}

func assertContains(t *testing.T, part, body string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(body, w) {
			t.Errorf("%s part does not contain %q:\n%s", part, w, body)
		}
	}
}

func assertWellFormed(t *testing.T, m smtptest.Message, to string) {
	t.Helper()
	if m.ParseErr != nil {
		t.Fatalf("message does not parse: %v\n%s", m.ParseErr, m.Data)
	}
	if !strings.HasPrefix(m.Header.Get("Content-Type"), "multipart/alternative") {
		t.Errorf("Content-Type = %q, want multipart/alternative", m.Header.Get("Content-Type"))
	}
	if got := m.Header.Get("From"); !strings.Contains(got, fromAddr) {
		t.Errorf("From = %q, want %s", got, fromAddr)
	}
	if got := m.Header.Get("To"); !strings.Contains(got, to) {
		t.Errorf("To = %q, want %s", got, to)
	}
	if _, err := m.Header.Date(); err != nil {
		t.Errorf("Date: %v", err)
	}
	if !regexp.MustCompile(`^<[^<>@\s]+@[^<>@\s]+>$`).MatchString(m.Header.Get("Message-Id")) {
		t.Errorf("Message-ID = %q", m.Header.Get("Message-Id"))
	}
	if m.Text == "" || m.HTML == "" {
		t.Errorf("want both parts, got text %d bytes, html %d bytes", len(m.Text), len(m.HTML))
	}
	assertPlainText(t, m.Text)
}

func TestDelivery(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		template  string
		data      any
		subject   string
		textWants []string
		htmlWants []string
	}{
		{
			name:     "OrgTokenCreated",
			template: core.MailOrgTokenCreated,
			data:     orgTokenData(),
			subject:  "Organization auth token created in Acme",
			textWants: []string{
				"Security Notice",
				`User alice@example.com has created a new Organization Auth Token ************AbCd "CI deploy" for your organization Acme.`,
				"alice@example.com",
				"203.0.113.7",
				"Nov 23, 2026, 14:05:09 UTC",
				"review or revoke",
				"https://tokenboard.test/settings/acme/auth-tokens/7/",
				"Don't recognize this activity?",
				"audit log",
				"contact an owner of Acme",
			},
			htmlWants: []string{
				"Security Notice",
				"<strong>alice@example.com</strong> has created a new Organization Auth Token",
				"Nov 23, 2026, 14:05:09 UTC",
				`href="https://tokenboard.test/settings/acme/auth-tokens/7/"`,
				"************AbCd",
				"Review this token",
				"Don&#39;t recognize this activity?",
			},
		},
		{
			name:     "UserTokenCreated",
			template: core.MailUserTokenCreated,
			data: core.UserTokenCreatedMail{
				AccountEmail: "bob@example.com",
				TokenName:    "laptop",
				IP:           "2001:db8::1",
				Time:         created,
				ReviewURL:    "https://tokenboard.test/settings/account/api/auth-tokens/",
			},
			subject: "Security settings changed",
			textWants: []string{
				"Security Notice",
				"A new API token was created for your account",
				"bob@example.com",
				"laptop",
				"2001:db8::1",
				"Nov 23, 2026, 14:05:09 UTC",
				"https://tokenboard.test/settings/account/api/auth-tokens/",
				"Don't recognize this activity?",
			},
			htmlWants: []string{
				"Security Notice",
				"A new API token was created for your account",
				"laptop",
				`href="https://tokenboard.test/settings/account/api/auth-tokens/"`,
			},
		},
		{
			name:     "Invite",
			template: core.MailInvite,
			data: core.InviteMail{
				OrgName:      "Acme",
				InviterEmail: "alice@example.com",
				Role:         "manager",
				AcceptURL:    "https://tokenboard.test/accept/abc123/",
			},
			subject: "Join Acme on tokenboard",
			textWants: []string{
				"alice@example.com has invited you to join the organization Acme on tokenboard as manager.",
				"https://tokenboard.test/accept/abc123/",
			},
			htmlWants: []string{
				"Join Acme on tokenboard",
				`href="https://tokenboard.test/accept/abc123/"`,
				"Accept Invitation",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := smtptest.Start(t)
			outbox := newOutbox()
			startSender(t, outbox, mustSMTP(t, srv), nil)
			to := "owner@example.org"
			id := outbox.enqueue(t, to, tt.template, tt.data)

			m := srv.WaitFor(t, 1, waitLong)[0]
			assertWellFormed(t, m, to)
			if m.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", m.Subject, tt.subject)
			}
			if m.From != fromAddr || len(m.To) != 1 || m.To[0] != to {
				t.Errorf("envelope = %q -> %q, want %q -> %q", m.From, m.To, fromAddr, to)
			}
			if m.Username != smtptest.Username {
				t.Errorf("AUTH username = %q, want %q", m.Username, smtptest.Username)
			}
			assertContains(t, "text", m.Text, tt.textWants...)
			assertContains(t, "html", m.HTML, tt.htmlWants...)
			if got := outbox.waitSent(t, id); got.Attempts != 0 || got.LastError != "" {
				t.Errorf("sent after %d failures (%q), want first time", got.Attempts, got.LastError)
			}
		})
	}
}

func TestRender(t *testing.T) {
	t.Parallel()
	t.Run("UnknownTemplateIsAnError", func(t *testing.T) {
		if _, err := email.Render("nope", []byte(`{}`)); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("MissingFieldIsAnError", func(t *testing.T) {
		if _, err := email.Render(core.MailOrgTokenCreated, []byte(`{"org_name":"Acme"}`)); err == nil {
			t.Fatal("want an error")
		}
	})
	t.Run("EscapesUserDataInHTMLOnly", func(t *testing.T) {
		d := orgTokenData()
		d.TokenName = `Tom's <script>alert(1)</script> & "co"`
		d.OrgName = "Acme\r\nBcc: victim@example.com"
		d.ReviewURL = "javascript:alert(1)"
		raw := mustJSON(t, d)
		m, err := email.Render(core.MailOrgTokenCreated, raw)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(m.HTML, "<script>") || strings.Contains(m.HTML, `href="javascript:`) {
			t.Errorf("HTML contains unescaped user data:\n%s", m.HTML)
		}
		assertContains(t, "html", m.HTML, "&lt;script&gt;")
		assertContains(t, "text", m.Text, `Organization Auth Token ************AbCd "Tom's <script>alert(1)</script> & "co"" for your organization Acme  Bcc: victim@example.com.`)
		if strings.Contains(m.Text, "\nBcc:") {
			t.Errorf("a control character in user data broke a line of the text part:\n%s", m.Text)
		}
	})
}

// Issue 10 item 6: an organization name stored before validation refused bidi controls must
// not reach the subject reversed ("Join ‮proC emcA on tokenboard"), nor break its line.
func TestInviteSubjectCarriesNoBidiOrControl(t *testing.T) {
	t.Parallel()
	raw := mustJSON(t, core.InviteMail{OrgName: "\u202eproC emcA\u2066\r\nBcc: x@example.com\u0085",
		InviterEmail: "owner@example.com", Role: "member", AcceptURL: "https://tb.example/accept/x/"})
	m, err := email.Render(core.MailInvite, raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := "Join proC emcA  Bcc: x@example.com on tokenboard"; m.Subject != want {
		t.Errorf("subject %q, want %q", m.Subject, want)
	}
	for _, r := range m.Subject + m.Text {
		if core.IsControlCharacter(r) && r != '\n' && r != '\r' || core.IsBidiControl(r) {
			t.Fatalf("email carries %U:\nsubject %q\n%s", r, m.Subject, m.Text)
		}
	}
}

// The token's value must never be in an email: not in the data, and not rendered even if a
// caller put it there by mistake.
func TestOrgTokenEmailNeverContainsToken(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	outbox := newOutbox()
	startSender(t, outbox, mustSMTP(t, srv), nil)
	raw := mustJSON(t, orgTokenData())
	polluted := append(raw[:len(raw)-1:len(raw)-1], []byte(`,"token":"`+fakeSecret+`","value":"`+fakeSecret+`"}`)...)

	rendered, err := email.Render(core.MailOrgTokenCreated, polluted)
	if err != nil {
		t.Fatal(err)
	}
	for part, body := range map[string]string{"subject": rendered.Subject, "text": rendered.Text, "html": rendered.HTML} {
		if strings.Contains(strings.ToLower(body), "sntry") {
			t.Errorf("rendered %s contains a token:\n%s", part, body)
		}
	}

	outbox.enqueue(t, "owner@example.org", core.MailOrgTokenCreated, polluted)
	m := srv.WaitFor(t, 1, waitLong)[0]
	for part, body := range map[string]string{"raw message": m.Data, "text": m.Text, "html": m.HTML} {
		if strings.Contains(strings.ToLower(body), "sntry") {
			t.Errorf("delivered %s contains a token:\n%s", part, body)
		}
	}
}

func TestSMTPOutage(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	srv.Stop()
	outbox := newOutbox()
	s := startSender(t, outbox, mustSMTP(t, srv), nil)

	id := outbox.enqueue(t, "owner@example.org", core.MailOrgTokenCreated, orgTokenData())
	s.Wake()
	outbox.waitUntil(t, "three attempts failed", func() bool { return outbox.get(id).Attempts >= 3 })

	failures := outbox.failuresOf(id)
	for i, f := range failures[:3] {
		if f.PriorAttempts != i {
			t.Errorf("failure %d: prior attempts %d, want %d", i, f.PriorAttempts, i)
		}
		if f.Reason == "" {
			t.Errorf("failure %d: no reason recorded", i)
		}
		// next is computed just before MarkFailed, so it is at most one backoff after it.
		if delay := f.Next.Sub(f.At); delay > s.Backoff(i) {
			t.Errorf("failure %d: retry in %v, want at most %v", i, delay, s.Backoff(i))
		}
	}
	if got := outbox.get(id); got.SentAt != nil {
		t.Fatalf("marked sent while the server was down")
	}
	if len(srv.Messages()) != 0 {
		t.Fatalf("server stopped but received %d messages", len(srv.Messages()))
	}

	srv.Restart()
	m := srv.WaitFor(t, 1, waitLong)[0]
	assertWellFormed(t, m, "owner@example.org")
	outbox.waitSent(t, id)

	// Exactly once: a later message goes out after the first was marked sent; if the first were
	// still due it would come before it, in the same batch.
	sentinel := outbox.enqueue(t, "other@example.org", core.MailInvite, core.InviteMail{
		OrgName: "Acme", InviterEmail: "alice@example.com", Role: "member", AcceptURL: "https://tokenboard.test/accept/x/",
	})
	s.Wake()
	outbox.waitSent(t, sentinel)
	msgs := srv.WaitFor(t, 2, waitLong)
	if len(msgs) != 2 || msgs[0].To[0] != "owner@example.org" || msgs[1].To[0] != "other@example.org" {
		for _, m := range msgs {
			t.Logf("got %q to %v", m.Subject, m.To)
		}
		t.Fatalf("want the security notice once, then the invite; got %d messages", len(msgs))
	}
}

func TestBackoff(t *testing.T) {
	t.Parallel()
	s := mail.NewSender(newOutbox(), mail.RenderFunc(email.Render), mail.NewFileTransport(t.TempDir()), "", nil)
	want := []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second,
		160 * time.Second, 320 * time.Second, 10 * time.Minute, 10 * time.Minute}
	for attempts, w := range want {
		if got := s.Backoff(attempts); got != w {
			t.Errorf("Backoff(%d) = %v, want %v", attempts, got, w)
		}
	}
	if got := s.Backoff(1 << 20); got != 10*time.Minute {
		t.Errorf("Backoff(huge) = %v, want the cap", got)
	}
}

func TestWakeSendsWithoutWaitingForPoll(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	outbox := newOutbox()
	s := startSender(t, outbox, mustSMTP(t, srv), func(s *mail.Sender) { s.PollInterval = time.Hour })
	outbox.waitUntil(t, "the sender's first look at the outbox", func() bool {
		outbox.mu.Lock()
		defer outbox.mu.Unlock()
		return outbox.dueCalls > 0
	})
	id := outbox.enqueue(t, "owner@example.org", core.MailOrgTokenCreated, orgTokenData())
	s.Wake()
	srv.WaitFor(t, 1, waitLong)
	outbox.waitSent(t, id)
}

func TestUnrenderableMessageDoesNotBlockTheQueue(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	outbox := newOutbox()
	start := time.Now()
	startSender(t, outbox, mustSMTP(t, srv), func(s *mail.Sender) { s.PermanentRetry = time.Hour })

	unknown := outbox.enqueue(t, "owner@example.org", "no-such-template", []byte(`{}`))
	garbage := outbox.enqueue(t, "owner@example.org", core.MailOrgTokenCreated, []byte(`{not json`))
	badAddr := outbox.enqueue(t, "not an address", core.MailOrgTokenCreated, orgTokenData())
	good := outbox.enqueue(t, "owner@example.org", core.MailOrgTokenCreated, orgTokenData())

	outbox.waitSent(t, good)
	for _, id := range []int64{unknown, garbage, badAddr} {
		outbox.waitUntil(t, "the bad message is marked failed", func() bool { return outbox.get(id).Attempts > 0 })
		m := outbox.get(id)
		if m.SentAt != nil || m.Attempts != 1 || m.LastError == "" {
			t.Errorf("message %d: sent %v, attempts %d, error %q; want one failure", id, m.SentAt, m.Attempts, m.LastError)
		}
		if m.NextAttemptAt.Before(start.Add(time.Hour)) {
			t.Errorf("message %d: retried at %v, want the long delay", id, m.NextAttemptAt)
		}
	}
	if got := outbox.get(unknown).LastError; !strings.Contains(got, "unknown template") {
		t.Errorf("reason = %q", got)
	}
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server got %d messages, want 1", n)
	}
}

func TestFileTransport(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "outbox")
	tr := mail.NewFileTransport(dir)
	if !strings.Contains(tr.Describe(), dir) {
		t.Errorf("Describe() = %q", tr.Describe())
	}
	outbox := newOutbox()
	startSender(t, outbox, tr, nil)
	id := outbox.enqueue(t, "owner@example.org", core.MailOrgTokenCreated, orgTokenData())
	outbox.waitSent(t, id)

	info, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o700 {
		t.Errorf("directory mode %v, want 0700", perm)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("want 1 file, got %v", entries)
	}
	name := entries[0].Name()
	if !regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z-1\.eml$`).MatchString(name) {
		t.Errorf("file name %q, want <UTC timestamp>-<outbox id>.eml", name)
	}
	raw, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := smtptest.ParseMessage(string(raw))
	if err != nil {
		t.Fatalf("%v\n%s", err, raw)
	}
	assertWellFormed(t, m, "owner@example.org")
	if m.Subject != "Organization auth token created in Acme" {
		t.Errorf("Subject = %q", m.Subject)
	}
	assertContains(t, "text", m.Text, `User alice@example.com has created a new Organization Auth Token ************AbCd "CI deploy" for your organization Acme.`)

	// Outside a Sender there is no outbox id: the name gets a random part instead.
	if err := tr.Send(context.Background(), mail.Envelope{To: "x@example.org"}, core.RenderedMail{Subject: "s", Text: "t", HTML: "<p>h</p>"}); err != nil {
		t.Fatal(err)
	}
	entries, _ = os.ReadDir(dir)
	if len(entries) != 2 || !regexp.MustCompile(`^\d{8}T\d{6}\.\d{9}Z-[0-9a-f]{16}\.eml$`).MatchString(entries[1].Name()) {
		t.Errorf("files %v, want a second one with a random suffix", entries)
	}
}

func TestNewSMTPTransport(t *testing.T) {
	t.Parallel()
	good := []struct{ url, describe string }{
		{"smtp://user:s3cret@mail.example.com:587", "smtp://user@mail.example.com:587 (STARTTLS opportunistic)"},
		{"smtp://mail.example.com", "smtp://mail.example.com:25 (STARTTLS opportunistic)"},
		{"smtp://mail.example.com:587?starttls=required", "smtp://mail.example.com:587 (STARTTLS required)"},
		{"smtps://user%40example.com:s3cret@mail.example.com", "smtps://user%40example.com@mail.example.com:465 (implicit TLS)"},
		{"smtps://u:s3cret@[2001:db8::25]:2465", "smtps://u@[2001:db8::25]:2465 (implicit TLS)"},
	}
	for _, tt := range good {
		tr, err := mail.NewSMTPTransport(tt.url, from)
		if err != nil {
			t.Errorf("%s: %v", tt.url, err)
			continue
		}
		if got := tr.Describe(); got != tt.describe {
			t.Errorf("%s: Describe() = %q, want %q", tt.url, got, tt.describe)
		}
	}
	bad := []string{
		"http://mail.example.com",
		"smtp://",
		"smtp://user:s3cret@mail.example.com:notaport",
		"smtp://user:s3cret@mail.example.com:0",
		"smtp://mail.example.com/path",
		"smtp://mail.example.com?starttls=maybe",
		"smtp://mail.example.com?tls=off",
		"smtps://mail.example.com?starttls=required",
		"mail.example.com:25",
	}
	for _, u := range bad {
		_, err := mail.NewSMTPTransport(u, from)
		if err == nil {
			t.Errorf("%s: want an error", u)
			continue
		}
		if strings.Contains(err.Error(), "s3cret") {
			t.Errorf("%s: error leaks the password: %v", u, err)
		}
	}
}

// TestClaimedMessageGoesOutOnceWithinItsLease: where the outbox claims what it hands out
// (several instances on PostgreSQL), the sender delivers a claimed message once and records it.
func TestClaimedMessageGoesOutOnceWithinItsLease(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	outbox := newOutbox()
	outbox.claims = true
	startSender(t, outbox, mustSMTP(t, srv), nil)
	id := outbox.enqueue(t, "owner@example.org", core.MailOrgTokenCreated, orgTokenData())
	outbox.waitSent(t, id)
	if n := len(srv.Messages()); n != 1 {
		t.Errorf("server got %d messages, want 1", n)
	}
}

// TestNoAttemptOnAClaimAboutToEnd: an attempt starts only if the claim outlasts it and the
// recording of its outcome; otherwise another instance could take the message once the lease
// ends, while this one is still sending it, and the owner would get it twice.
func TestNoAttemptOnAClaimAboutToEnd(t *testing.T) {
	t.Parallel()
	srv := smtptest.Start(t)
	outbox := newOutbox()
	outbox.claims = true
	// A 12 s lease bounds an attempt to 3 s; with the 10 s allowed for recording the outcome,
	// no claim is long enough.
	startSender(t, outbox, mustSMTP(t, srv), func(s *mail.Sender) { s.Lease = 12 * time.Second })
	id := outbox.enqueue(t, "owner@example.org", core.MailOrgTokenCreated, orgTokenData())
	// The sender claims the message, leaves it, and claims again (finding it taken): had it
	// attempted the message, the server would have it by then.
	outbox.waitUntil(t, "the sender's second claim", func() bool {
		outbox.mu.Lock()
		defer outbox.mu.Unlock()
		return outbox.dueCalls >= 2
	})
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("server got %d messages on a claim too short to record them", n)
	}
	if m := outbox.get(id); m.SentAt != nil || m.Attempts != 0 {
		t.Errorf("message: sent %v, attempts %d; want it left untouched for the next claim", m.SentAt, m.Attempts)
	}
}
