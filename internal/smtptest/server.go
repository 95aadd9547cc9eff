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
// restarted to simulate an outage.
//
// The server holds its listener from start to cleanup, so its address stays its own: a stopped
// server does not give its port back (another test could take it, and a restart would race for
// it); it answers every connection with "421 Service not available" and closes it, as an SMTP
// server shutting down does (RFC 5321, 3.8), which a client sees as a failed delivery to retry.
type Server struct {
	t        testing.TB
	addr     string
	listener net.Listener  // held until cleanup
	accepted chan struct{} // closed when the accept loop has returned

	mu       sync.Mutex
	srv      *smtp.Server  // nil while stopped
	queue    *connQueue    // hands accepted connections to srv; nil while stopped
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
	return Serve(t, l)
}

// Serve starts a server on a listener the caller created; the listener is closed and the
// server shut down when the test ends.
func Serve(t testing.TB, l net.Listener) *Server {
	t.Helper()
	s := &Server{t: t, addr: l.Addr().String(), listener: l, accepted: make(chan struct{}), arrived: make(chan struct{})}
	s.start()
	go s.acceptLoop()
	t.Cleanup(func() {
		s.Stop()
		s.listener.Close()
		<-s.accepted
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

// Stop closes every open connection and answers new ones "421 Service not available": clients
// fail to deliver, as during an outage. Received messages are kept. Stopping a stopped server
// does nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	srv, q, served := s.srv, s.queue, s.served
	s.srv, s.queue = nil, nil
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
	// it would go on accepting. Closing the queue ourselves makes it return either way.
	_ = q.Close()
	<-served
}

// Restart accepts mail again after Stop, on the same address, keeping the messages received
// so far. Restarting a running server does nothing.
func (s *Server) Restart() {
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if !running {
		s.start()
	}
}

// start serves SMTP on the connections the accept loop hands over.
func (s *Server) start() {
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
	q := &connQueue{addr: s.listener.Addr(), conns: make(chan net.Conn), done: make(chan struct{})}
	served := make(chan struct{})
	s.mu.Lock()
	s.srv, s.queue, s.served = srv, q, served
	s.mu.Unlock()
	go func() {
		defer close(served)
		if err := srv.Serve(q); err != nil && !errors.Is(err, smtp.ErrServerClosed) && !errors.Is(err, net.ErrClosed) {
			logger{s}.Printf("serve: %v", err)
		}
	}()
}

// acceptLoop takes every connection on the listener until cleanup closes it, and gives it to
// the running SMTP server, or refuses it while the server is stopped.
func (s *Server) acceptLoop() {
	defer close(s.accepted)
	for {
		c, err := s.listener.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		q := s.queue
		s.mu.Unlock()
		if q == nil || !q.offer(c) {
			go refuse(c)
		}
	}
}

// refuse answers a connection as a server that is shutting down does, and closes it.
func refuse(c net.Conn) {
	c.SetDeadline(time.Now().Add(5 * time.Second))
	io.WriteString(c, "421 4.3.2 localhost Service not available (smtptest server stopped)\r\n")
	c.Close()
}

// connQueue is the net.Listener the SMTP server serves: the connections the accept loop offers.
type connQueue struct {
	addr  net.Addr
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.conns:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return q.addr }

// offer hands c to the server; false if the queue was closed first.
func (q *connQueue) offer(c net.Conn) bool {
	select {
	case q.conns <- c:
		return true
	case <-q.done:
		return false
	}
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
