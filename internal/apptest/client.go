package apptest

import (
	"bytes"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/tokenboard/tokenboard/internal/demo"
)

// Client is a browser-like HTTP client with its own cookies. It does not follow redirects, so
// tests see the 303 and its Location.
type Client struct {
	t    testing.TB
	app  *App
	http *http.Client
}

// Response is a fully read response.
type Response struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

// JSON decodes the body into v, failing the test on invalid JSON.
func (r *Response) JSON(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.Body), v); err != nil {
		t.Fatalf("decoding %q: %v", r.Body, err)
	}
}

// Client returns a new anonymous client.
func (a *App) Client(t testing.TB) *Client {
	jar, _ := cookiejar.New(nil)
	return &Client{t: t, app: a, http: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// On returns a client that shares c's cookies but sends its requests to another App: the one
// browser reaching another instance of the same site (several instances behind one proxy).
// Cookies do not depend on the port, so two instances on 127.0.0.1 see the same ones.
func (c *Client) On(a *App) *Client {
	return &Client{t: c.t, app: a, http: c.http}
}

// LoginAs returns a client signed in as the demo user with that email.
func (a *App) LoginAs(t testing.TB, email string) *Client {
	t.Helper()
	c := a.Client(t)
	c.Login(email, demo.Password)
	return c
}

// Login signs the client in, failing the test unless it works.
func (c *Client) Login(email, password string) {
	c.t.Helper()
	r := c.PostForm("/auth/login/", url.Values{"email": {email}, "password": {password}})
	if r.Status != http.StatusSeeOther {
		c.t.Fatalf("login as %s: status %d, body %.300s", email, r.Status, r.Body)
	}
}

// CSRF returns the client's CSRF token, fetching a page first if it has none yet.
func (c *Client) CSRF() string {
	c.t.Helper()
	if tok := c.cookie("tokenboard_csrf"); tok != "" {
		return tok
	}
	c.Get("/auth/login/")
	return c.cookie("tokenboard_csrf")
}

func (c *Client) cookie(name string) string {
	u, _ := url.Parse(c.app.URL)
	for _, ck := range c.http.Jar.Cookies(u) {
		if ck.Name == name {
			return ck.Value
		}
	}
	return ""
}

// Cookies returns the raw values of all the client's cookies.
func (c *Client) Cookies() []string {
	u, _ := url.Parse(c.app.URL)
	var out []string
	for _, ck := range c.http.Jar.Cookies(u) {
		out = append(out, ck.Name+"="+ck.Value)
	}
	return out
}

// Get sends a GET.
func (c *Client) Get(path string) *Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, c.app.URL+path, nil)
	return c.Do(req)
}

// PostForm posts a form with the client's CSRF token, as the browser's forms do.
func (c *Client) PostForm(path string, form url.Values) *Response {
	c.t.Helper()
	values := url.Values{}
	for k, v := range form {
		values[k] = v
	}
	values.Set("csrf_token", c.CSRF())
	return c.PostFormRaw(path, values)
}

// PostFormRaw posts a form exactly as given: no CSRF token is added.
func (c *Client) PostFormRaw(path string, form url.Values) *Response {
	c.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, c.app.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.Do(req)
}

// JSON sends a JSON request with the session and the CSRF header, as the dashboard's own
// scripts would. A nil body sends none.
func (c *Client) JSON(method, path string, body any) *Response {
	c.t.Helper()
	req := newJSONRequest(c.t, method, c.app.URL+path, body)
	if method != http.MethodGet && method != http.MethodHead {
		req.Header.Set("X-CSRF-Token", c.CSRF())
	}
	return c.Do(req)
}

// Do sends a request with the client's cookies.
func (c *Client) Do(req *http.Request) *Response {
	c.t.Helper()
	return do(c.t, c.http, req)
}

// Bearer sends a request authenticated only by a bearer token (no cookies), as sentry-cli does.
func (a *App) Bearer(t testing.TB, method, path, token string, body any) *Response {
	t.Helper()
	req := newJSONRequest(t, method, a.URL+path, body)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return do(t, &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, req)
}

func newJSONRequest(t testing.TB, method, url string, body any) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func do(t testing.TB, client *http.Client, req *http.Request) *Response {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", req.Method, req.URL.Path, err)
	}
	return &Response{Status: resp.StatusCode, Header: resp.Header, Body: string(body), Location: resp.Header.Get("Location")}
}

// TokenShownOnce checks the page that shows a new token of any kind: 200, not cacheable
// (no-store), the one-time warning; it returns the token pattern finds there.
func (r *Response) TokenShownOnce(t testing.TB, pattern *regexp.Regexp) string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("status %d: %.500s", r.Status, r.Body)
	}
	token := pattern.FindString(r.Body)
	if token == "" {
		t.Fatalf("no token on the page")
	}
	if cc := r.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	for _, want := range []string{"Please copy this token to a safe place — it won't be shown again!", "Done"} {
		if !strings.Contains(html.UnescapeString(r.Body), want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	return token
}
