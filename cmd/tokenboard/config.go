package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration, from flags and TOKENBOARD_* variables (flags win).
type Config struct {
	Addr string
	Data string
	// DatabaseURL selects PostgreSQL (postgres://…); empty means SQLite under Data.
	DatabaseURL string
	BaseURL     string
	SMTPURL     string
	MailFrom    string
	Demo        bool
	BehindProxy bool
	LogFormat   string
	// LogLevelText is --log-level as given; LogLevel is its value after finish.
	LogLevelText string
	LogLevel     slog.Level
	// SessionIdleText is --session-idle as given; SessionIdle is its value after finish.
	SessionIdleText string
	SessionIdle     time.Duration
	// MailLeaseText is --mail-lease as given; MailLease is its value after finish.
	MailLeaseText string
	MailLease     time.Duration
	// SecretScanningKeys is the path of GitHub's secret-scanning public keys (issue 15).
	SecretScanningKeys string
}

// configVar describes one setting: its flag, its environment variable and its help.
type configVar struct {
	flag, env, help string
	str             *string
	boolean         *bool
	def             string
}

func (c *Config) vars() []configVar {
	return []configVar{
		{flag: "addr", env: "TOKENBOARD_ADDR", str: &c.Addr, def: "127.0.0.1:9000", help: "address to listen on"},
		{flag: "data", env: "TOKENBOARD_DATA", str: &c.Data, def: "./data", help: "folder holding tokenboard.db and outgoing mail"},
		{flag: "database-url", env: "TOKENBOARD_DATABASE_URL", str: &c.DatabaseURL, help: "PostgreSQL database, postgres://user:pass@host:port/db, shared by several instances (README, \"Several instances\"); without it SQLite under --data"},
		{flag: "base-url", env: "TOKENBOARD_BASE_URL", str: &c.BaseURL, help: "public URL used in links, emails and org tokens (default http://<addr>)"},
		{flag: "smtp-url", env: "TOKENBOARD_SMTP_URL", str: &c.SMTPURL, help: "SMTP server, smtp://user:pass@host:port (STARTTLS when offered) or smtps://…; without it mail is written to <data>/mail/"},
		{flag: "mail-from", env: "TOKENBOARD_MAIL_FROM", str: &c.MailFrom, def: "tokenboard <tokenboard@localhost>", help: "From address of outgoing mail"},
		{flag: "demo", env: "TOKENBOARD_DEMO", boolean: &c.Demo, help: "seed the demo organizations into an empty database"},
		{flag: "behind-proxy", env: "TOKENBOARD_BEHIND_PROXY", boolean: &c.BehindProxy, help: "trust X-Forwarded-For for client IPs (only behind a proxy that sets it)"},
		{flag: "session-idle", env: "TOKENBOARD_SESSION_IDLE", str: &c.SessionIdleText, def: "14d", help: "how long a browser session lives without a request, such as 14d, 12h or 90m"},
		{flag: "mail-lease", env: "TOKENBOARD_MAIL_LEASE", str: &c.MailLeaseText, def: "5m", help: "with several instances on PostgreSQL: how long an instance keeps the outgoing messages it took; one it dies with goes out from another instance after that long (at least 20s; each delivery attempt is bounded to a quarter of it, at most a minute)"},
		{flag: "secret-scanning-keys", env: "TOKENBOARD_SECRET_SCANNING_KEYS", str: &c.SecretScanningKeys, help: "file of GitHub's secret-scanning public keys (the JSON of https://api.github.com/meta/public_keys/secret_scanning); without it exposed-token reports are refused"},
		{flag: "log-format", env: "TOKENBOARD_LOG_FORMAT", str: &c.LogFormat, def: "text", help: "log format: text or json"},
		{flag: "log-level", env: "TOKENBOARD_LOG_LEVEL", str: &c.LogLevelText, def: "info", help: "least severe log lines written: debug, info (a line per request), warn or error"},
	}
}

// register adds the settings to fs, with environment values as defaults.
func (c *Config) register(fs *flag.FlagSet) {
	for _, v := range c.vars() {
		env, set := os.LookupEnv(v.env)
		help := v.help + " [$" + v.env + "]"
		if v.boolean != nil {
			b, _ := strconv.ParseBool(env)
			fs.BoolVar(v.boolean, v.flag, set && b, help)
		} else {
			def := v.def
			if set {
				def = env
			}
			fs.StringVar(v.str, v.flag, def, help)
		}
	}
}

// finish derives defaults that depend on other settings and checks the result.
func (c *Config) finish() error {
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if !strings.HasPrefix(c.BaseURL, "http://") && !strings.HasPrefix(c.BaseURL, "https://") {
		return fmt.Errorf("--base-url must start with http:// or https://, got %q", c.BaseURL)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return fmt.Errorf("--log-format must be text or json")
	}
	if c.LogLevelText == "" {
		c.LogLevelText = "info"
	}
	level, ok := logLevels[strings.ToLower(c.LogLevelText)]
	if !ok {
		return fmt.Errorf("--log-level must be debug, info, warn or error; got %q", c.LogLevelText)
	}
	c.LogLevel = level
	idle, err := parseIdle(c.SessionIdleText)
	if err != nil {
		return err
	}
	c.SessionIdle = idle
	// The lease must outlast an attempt (a quarter of it) and the 10 s allowed for recording
	// the outcome, or no claimed message would ever be attempted.
	// Empty leaves the mail sender's default.
	if c.MailLeaseText != "" {
		lease, err := time.ParseDuration(c.MailLeaseText)
		if err != nil || lease < 20*time.Second {
			return fmt.Errorf("--mail-lease must be a duration of at least 20s, such as 5m; got %q", c.MailLeaseText)
		}
		c.MailLease = lease
	}
	return nil
}

// logLevels are the names --log-level takes.
var logLevels = map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}

// parseIdle reads --session-idle: a Go duration (12h, 90m) or a number of days (14d).
func parseIdle(s string) (time.Duration, error) {
	bad := fmt.Errorf("--session-idle must be a duration of at least a minute, such as 14d, 12h or 90m; got %q", s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, bad
		}
	}
	if d < time.Minute {
		return 0, bad
	}
	return d, nil
}
