package main

import (
	"net/http"
	"path/filepath"
	"strings"
	"testing"
)

// TestLogLevelWarnDropsRequestLines: at --log-level warn the server writes no line per request
// (nor its Info start-up lines), while warnings still reach the log: here the failed bearer
// authentication, written as the aggregated line at shutdown.
func TestLogLevelWarnDropsRequestLines(t *testing.T) {
	t.Parallel()
	addr, stop, logs := serveInProcess(t, "--demo", "--data", filepath.Join(t.TempDir(), "data"), "--log-level", "warn")
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/0/organizations/acme/", nil)
	req.Header.Set("Authorization", "Bearer sntryu_"+strings.Repeat("ab", 32))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("unknown token: %d", resp.StatusCode)
	}
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, logs.String())
	}
	out := logs.String()
	if strings.Contains(out, "msg=request") || strings.Contains(out, "level=INFO") {
		t.Errorf("Info lines at --log-level warn:\n%s", out)
	}
	if !strings.Contains(out, `level=WARN msg="bearer authentication failures"`) {
		t.Errorf("the failed authentication was not logged:\n%s", out)
	}
}
