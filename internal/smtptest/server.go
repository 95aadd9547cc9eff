// Package smtptest runs a real, in-process SMTP server for tests that collects what it receives.
package smtptest

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Username and Password are the credentials URL puts in the server's address; the server
// accepts any credentials, these are only what a test is likely to pass along.
const (
	Username = "user"
	Password = "pass"
)

// Server is an SMTP server on 127.0.0.1 that accepts every message (plain SMTP, no TLS, with
// optional AUTH PLAIN accepting any credentials) and keeps it in memory. It can be stopped and
// restarted on the same port to simulate an outage.
type Server struct {
	t    testing.TB
	addr string

	mu       sync.Mutex
	srv      *smtp.Server // nil while stopped
	listener net.Listener
	served   chan struct{} // closed when srv.Serve has returned
	messages []Message
	arrived  chan struct{} // closed and replaced whenever a message arrives
	closed   bool          // after cleanup: no more logging through t
	// hold, while non-nil, keeps every conversation waiting after the server has accepted a
	// message, until it is closed (HoldAfterAccept).
	hold chan struct{}
}

// HoldAfterAccept makes the server, from now on, answer the end of a message's data (250:
// the message is accepted) and then stop reading that conversation's next command (RSET,
// QUIT) until release is called. Tests use it to look at what the client has done the moment
// its message was accepted. Stop releases it too.
func (s *Server) HoldAfterAccept() (release func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hold := make(chan struct{})
	s.hold = hold
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.hold == hold {
			s.hold = nil
			close(hold)
		}
	}
}

// Start starts a server on a random port of 127.0.0.1; it is shut down when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtptest: listen: %v", err)
	}
	s := &Server{t: t, addr: l.Addr().String(), arrived: make(chan struct{})}
	s.serve(l)
	t.Cleanup(func() {
		s.Stop()
		s.mu.Lock()
		s.closed = true
		s.mu.Unlock()
	})
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL is an smtp:// URL of the server with credentials, e.g. "smtp://user:pass@127.0.0.1:2525".
func (s *Server) URL() string {
	return "smtp://" + Username + ":" + Password + "@" + s.addr
}

// Messages returns a copy of every message received so far, in order of arrival.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.messages...)
}

// WaitFor waits until at least n messages have arrived and returns all of them; it fails the
// test if they have not arrived within timeout.
func (s *Server) WaitFor(t testing.TB, n int, timeout time.Duration) []Message {
	t.Helper()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		got, arrived := append([]Message(nil), s.messages...), s.arrived
		s.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-arrived:
		case <-deadline.C:
			subjects := make([]string, len(got))
			for i, m := range got {
				subjects[i] = fmt.Sprintf("%q to %v", m.Subject, m.To)
			}
			t.Fatalf("smtptest: waited %v for %d message(s), got %d: [%s]", timeout, n, len(got), strings.Join(subjects, ", "))
			return nil
		}
	}
}

// Stop closes the listener and every open connection: clients now get "connection refused",
// as during an outage. Received messages are kept. Stopping a stopped server does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, l, served := s.srv, s.listener, s.served
	s.srv, s.listener = nil, nil
	if s.hold != nil {
		close(s.hold)
		s.hold = nil
	}
	s.mu.Unlock()
	if srv == nil {
		return
	}
	_ = srv.Close()
	// srv.Close only closes the listeners Serve has registered; if Serve has not started yet,
	// it would go on accepting. Closing the listener ourselves makes it return either way.
	_ = l.Close()
	<-served
}

// Restart listens again on the same address after Stop, keeping the messages received so far.
// Restarting a running server does nothing.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		return
	}
	// The port was ours a moment ago; only another process grabbing it in between, or a slow
	// kernel, makes this fail, so retry briefly before giving up.
	var (
		l   net.Listener
		err error
	)
	for range 100 {
		if l, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		s.t.Fatalf("smtptest: listen again on %s: %v", s.addr, err)
	}
	s.serve(l)
}

func (s *Server) serve(l net.Listener) {
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &session{server: s}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxMessageBytes = 10 << 20
	srv.MaxRecipients = 100
	srv.ErrorLog = logger{s}
	served := make(chan struct{})
	s.mu.Lock()
	s.srv, s.listener, s.served = srv, l, served
	s.mu.Unlock()
	go func() {
		defer close(served)
		if err := srv.Serve(l); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			logger{s}.Printf("serve: %v", err)
		}
	}()
}

func (s *Server) add(m Message) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.messages = append(s.messages, m)
	close(s.arrived)
	s.arrived = make(chan struct{})
}

// session collects one SMTP conversation; go-smtp calls it from a single goroutine.
type session struct {
	server   *Server
	username string
	from     string
	to       []string
	// accepted is set when Data has taken a message, until the Reset that follows it.
	accepted bool
}

func (se *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (se *session) Auth(mech string) (sasl.Server, error) {
	if mech != sasl.Plain {
		return nil, smtp.ErrAuthUnknownMechanism
	}
	return sasl.NewPlainServer(func(identity, username, password string) error {
		se.username = username
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	se.from, se.to = from, nil
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.to = append(se.to, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	m, perr := ParseMessage(string(raw))
	m.ParseErr = perr
	m.From, m.To, m.Username = se.from, append([]string(nil), se.to...), se.username
	se.server.add(m)
	se.accepted = true
	return nil
}

// Reset runs after the answer to a message's data has been written (go-smtp resets the
// session after DATA), and before the next command is read: where HoldAfterAccept waits.
func (se *session) Reset() {
	se.from, se.to = "", nil
	if se.accepted {
		se.accepted = false
		se.server.mu.Lock()
		hold := se.server.hold
		se.server.mu.Unlock()
		if hold != nil {
			<-hold
		}
	}
}

func (se *session) Logout() error { return nil }

// logger sends go-smtp's error log to the test log, and drops it once the test is over
// (t.Logf after the end of a test panics).
type logger struct{ s *Server }

func (l logger) Printf(format string, v ...any) {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	if !l.s.closed {
		l.s.t.Logf("smtptest: "+format, v...)
	}
}

func (l logger) Println(v ...any) { l.Printf("%s", fmt.Sprintln(v...)) }
