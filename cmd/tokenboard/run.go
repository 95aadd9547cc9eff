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
	"github.com/tokenboard/tokenboard/internal/blob"
	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/datadir"
	"github.com/tokenboard/tokenboard/internal/demo"
	"github.com/tokenboard/tokenboard/internal/mail"
	"github.com/tokenboard/tokenboard/internal/secretscan"
	"github.com/tokenboard/tokenboard/internal/store"
)

// Main is the program: it parses arguments, runs one subcommand and closes what it opened.
type Main struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	Config         Config
	// Ready, when set, receives the listening address once the server accepts connections
	// (tests use it to find a random port).
	Ready func(addr string)
	// PasswordCost, when not 0, is the bcrypt cost of the passwords this run hashes instead of
	// the store's default; tests set the cheapest, which the race detector makes bearable.
	PasswordCost int
}

// NewMain returns a Main reading and writing the given streams.
func NewMain(stdin io.Reader, stdout, stderr io.Writer) *Main {
	return &Main{stdin: stdin, stdout: stdout, stderr: stderr}
}

const usage = `tokenboard — Sentry-style auth tokens, self-hosted.

Usage:
  tokenboard [serve] [flags]          run the server (the default)
  tokenboard migrate [flags]          apply database migrations and exit
  tokenboard import --from-sqlite DIR --database-url postgres://…
                                      move the SQLite installation in data folder DIR
                                      (stopped) into an empty PostgreSQL database
  tokenboard demo [--password P]      seed the demo organizations (idempotent)
  tokenboard user create --email E --name N --password-stdin
  tokenboard org create --slug S --name N --owner E
  tokenboard member add --org S --email E --role R
  tokenboard member remove --org S --email E

Operator commands work while the server runs, and it sees their changes on its next request.
Only one server may serve a data folder at a time.

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
	var a operatorArgs
	switch cmd {
	case "demo":
		fs.StringVar(&a.password, "password", demo.Password, "password of every demo user")
	case "user create":
		fs.StringVar(&a.email, "email", "", "email address")
		fs.StringVar(&a.name, "name", "", "display name")
		fs.BoolVar(&a.passwordStdin, "password-stdin", false, "read the password from standard input")
	case "org create":
		fs.StringVar(&a.slug, "slug", "", "organization slug")
		fs.StringVar(&a.name, "name", "", "organization name")
		fs.StringVar(&a.owner, "owner", "", "email of the owner, an existing user")
	case "member add":
		fs.StringVar(&a.org, "org", "", "organization slug")
		fs.StringVar(&a.email, "email", "", "email of an existing user")
		fs.StringVar(&a.role, "role", "member", "role")
	case "member remove":
		fs.StringVar(&a.org, "org", "", "organization slug")
		fs.StringVar(&a.email, "email", "", "email of the member")
	case "import":
		fs.StringVar(&a.fromSQLite, "from-sqlite", "", "data folder of the SQLite installation to import (holds tokenboard.db and blobs/)")
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
	if cmd == "import" {
		return m.importSQLite(ctx, a.fromSQLite)
	}
	logger := m.logger()
	if err := os.MkdirAll(m.Config.Data, 0o700); err != nil {
		return err
	}
	if cmd == "serve" {
		// Before the database is opened: a second server must not even run migrations. Other
		// commands take no lock; SQLite's own locking orders their writes with the server's.
		lock, err := datadir.Acquire(m.Config.Data)
		if err != nil {
			return err
		}
		defer lock.Release()
	}
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
	}
	if err := m.operatorCommand(ctx, opCtx, db, cmd, a); err != nil {
		return err
	}
	// The command committed a write the server (if one serves this folder) has not seen: its
	// commit hook only counts its own commits. Tell it, so its next request reads the change.
	if err := datadir.NotifyWrite(ctx, m.Config.Data); err != nil {
		fmt.Fprintf(m.stderr, "warning: %v; the server sees the change within a second.\n", err)
	}
	return nil
}

// operatorArgs are the flags of the operator commands.
type operatorArgs struct {
	email, name, slug, owner, org, role, password string
	passwordStdin                                 bool
	// fromSQLite is import's source data folder.
	fromSQLite string
}

// operatorCommand runs one of the commands that write the database next to the server.
func (m *Main) operatorCommand(ctx, opCtx context.Context, db *store.DB, cmd string, a operatorArgs) error {
	switch cmd {
	case "demo":
		return demo.Seed(opCtx, db, a.password, m.stdout)
	case "user create":
		if !a.passwordStdin {
			return errors.New("give the password on standard input with --password-stdin")
		}
		line, err := bufio.NewReader(m.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		u, err := db.CreateUser(opCtx, core.NewUser{Email: a.email, Name: a.name, Password: strings.TrimRight(line, "\r\n")})
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.stdout, "Created user %s (id %d).\n", u.Email, u.ID)
	case "org create":
		u, err := db.UserByEmail(ctx, a.owner)
		if err != nil {
			return fmt.Errorf("owner %q: %w", a.owner, describe(err))
		}
		o, err := db.CreateOrg(core.WithActor(ctx, core.Actor{User: u, IP: "console"}), a.slug, a.name)
		if err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.stdout, "Created organization %s owned by %s.\n", o.Slug, u.Email)
	case "member add":
		o, err := db.OrgBySlug(ctx, a.org)
		if err != nil {
			return fmt.Errorf("organization %q: %w", a.org, describe(err))
		}
		if _, err := db.UserByEmail(ctx, a.email); err != nil {
			return fmt.Errorf("user %q: %w", a.email, describe(err))
		}
		if _, err := db.AddMember(opCtx, o.ID, a.email, core.Role(a.role)); err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.stdout, "Added %s to %s as %s.\n", a.email, o.Slug, a.role)
	case "member remove":
		o, err := db.OrgBySlug(ctx, a.org)
		if err != nil {
			return fmt.Errorf("organization %q: %w", a.org, describe(err))
		}
		u, err := db.UserByEmail(ctx, a.email)
		if err != nil {
			return fmt.Errorf("user %q: %w", a.email, describe(err))
		}
		if err := db.RemoveMember(opCtx, o.ID, u.ID); err != nil {
			return describe(err)
		}
		fmt.Fprintf(m.stdout, "Removed %s from %s.\n", u.Email, o.Slug)
	}
	return nil
}

// importSQLite copies the SQLite installation in the data folder dir into the PostgreSQL
// database of --database-url (store.CopySQLiteToPostgres): all or nothing, into an empty
// database only. It holds dir's lock, so no server serves the SQLite file meanwhile, and
// leaves dir as it was: moving back is pointing the server at dir again.
func (m *Main) importSQLite(ctx context.Context, dir string) error {
	if dir == "" {
		return errors.New("import: give the SQLite installation's data folder with --from-sqlite DIR")
	}
	if m.Config.DatabaseURL == "" {
		return errors.New("import: give the PostgreSQL database with --database-url postgres://… (or $TOKENBOARD_DATABASE_URL)")
	}
	path := filepath.Join(dir, "tokenboard.db")
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("import: no SQLite installation in %s: %w", dir, err)
	}
	lock, err := datadir.Acquire(dir)
	if err != nil {
		return fmt.Errorf("import: %w (stop the server first)", err)
	}
	defer lock.Release()
	src, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer src.Close()
	var files *blob.FS
	if _, err := os.Stat(filepath.Join(dir, "blobs")); err == nil {
		if files, err = blob.NewFS(filepath.Join(dir, "blobs")); err != nil {
			return err
		}
	}
	dst, err := store.OpenPostgres(ctx, m.Config.DatabaseURL)
	if err != nil {
		return err
	}
	defer dst.Close()
	report, err := store.CopySQLiteToPostgres(ctx, src, dst, files)
	if err != nil {
		return fmt.Errorf("import: %w; nothing was written", err)
	}
	var rows int64
	for _, t := range report.Tables {
		rows += t.Rows
		fmt.Fprintf(m.stdout, "%-26s %d\n", t.Table, t.Rows)
	}
	fmt.Fprintf(m.stdout, "Imported %d rows in %d tables and %d uploaded files (%d bytes) from %s.\n",
		rows, len(report.Tables), report.Blobs, report.BlobBytes, path)
	return nil
}

// describe turns a core error into a message for the console.
func describe(err error) error { return errors.New(core.ErrorText(err)) }

func (m *Main) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: m.Config.LogLevel}
	if m.Config.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(m.stderr, opts))
	}
	return slog.New(slog.NewTextHandler(m.stderr, opts))
}

// openDB opens the configured backend: PostgreSQL when --database-url is set, else the SQLite
// file in the data folder.
func (m *Main) openDB(ctx context.Context) (*store.DB, error) {
	var db *store.DB
	var err error
	if m.Config.DatabaseURL != "" {
		db, err = store.OpenPostgres(ctx, m.Config.DatabaseURL)
	} else {
		db, err = store.Open(ctx, filepath.Join(m.Config.Data, "tokenboard.db"))
	}
	if err != nil {
		return nil, err
	}
	db.BaseURL = m.Config.BaseURL
	if m.PasswordCost != 0 {
		db.PasswordCost = m.PasswordCost
	}
	return db, nil
}

// serve runs the web server and the mail sender until ctx is done, then shuts both down.
func (m *Main) serve(ctx context.Context, db *store.DB, logger *slog.Logger) error {
	if m.Config.Demo {
		opCtx := core.WithActor(ctx, core.Actor{Operator: true, IP: "console"})
		if _, err := demo.SeedIfEmpty(opCtx, db, demo.Password, m.stdout); err != nil {
			return err
		}
	}
	transport, err := m.mailTransport()
	if err != nil {
		return err
	}
	logger.Info("mail", "transport", transport.Describe())
	var scanKeys *secretscan.KeySet
	if m.Config.SecretScanningKeys != "" {
		if scanKeys, err = secretscan.LoadKeys(m.Config.SecretScanningKeys); err != nil {
			return err
		}
		logger.Info("secret scanning", "keys", m.Config.SecretScanningKeys)
	}
	a, err := app.New(ctx, db, app.Config{
		BaseURL:            m.Config.BaseURL,
		BehindProxy:        m.Config.BehindProxy,
		Transport:          transport,
		MailFrom:           m.Config.MailFrom,
		SessionIdle:        m.Config.SessionIdle,
		MailLease:          m.Config.MailLease,
		Logger:             logger,
		DataDir:            m.Config.Data,
		SecretScanningKeys: scanKeys,
	})
	if err != nil {
		return err
	}
	srv, sender, uses := a.Server, a.Sender, a.Uses
	// Operator commands write the same file from another process; they announce it here so the
	// next request does not answer from the cache. Without the socket (a data path too long for
	// one, say) their changes are still seen, within the cache's lifetime of a second.
	if control, err := datadir.ListenControl(m.Config.Data, db.Invalidate); err != nil {
		logger.Warn("no control socket: operator commands' changes are seen within a second", "err", err)
	} else {
		defer control.Close()
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return err
	}
	// The database URL may hold a password: the log names only the backend.
	database := "sqlite"
	if m.Config.DatabaseURL != "" {
		database = "postgresql"
	}
	logger.Info("listening", "addr", ln.Addr().String(), "base_url", m.Config.BaseURL, "data", m.Config.Data, "database", database)
	if m.Ready != nil {
		m.Ready(ln.Addr().String())
	}

	senderDone, usesDone, maintDone := make(chan struct{}), make(chan struct{}), make(chan struct{})
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	go func() { sender.Run(workCtx); close(senderDone) }()
	go func() { uses.Run(workCtx); close(usesDone) }()
	go func() { a.Maintenance.Run(workCtx); close(maintDone) }()
	remindersDone := make(chan struct{})
	go func() { a.Reminders.Run(workCtx); close(remindersDone) }()
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
	<-maintDone
	<-remindersDone
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
