// Command revoke-latency measures how long a token revoked through one tokenboard instance (A)
// is still accepted by another (B) on the same PostgreSQL database (BENCHMARKS.md,
// "PostgreSQL and several instances").
//
// Each sample: sign-in session on A creates a user token; B accepts it once (and caches the
// answer); A revokes it (DELETE /api/0/api-tokens/{id}/); from the moment that call returns —
// A has committed — B is asked in a tight loop until it refuses the token. The sample is the
// time from A's answer to B's first refusal. It prints p50, p90, p99 and the maximum, and how
// many of B's answers still accepted the token after A's.
//
// Each sample costs B at least one failed authentication (the refusal), and B refuses an
// address after 20 of them (README, "Failed authentication"): with B on loopback, each sample
// asks B from its own source address, 127.0.x.y.
//
//	go run ./scripts/revoke-latency -a http://127.0.0.1:19331 -b http://127.0.0.1:19332 -n 500
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"
)

func main() {
	a := flag.String("a", "", "instance A's URL (revokes)")
	b := flag.String("b", "", "instance B's URL (must refuse)")
	n := flag.Int("n", 500, "samples")
	email := flag.String("email", "owner@acme.test", "user signing in on A")
	password := flag.String("password", "tokenboard-demo", "their password")
	path := flag.String("path", "/api/0/organizations/acme/", "what B is asked, with the token")
	flag.Parse()
	if *a == "" || *b == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*a, *b, *n, *email, *password, *path); err != nil {
		fmt.Fprintln(os.Stderr, "revoke-latency:", err)
		os.Exit(1)
	}
}

// session is a signed-in browser on A: the session cookie and the same-origin headers that
// pass the CSRF check, as scripts/writeload.sh sends them.
type session struct {
	base   string
	client *http.Client
}

func signIn(base, email, password string) (*session, error) {
	jar, _ := cookiejar.New(nil)
	s := &session{base: base, client: &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	form := url.Values{"email": {email}, "password": {password}}
	req, _ := http.NewRequest(http.MethodPost, base+"/auth/login/", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := s.do(req)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("sign-in on %s: status %d", base, resp.StatusCode)
	}
	return s, nil
}

func (s *session) do(req *http.Request) (*http.Response, error) {
	req.Header.Set("Origin", s.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp, nil
}

// newToken creates a user token with org:read and returns its id and value.
func (s *session) newToken(i int) (id, token string, err error) {
	body, _ := json.Marshal(map[string]any{"name": fmt.Sprintf("revoke-latency %d", i), "scopes": []string{"org:read"}})
	req, _ := http.NewRequest(http.MethodPost, s.base+"/api/0/api-tokens/", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", s.base)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	resp, err := s.client.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	var created struct{ ID, Token string }
	if resp.StatusCode != http.StatusCreated {
		return "", "", fmt.Errorf("create token: status %d", resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(&created); err != nil {
		return "", "", err
	}
	return created.ID, created.Token, nil
}

func (s *session) revoke(id string) error {
	req, _ := http.NewRequest(http.MethodDelete, s.base+"/api/0/api-tokens/"+id+"/", nil)
	resp, err := s.do(req)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("revoke: status %d", resp.StatusCode)
	}
	return nil
}

// bearer asks url with the token and returns the status.
func bearer(client *http.Client, url, token string) (int, error) {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, nil
}

func run(a, b string, n int, email, password, path string) error {
	onA, err := signIn(a, email, password)
	if err != nil {
		return err
	}
	samples := make([]time.Duration, 0, n)
	staleAnswers, staleSamples := 0, 0
	for i := range n {
		id, token, err := onA.newToken(i)
		if err != nil {
			return err
		}
		// One keep-alive connection to B per sample, as a client checking tokens would hold,
		// from the sample's own loopback address.
		source := &net.TCPAddr{IP: net.IPv4(127, 0, byte(1+i/250), byte(2+i%250))}
		toB := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
			DialContext: (&net.Dialer{LocalAddr: source}).DialContext}}
		if st, err := bearer(toB, b+path, token); err != nil || st != http.StatusOK {
			return fmt.Errorf("B before the revocation: status %d, %v", st, err)
		}
		if err := onA.revoke(id); err != nil {
			return err
		}
		committed := time.Now()
		stale := 0
		for {
			st, err := bearer(toB, b+path, token)
			if err != nil {
				return err
			}
			if st == http.StatusUnauthorized {
				break
			}
			if st != http.StatusOK {
				return fmt.Errorf("B: status %d", st)
			}
			stale++
			if time.Since(committed) > 10*time.Second {
				return fmt.Errorf("B still accepts the token 10 s after A revoked it")
			}
		}
		samples = append(samples, time.Since(committed))
		toB.CloseIdleConnections()
		staleAnswers += stale
		if stale > 0 {
			staleSamples++
		}
	}
	slices.Sort(samples)
	q := func(p float64) time.Duration { return samples[min(len(samples)-1, int(p*float64(len(samples))))] }
	fmt.Printf("samples %d: p50 %v, p90 %v, p99 %v, max %v\n", len(samples), q(0.50), q(0.90), q(0.99), samples[len(samples)-1])
	fmt.Printf("B accepted the revoked token after A's answer in %d of %d samples (%d answers in all)\n",
		staleSamples, len(samples), staleAnswers)
	return nil
}
