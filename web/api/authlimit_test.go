package api_test

import (
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/apptest"
	"github.com/tokenboard/tokenboard/internal/core"
)

// clientFrom is an HTTP client whose connections come from the loopback address ip, so the
// server sees another client IP than 127.0.0.1.
func clientFrom(ip string) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	return &http.Client{Transport: &http.Transport{DialContext: dialer.DialContext}}
}

func bearerFrom(t *testing.T, client *http.Client, app *apptest.App, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, app.URL+"/api/0/organizations/acme/", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := res.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return res, b.String()
}

// Issue 10 item 7: a flood of unknown tokens from one IP is refused with 429 past a threshold,
// before any database lookup; other IPs are unaffected; the 401s are logged as one line per IP
// per interval, not one line each.
func TestBearerFailureFloodIsLimitedPerIP(t *testing.T) {
	app := apptest.Start(t)
	valid := app.MintUserToken(t, apptest.AcmeOwner, userTokenScopes, nil)
	unknown, err := core.GenerateUserToken()
	if err != nil {
		t.Fatal(err)
	}
	attacker, victim := clientFrom("127.0.0.2"), clientFrom("127.0.0.1")

	// A burst of 40 concurrent requests, as a flood sends them.
	type answer struct {
		res  *http.Response
		body string
	}
	answers := make(chan answer, 40)
	var wg sync.WaitGroup
	for range 40 {
		wg.Go(func() {
			res, body := bearerFrom(t, attacker, app, unknown)
			answers <- answer{res, body}
		})
	}
	wg.Wait()
	close(answers)
	statuses := map[int]int{}
	var limited *http.Response
	var limitedBody string
	for a := range answers {
		statuses[a.res.StatusCode]++
		if a.res.StatusCode == http.StatusTooManyRequests && limited == nil {
			limited, limitedBody = a.res, a.body
		}
	}
	// 20 at once, and one more per second the burst takes.
	if statuses[http.StatusUnauthorized] < 20 || statuses[http.StatusUnauthorized] > 23 ||
		statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests] != 40 {
		t.Fatalf("40 concurrent unknown tokens from one IP were answered %v, want 20 401s (the rest refused before any lookup: 429)", statuses)
	}
	if s, err := strconv.Atoi(limited.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q, want a number of seconds", limited.Header.Get("Retry-After"))
	}
	if !regexp.MustCompile(`^\{"detail":"Too many failed authentication attempts from your address\. Try again in \d+ seconds\."\}\n$`).MatchString(limitedBody) {
		t.Errorf("429 body %q", limitedBody)
	}

	// Another IP is unaffected, with a valid token or an unknown one.
	if res, _ := bearerFrom(t, victim, app, valid); res.StatusCode != http.StatusOK {
		t.Errorf("a valid token from another IP during the flood: status %d, want 200", res.StatusCode)
	}
	if res, _ := bearerFrom(t, victim, app, unknown); res.StatusCode != http.StatusUnauthorized {
		t.Errorf("an unknown token from another IP: status %d, want 401", res.StatusCode)
	}
	// (While its bucket is empty the flooding IP is refused whatever it sends: the check
	// comes before the token is read. TestAuthLimiterBucket pins it with a clock.)

	// The log has one aggregated line for the attacker, and no request line per 401 or 429.
	line := regexp.MustCompile(`msg="bearer authentication failures" ip=127\.0\.0\.2 failed=(\d+) refused=(\d+)`)
	// Lines come every 200 ms in tests; wait until they account for every answer.
	var logs string
	failed, refused := 0, 0
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		logs = app.Logs.String()
		failed, refused = 0, 0
		for _, l := range line.FindAllStringSubmatch(logs, -1) {
			f, _ := strconv.Atoi(l[1])
			r, _ := strconv.Atoi(l[2])
			failed, refused = failed+f, refused+r
		}
		if failed+refused >= 40 || time.Now().After(deadline) {
			break
		}
	}
	if failed != statuses[http.StatusUnauthorized] || refused != statuses[http.StatusTooManyRequests] {
		t.Errorf("logged failed=%d refused=%d, want %d and %d", failed, refused, statuses[http.StatusUnauthorized], statuses[http.StatusTooManyRequests])
	}
	if n := strings.Count(logs, "status=401") + strings.Count(logs, "status=429"); n != 0 {
		t.Errorf("%d request lines for 401s and 429s, want none (they are aggregated)", n)
	}
}
