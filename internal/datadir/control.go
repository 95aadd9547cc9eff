package datadir

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ControlSocketName is the serving process's control socket in the data folder.
const ControlSocketName = "tokenboard.sock"

// The control protocol is one line each way: the client sends "invalidate\n" after it has
// committed a write, and the server answers "ok\n" once it has dropped its cached answers.
const (
	cmdInvalidate = "invalidate"
	replyOK       = "ok"
	// controlTimeout bounds one exchange, both ways: the server drops its caches in
	// microseconds, so a slow peer is a stuck one.
	controlTimeout = 5 * time.Second
)

// Control is the serving process's end of the control socket.
type Control struct {
	ln         net.Listener
	invalidate func()
	wg         sync.WaitGroup
}

// ListenControl opens the control socket in dir (owner-only, 0600) and answers "invalidate"
// by calling invalidate. Call it only while holding the folder's Lock: a socket file already
// there is then a dead server's and is replaced.
func ListenControl(dir string, invalidate func()) (*Control, error) {
	path := filepath.Join(dir, ControlSocketName)
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// The data folder is 0700, which already keeps others out; a umask that leaves the socket
	// itself owner-only closes the window before the Chmod below.
	old := syscall.Umask(0o077)
	ln, err := net.Listen("unix", path)
	syscall.Umask(old)
	if err != nil {
		return nil, fmt.Errorf("control socket %s: %w", path, err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	c := &Control{ln: ln, invalidate: invalidate}
	c.wg.Add(1)
	go c.serve()
	return c, nil
}

func (c *Control) serve() {
	defer c.wg.Done()
	for {
		conn, err := c.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			time.Sleep(10 * time.Millisecond) // e.g. out of file descriptors: don't spin
			continue
		}
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			c.handle(conn)
		}()
	}
}

func (c *Control) handle(conn net.Conn) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(controlTimeout))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return
	}
	switch strings.TrimSpace(line) {
	case cmdInvalidate:
		c.invalidate()
		fmt.Fprintln(conn, replyOK)
	default:
		fmt.Fprintln(conn, "unknown command")
	}
}

// Close stops answering and removes the socket file.
func (c *Control) Close() error {
	err := c.ln.Close() // a listener from net.Listen("unix") unlinks its file on Close
	c.wg.Wait()
	return err
}

// NotifyWrite tells the server serving dir, if any, that the database was written by another
// process, and waits until it has dropped its cached answers: its next request then reads what
// was committed. With no server running it does nothing and returns nil; an error means a
// server may keep serving cached answers for up to their lifetime (a second).
func NotifyWrite(ctx context.Context, dir string) error {
	ctx, cancel := context.WithTimeout(ctx, controlTimeout)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", filepath.Join(dir, ControlSocketName))
	if err != nil {
		// No socket, or a dead server's: no one to tell.
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ECONNREFUSED) {
			return nil
		}
		return fmt.Errorf("tell the server about the change: %w", err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	if _, err := fmt.Fprintln(conn, cmdInvalidate); err != nil {
		return fmt.Errorf("tell the server about the change: %w", err)
	}
	reply, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return fmt.Errorf("tell the server about the change: %w", err)
	}
	if r := strings.TrimSpace(reply); r != replyOK {
		return fmt.Errorf("tell the server about the change: it answered %q", r)
	}
	return nil
}
