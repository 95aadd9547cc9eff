package main

import (
	"testing"
	"time"
)

func TestSessionIdleSetting(t *testing.T) {
	for text, want := range map[string]time.Duration{"14d": 14 * 24 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute} {
		c := Config{Addr: "127.0.0.1:1", LogFormat: "text", SessionIdleText: text}
		if err := c.finish(); err != nil || c.SessionIdle != want {
			t.Errorf("--session-idle %s: %v, %v; want %v", text, c.SessionIdle, err, want)
		}
	}
	for _, text := range []string{"", "0", "10s", "d", "fortnight", "-1h"} {
		c := Config{Addr: "127.0.0.1:1", LogFormat: "text", SessionIdleText: text}
		if err := c.finish(); err == nil {
			t.Errorf("--session-idle %q was accepted", text)
		}
	}
}
