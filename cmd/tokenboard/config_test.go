package main

import (
	"log/slog"
	"strings"
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

func TestMailLeaseSetting(t *testing.T) {
	c := Config{Addr: "127.0.0.1:1", LogFormat: "text", SessionIdleText: "14d", MailLeaseText: "90s"}
	if err := c.finish(); err != nil || c.MailLease != 90*time.Second {
		t.Errorf("--mail-lease 90s: %v, %v", c.MailLease, err)
	}
	for _, text := range []string{"0", "10s", "5", "-5m", "soon"} {
		c := Config{Addr: "127.0.0.1:1", LogFormat: "text", SessionIdleText: "14d", MailLeaseText: text}
		if err := c.finish(); err == nil {
			t.Errorf("--mail-lease %q was accepted", text)
		}
	}
}

func TestLogLevelSetting(t *testing.T) {
	for text, want := range map[string]slog.Level{"": slog.LevelInfo, "info": slog.LevelInfo, "WARN": slog.LevelWarn, "debug": slog.LevelDebug, "error": slog.LevelError} {
		c := Config{Addr: "127.0.0.1:1", LogFormat: "text", SessionIdleText: "14d", LogLevelText: text}
		if err := c.finish(); err != nil || c.LogLevel != want {
			t.Errorf("--log-level %q: %v, %v; want %v", text, c.LogLevel, err, want)
		}
	}
	for _, text := range []string{"verbose", "info+2", "3"} {
		c := Config{Addr: "127.0.0.1:1", LogFormat: "text", SessionIdleText: "14d", LogLevelText: text}
		if err := c.finish(); err == nil || !strings.Contains(err.Error(), "--log-level must be debug, info, warn or error") {
			t.Errorf("--log-level %q: %v", text, err)
		}
	}
}
