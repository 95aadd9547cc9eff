package mail

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
	gosmtp "github.com/wneessen/go-mail/smtp"

	"github.com/tokenboard/tokenboard/internal/core"
)

// Transport delivers one rendered email to one recipient.
type Transport interface {
	// Send delivers m as env says. An error means the message was not delivered and may be
	// retried.
	Send(ctx context.Context, env Envelope, m core.RenderedMail) error
	// Describe names where mail goes, for logs; it never contains a password.
	Describe() string
}

// DialTimeout bounds connecting to the SMTP server and each command on the connection.
const DialTimeout = 15 * time.Second

// Envelope is everything about one delivery except the rendered message.
type Envelope struct {
	// To is the recipient's address.
	To string
	// From is the From address; empty means the transport's default.
	From string
	// ID and Created identify the outbox message: they name the Message-ID and the .eml
	// file. Zero outside a Sender (a random name is used then).
	ID      int64
	Created time.Time
	// Accepted, when set, is called once the message is delivered (the SMTP server answered
	// 250 to the end of DATA; the .eml file is in place), before anything else happens on the
	// connection. The Sender marks the message sent there: a process killed after that
	// moment sends no duplicate, and only one killed between the server's acceptance and the
	// mark's commit sends the message again.
	Accepted func()
}

// permanentError marks a failure that retrying cannot fix (a bad address, a template that
// does not render); the Sender retries it only after a long delay.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// newMsg builds the MIME message: multipart/alternative with text/plain then text/html,
// From, To, Subject, Date and a Message-ID. The Message-ID is derived from the outbox message,
// so a message sent twice (delivered, then the "sent" mark lost) can be recognised as one.
func newMsg(env Envelope, defaultFrom string, m core.RenderedMail) (*gomail.Msg, error) {
	from := env.From
	if from == "" {
		from = defaultFrom
	}
	msg := gomail.NewMsg()
	if err := msg.From(from); err != nil {
		return nil, permanentError{fmt.Errorf("mail: from address %q: %w", from, err)}
	}
	if err := msg.To(env.To); err != nil {
		// Not wrapped: go-mail's error quotes the address, and errors end up in logs.
		return nil, permanentError{errors.New("mail: invalid recipient address")}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if env.ID != 0 {
		msg.SetMessageIDWithValue(fmt.Sprintf("tokenboard.%d.%d@%s", env.ID, env.Created.UnixNano(), domainOf(from)))
	} else {
		msg.SetMessageID()
	}
	msg.SetUserAgent("tokenboard")
	// RFC 3834: tells vacation responders and ticket systems not to answer.
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	return msg, nil
}

func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 {
		return strings.Trim(addr[i+1:], "> ")
	}
	return "localhost"
}

// smtpTransport sends through an SMTP server with go-mail, one connection per message.
type smtpTransport struct {
	from     string
	describe string
	opts     []gomail.Option
	host     string
}

// NewSMTPTransport returns a Transport for an SMTP URL:
//
//	smtp://[user:pass@]host[:port]   plain SMTP, STARTTLS when the server offers it (port 25)
//	smtps://[user:pass@]host[:port]  implicit TLS (port 465)
//
// The query parameter starttls=required refuses to send over a plain connection on smtp://.
// With a user name, the client authenticates with PLAIN or LOGIN, whichever the server offers
// (go-mail refuses both over an unencrypted connection, except to localhost). from is the
// default From address; a Sender's own from overrides it.
func NewSMTPTransport(rawURL, from string) (Transport, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error quotes the URL, password included: keep only the reason.
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err
		}
		return nil, fmt.Errorf("mail: invalid SMTP URL: %v", err)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("mail: SMTP URL has no host")
	}
	if u.Path != "" && u.Path != "/" {
		return nil, fmt.Errorf("mail: SMTP URL must not have a path")
	}
	opts := []gomail.Option{gomail.WithTimeout(DialTimeout)}
	var port int
	policy := "STARTTLS opportunistic"
	switch u.Scheme {
	case "smtp":
		port = 25
		tls := gomail.TLSOpportunistic
		q := u.Query()
		switch q.Get("starttls") {
		case "", "opportunistic":
		case "required":
			tls, policy = gomail.TLSMandatory, "STARTTLS required"
		default:
			return nil, fmt.Errorf("mail: SMTP URL: starttls must be opportunistic or required")
		}
		q.Del("starttls")
		if len(q) > 0 {
			return nil, fmt.Errorf("mail: SMTP URL: unknown parameters %q", strings.Join(keys(q), ", "))
		}
		opts = append(opts, gomail.WithTLSPolicy(tls))
	case "smtps":
		port, policy = 465, "implicit TLS"
		if u.RawQuery != "" {
			return nil, fmt.Errorf("mail: SMTPS URL takes no parameters")
		}
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, fmt.Errorf("mail: SMTP URL scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("mail: SMTP URL: invalid port %q", p)
		}
	}
	opts = append(opts, gomail.WithPort(port))
	user := ""
	if u.User != nil {
		user = u.User.Username()
		pass, _ := u.User.Password()
		if user != "" {
			opts = append(opts,
				gomail.WithUsername(user), gomail.WithPassword(pass),
				gomail.WithOpportunisticSMTPAuth(gomail.SMTPAuthPlain, gomail.SMTPAuthLogin))
		}
	}
	if _, err := gomail.NewClient(host, opts...); err != nil {
		return nil, fmt.Errorf("mail: SMTP client: %w", err)
	}
	d := url.URL{Scheme: u.Scheme, Host: net.JoinHostPort(host, strconv.Itoa(port))}
	if user != "" {
		d.User = url.User(user)
	}
	return &smtpTransport{
		from:     from,
		describe: fmt.Sprintf("%s (%s)", d.String(), policy),
		opts:     opts,
		host:     host,
	}, nil
}

