package ui_test

import (
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/demo"
)

// loginFreeFailures are the failures of one account from one IP before delays start
// (web/ui/ratelimit.go).
const loginFreeFailures = 3

// signInFrom posts the sign-in form from the loopback address ip (the server's client IP),
// as a browser would (same-origin, so no CSRF token is needed).
func signInFrom(t *testing.T, app *apptest.App, ip, email, password string) (int, string) {
	t.Helper()
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	client := &http.Client{
		Transport:     &http.Transport{DialContext: dialer.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	req, _ := http.NewRequest(http.MethodPost, app.URL+"/auth/login/",
		strings.NewReader(url.Values{"email": {email}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, html.UnescapeString(string(body))
}

var tryAgain = regexp.MustCompile(`Too many failed attempts\. Try again in (\d+) seconds?\.`)

// Issue 10 item 8: failures slow down the (account, IP) and the IP that fail, with growing
// waits; they never lock the real user out from an address that has not been failing.
func TestFailedSignInsSlowDownTheAttackerNotTheUser(t *testing.T) {
	app := apptest.Start(t)
	const attacker, user = "127.0.0.2", "127.0.0.1"

	// The attacker guesses the member's password, faster than the delays allow: past the
	// free failures each answer says how long to wait, and attempts before then are refused
	// without a password check.
	var told, refused int
	for range 15 {
		status, body := signInFrom(t, app, attacker, apptest.AcmeMember, "a wrong guess")
		switch status {
		case http.StatusUnauthorized:
			if tryAgain.MatchString(body) {
				told++
			}
		case http.StatusTooManyRequests:
			if !tryAgain.MatchString(body) {
				t.Errorf("a refused attempt does not say how long to wait")
			}
			refused++
		default:
			t.Fatalf("a wrong guess was answered %d", status)
		}
	}
	if told == 0 || refused < 10 {
		t.Errorf("of 15 quick guesses %d were told to wait and %d refused; want the wait announced and most refused", told, refused)
	}
	// Even the right password is refused from the attacker's address until its wait is over.
	if status, _ := signInFrom(t, app, attacker, apptest.AcmeMember, demo.Password); status != http.StatusTooManyRequests {
		t.Errorf("the right password from the failing address: status %d, want 429", status)
	}
	// The member, from their own address, signs in at once.
	if status, body := signInFrom(t, app, user, apptest.AcmeMember, demo.Password); status != http.StatusSeeOther {
		t.Fatalf("the member from another address: status %d, want 303 (signed in): %.200s", status, body)
	}

	// Spraying many accounts from one address slows that address down for every account.
	const sprayer = "127.0.0.3"
	for i := range 25 {
		signInFrom(t, app, sprayer, "nobody"+string(rune('a'+i))+"@acme.test", "a wrong guess")
	}
	if status, _ := signInFrom(t, app, sprayer, apptest.AcmeOwner, demo.Password); status != http.StatusTooManyRequests {
		t.Errorf("the right password from an address that sprayed 25 accounts: status %d, want 429", status)
	}
	if status, _ := signInFrom(t, app, user, apptest.AcmeOwner, demo.Password); status != http.StatusSeeOther {
		t.Errorf("the owner from an address that has not been failing: status %d, want 303", status)
	}
}
