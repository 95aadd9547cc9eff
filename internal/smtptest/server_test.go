package smtptest_test

import (
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/tokenboard/tokenboard/internal/smtptest"
)

const multipartMessage = "From: a@example.com\r\n" +
	"To: b@example.com\r\n" +
	"Subject: =?UTF-8?q?Caf=C3=A9_notice?=\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/alternative; boundary=XYZ\r\n" +
	"\r\n" +
	"--XYZ\r\n" +
	"Content-Type: text/plain; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: quoted-printable\r\n" +
	"\r\n" +
	"A long line that is soft-wrapped by quoted-printable encoding so it is split=\r\n" +
	" in two, caf=C3=A9.\r\n" +
	"--XYZ\r\n" +
	"Content-Type: text/html; charset=UTF-8\r\n" +
	"Content-Transfer-Encoding: base64\r\n" +
	"\r\n" +
	"PHA+SGVsbG8sIDxiPndvcmxkPC9iPjwv\r\n" +
	"cD4=\r\n" +
	"--XYZ--\r\n"

func mustSend(t *testing.T, addr string, auth sasl.Client, to string, msg string) {
	t.Helper()
	// smtp.SendMail insists on STARTTLS, which the test server does not offer.
	c, err := smtp.Dial(addr)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	if auth != nil {
		if err := c.Auth(auth); err != nil {
			t.Fatalf("auth: %v", err)
		}
	}
	if err := c.SendMail("a@example.com", []string{to}, strings.NewReader(msg)); err != nil {
		t.Fatalf("send: %v", err)
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("quit: %v", err)
	}
}

func TestServerCollectsAndDecodes(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t)
	if !strings.HasPrefix(s.Addr(), "127.0.0.1:") || s.URL() != "smtp://user:pass@"+s.Addr() {
		t.Fatalf("Addr() = %q, URL() = %q", s.Addr(), s.URL())
	}
	mustSend(t, s.Addr(), sasl.NewPlainClient("", "alice", "anything"), "b@example.com", multipartMessage)
	mustSend(t, s.Addr(), nil, "c@example.com", "Subject: plain\r\n\r\nno auth\r\n")

	msgs := s.WaitFor(t, 2, 10*time.Second)
	m := msgs[0]
	if m.ParseErr != nil {
		t.Fatal(m.ParseErr)
	}
	if m.From != "a@example.com" || len(m.To) != 1 || m.To[0] != "b@example.com" || m.Username != "alice" {
		t.Errorf("envelope %q -> %v as %q", m.From, m.To, m.Username)
	}
	if m.Subject != "Café notice" {
		t.Errorf("Subject = %q", m.Subject)
	}
	if want := "A long line that is soft-wrapped by quoted-printable encoding so it is split in two, café."; m.Text != want {
		t.Errorf("Text = %q, want %q", m.Text, want)
	}
	if want := "<p>Hello, <b>world</b></p>"; m.HTML != want {
		t.Errorf("HTML = %q, want %q", m.HTML, want)
	}
	if !strings.Contains(m.Data, "Content-Transfer-Encoding: base64") {
		t.Errorf("Data is not the raw message: %q", m.Data)
	}
	if p := msgs[1]; p.Username != "" || p.Text != "no auth\n" || p.HTML != "" || p.Subject != "plain" {
		t.Errorf("single-part message: user %q, subject %q, text %q, html %q", p.Username, p.Subject, p.Text, p.HTML)
	}
}

func TestServerStopAndRestart(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t)
	mustSend(t, s.Addr(), nil, "b@example.com", "Subject: one\r\n\r\n1\r\n")
	s.WaitFor(t, 1, 10*time.Second)

	s.Stop()
	// Stopped, the server keeps its address and answers as a server shutting down does.
	if c, err := net.Dial("tcp", s.Addr()); err != nil {
		t.Fatalf("a stopped server gave its address up: %v", err)
	} else {
		greeting, _ := io.ReadAll(c)
		c.Close()
		if !strings.HasPrefix(string(greeting), "421 ") {
			t.Fatalf("a stopped server greets with %q, want 421 (service not available)", greeting)
		}
	}
	if c, err := smtp.Dial(s.Addr()); err == nil {
		err = c.Hello("localhost")
		c.Close()
		if err == nil {
			t.Fatal("an SMTP client got through to a stopped server")
		}
	}
	s.Stop() // idempotent

	s.Restart()
	s.Restart() // idempotent
	mustSend(t, s.Addr(), nil, "b@example.com", "Subject: two\r\n\r\n2\r\n")
	msgs := s.WaitFor(t, 2, 10*time.Second)
	if len(msgs) != 2 || msgs[0].Subject != "one" || msgs[1].Subject != "two" {
		t.Errorf("want both messages kept across the restart, got %d", len(msgs))
	}
}

func TestWaitForFailsClearly(t *testing.T) {
	t.Parallel()
	s := smtptest.Start(t)
	ft := &fakeTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.WaitFor(ft, 1, 10*time.Millisecond)
	}()
	<-done
	if !strings.Contains(ft.msg, "waited") || !strings.Contains(ft.msg, "got 0") {
		t.Errorf("failure message %q", ft.msg)
	}
}

// fakeTB records Fatalf instead of failing the real test.
type fakeTB struct {
	testing.TB
	msg string
}

func (f *fakeTB) Helper() {}

func (f *fakeTB) Fatalf(format string, args ...any) {
	f.msg = strings.TrimSpace(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