func keys(v url.Values) []string {
	var ks []string
	for k := range v {
		ks = append(ks, k)
	}
	return ks
}

func (t *smtpTransport) Describe() string { return t.describe }

func (t *smtpTransport) Send(ctx context.Context, env Envelope, m core.RenderedMail) error {
	msg, err := newMsg(env, t.from, m)
	if err != nil {
		return err
	}
	// A client per message: a go-mail Client holds connection state and is not safe to share,
	// and security notices are rare enough that connection reuse buys nothing.
	c, err := gomail.NewClient(t.host, t.opts...)
	if err != nil {
		return fmt.Errorf("mail: SMTP client: %w", err)
	}
	// go-mail's Send follows DATA with RSET and the caller's Close with QUIT, two more round
	// trips before the caller could mark the message sent. The transaction is driven here
	// instead, so env.Accepted runs as soon as the server has accepted the data.
	conn, err := c.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return fmt.Errorf("mail: send via %s: %w", t.describe, err)
	}
	defer c.CloseWithSMTPClient(conn) // QUIT; once the data is accepted, its answer does not matter
	if err := sendData(conn, msg); err != nil {
		return fmt.Errorf("mail: send via %s: %w", t.describe, err)
	}
	if env.Accepted != nil {
		env.Accepted()
	}
	return nil
}

// sendData runs one SMTP mail transaction on conn: MAIL FROM, RCPT TO, DATA. It returns once
// the server has answered the end of the data: nil means the server took the message.
func sendData(conn *gosmtp.Client, msg *gomail.Msg) error {
	from, err := msg.GetSender(false)
	if err != nil {
		return permanentError{err}
	}
	rcpts, err := msg.GetRecipients()
	if err != nil {
		return permanentError{err}
	}
	if err := conn.Mail(from); err != nil {
		return err
	}
	for _, rcpt := range rcpts {
		if err := conn.Rcpt(rcpt); err != nil {
			return err
		}
	}
	w, err := conn.Data()
	if err != nil {
		return err
	}
	if _, err := msg.WriteTo(w); err != nil {
		return err
	}
	return w.Close()
}

// fileTransport writes each message as an .eml file: the default when no SMTP server is
// configured, so that mail is inspectable instead of lost.
type fileTransport struct {
	dir string
}

// DefaultFileFrom is the From address of files written by a file transport when the Sender
// has none configured.
const DefaultFileFrom = "tokenboard@localhost"

// NewFileTransport returns a Transport that writes every message as an RFC 5322 file named
// "<UTC timestamp>-<outbox id or random>.eml" into dir, which it creates (mode 0700) if needed.
// Files are written under a temporary name and renamed, so a reader never sees half a message.
func NewFileTransport(dir string) Transport {
	return &fileTransport{dir: dir}
}

func (t *fileTransport) Describe() string { return "files in " + t.dir }

func (t *fileTransport) Send(ctx context.Context, env Envelope, m core.RenderedMail) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	msg, err := newMsg(env, DefaultFileFrom, m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(t.dir, 0o700); err != nil {
		return fmt.Errorf("mail: create mail directory: %w", err)
	}
	id := ""
	if env.ID != 0 {
		id = strconv.FormatInt(env.ID, 10)
	} else {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	name := filepath.Join(t.dir, time.Now().UTC().Format("20060102T150405.000000000Z")+"-"+id+".eml")
	f, err := os.CreateTemp(t.dir, ".tmp-*.eml")
	if err != nil {
		return fmt.Errorf("mail: create mail file: %w", err)
	}
	tmp := f.Name()
	// go-mail writes a message in many small pieces (each header, each encoded line): through
	// a buffer the file gets one write instead of dozens of system calls.
	buf := bufio.NewWriterSize(f, 32<<10)
	_, werr := msg.WriteTo(buf)
	if werr == nil {
		werr = buf.Flush()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, name)
	}
	if werr != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("mail: write mail file: %w", werr)
	}
	if env.Accepted != nil {
		env.Accepted()
	}
	return nil
}
