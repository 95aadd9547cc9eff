package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tokenboard/tokenboard/internal/app"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/demo"
	"github.com/tokenboard/tokenboard/internal/mail"
	"github.com/tokenboard/tokenboard/internal/sqlite"
)

// Main is the program: it parses arguments, runs one subcommand and closes what it opened.
type Main struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	Config         Config
	// Ready, when set, receives the listening address once the server accepts connections
	// (tests use it to find a random port).
	Ready func(addr string)
}

// NewMain returns a Main reading and writing the given streams.
func NewMain(stdin io.Reader, stdout, stderr io.Writer) *Main {
	return &Main{stdin: stdin, stdout: stdout, stderr: stderr}
}

const usage = `tokenboard — Sentry-style auth tokens, self-hosted.

Usage:
  tokenboard [serve] [flags]          run the server (the default)
  tokenboard migrate [flags]          apply database migrations and exit
  tokenboard demo [--password P]      seed the demo organizations (idempotent)
  tokenboard user create --email E --name N --password-stdin
  tokenboard org create --slug S --name N --owner E
  tokenboard member add --org S --email E --role R

Roles: member, admin, manager, owner, billing.

Flags (each also read from its environment variable):
`

// Run runs the subcommand named by args.
func (m *Main) Run(ctx context.Context, args []string) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
		if len(args) > 0 && (cmd == "user" || cmd == "org" || cmd == "member") && !strings.HasPrefix(args[0], "-") {
			cmd, args = cmd+" "+args[0], args[1:]
		}
	}
	fs := flag.NewFlagSet("tokenboard "+cmd, flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	m.Config.register(fs)
	fs.Usage = func() {
		fmt.Fprint(m.stderr, usage)
		fs.PrintDefaults()
	}
	var email, name, slug, owner, org, role, password string
	var passwordStdin bool
	switch cmd {
	case "demo":
		fs.StringVar(&password, "password", demo.Password, "password of every demo user")
	case "user create":
		fs.StringVar(&email, "email", "", "email address")
		fs.StringVar(&name, "name", "", "display name")
		fs.BoolVar(&passwordStdin, "password-stdin", false, "read the password from standard input")
	case "org create":
		fs.StringVar(&slug, "slug", "", "organization slug")
		fs.StringVar(&name, "name", "", "organization name")
		fs.StringVar(&owner, "owner", "", "email of the owner, an existing user")
	case "member add":
		fs.StringVar(&org, "org", "", "organization slug")
		fs.StringVar(&email, "email", "", "email of an existing user")
		fs.StringVar(&role, "role", "member", "role")
	case "serve", "migrate", "help":
	default:
		fs.Usage()
		return fmt.Errorf("unknown command %q", cmd)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if cmd == "help" {
		fs.Usage()
		return nil
	}
	if err := m.Config.finish(); err != nil {
		return err
	}
	logger := m.logger()
	db, err := m.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	// The operator at the console passes every permission check; the audit log says so.
	opCtx := core.WithActor(ctx, core.Actor{Operator: true, IP: "console"})

	switch cmd {
	case "serve":
		return m.serve(ctx, db, logger)
	case "migrate":
		fmt.Fprintln(m.stdout, "Migrations applied.")
		return nil
	case "demo":
		return demo.Seed(opCtx, db, password, m.stdout)
	case "user create":
		if !passwordStdin {
			return errors.New("give the password on standard input with --password-stdin")
		}
		line, err := bufio.NewReader(m.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		u, err := db.CreateUser(opCtx, core.NewUser{Email: email, Name: name, Password: strings.TrimRight(line, "\r\n")})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.stdout, "Created user %s (id %d).\n", u.Email, u.ID)
	case "org create":
		u, err := db.UserByEmail(ctx, owner)
		if err != nil {
			return fmt.Errorf("owner %q: %w", owner, describe(err))
		}
		o, err := db.CreateOrg(core.WithActor(ctx, core.Actor{User: u, IP: "console"}), slug, name)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.stdout, "Created organization %s owned by %s.\n", o.Slug, u.Email)
	case "member add":
		o, err := db.OrgBySlug(ctx, org)
		if err != nil {
			return fmt.Errorf("organization %q: %w", org, describe(err))
		}
		if _, err := db.UserByEmail(ctx, email); err != nil {
			return fmt.Errorf("user %q: %w", email, describe(err))
		}
		if _, err := db.AddMember(opCtx, o.ID, email, core.Role(role)); err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.stdout, "Added %s to %s as %s.\n", email, o.Slug, role)
	}
	return nil
}

// describe turns a core error into a message for the console.
func describe(err error) error { return errors.New(core.ErrorText(err)) }

func (m *Main) logger() *slog.Logger {
	if m.Config.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(m.stderr, nil))
	}
	return slog.New(slog.NewTextHandler(m.stderr, nil))
}

func (m *Main) openDB(ctx context.Context) (*sqlite.DB, error) {
	if err := os.MkdirAll(m.Config.Data, 0o700); err != nil {
		return nil, err
	}
	db, err := sqlite.Open(ctx, filepath.Join(m.Config.Data, "tokenboard.db"))
	if err != nil {
		return nil, err
	}
	db.BaseURL = m.Config.BaseURL
	return db, nil
}

// serve runs the web server and the mail sender until ctx is done, then shuts both down.
func (m *Main) serve(ctx context.Context, db *sqlite.DB, logger *slog.Logger) error {
	if m.Config.Demo {
		empty, err := db.IsEmpty(ctx)
		if err != nil {
			return err
		}
		if empty {
			opCtx := core.WithActor(ctx, core.Actor{Operator: true, IP: "console"})
			if err := demo.Seed(opCtx, db, demo.Password, m.stdout); err != nil {
				return err
			}
		}
	}
	transport, err := m.mailTransport()
	if err != nil {
		return err
	}
	logger.Info("mail", "transport", transport.Describe())
	a, err := app.New(ctx, db, app.Config{
		BaseURL:     m.Config.BaseURL,
		BehindProxy: m.Config.BehindProxy,
		Transport:   transport,
		MailFrom:    m.Config.MailFrom,
		Logger:      logger,
	})
	if err != nil {
		return err
	}
	srv, sender, uses := a.Server, a.Sender, a.Uses
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	logger.Info("listening", "addr", ln.Addr().String(), "base_url", m.Config.BaseURL, "data", m.Config.Data)
	if m.Ready != nil {
		m.Ready(ln.Addr().String())
	}

	senderDone, usesDone := make(chan struct{}), make(chan struct{})
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	go func() { sender.Run(workCtx); close(senderDone) }()
	go func() { uses.Run(workCtx); close(usesDone) }()
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

	select {
	case err = <-serveErr:
	case <-ctx.Done():
		logger.Info("shutting down")
		shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
		err = srv.Shutdown(shutdownCtx)
		cancel()
	}
	stopWork()
	<-senderDone
	<-usesDone
	// The server takes no more requests: save the token uses recorded since the last save.
	flushCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if ferr := uses.Flush(flushCtx); ferr != nil {
		logger.Error("saving token last-used times", "err", ferr)
	}
	return err
}

func (m *Main) mailTransport() (mail.Transport, error) {
	if m.Config.SMTPURL != "" {
		return mail.NewSMTPTransport(m.Config.SMTPURL, m.Config.MailFrom)
	}
	return mail.NewFileTransport(filepath.Join(m.Config.Data, "mail")), nil
}
