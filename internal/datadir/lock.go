// Package datadir guards a tokenboard data folder: one serving process at a time (an
// exclusive lock file), and a control socket through which operator commands, which write the
// same database from another process, tell the server to drop what it has cached.
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// LockFileName is the lock file in the data folder. It holds the serving process's pid, for
// the message a second server prints; the lock itself is the flock, which the kernel releases
// when the process ends however it ends (kill -9 included), so it never goes stale.
const LockFileName = "tokenboard.lock"

// Lock is the exclusive hold of a data folder by one serving process.
type Lock struct {
	f *os.File
}

// ErrLocked is what Acquire returns (wrapped, with the other process's pid) when another
// process already serves the folder.
var ErrLocked = errors.New("the data folder is in use by another tokenboard server")

// Acquire takes the exclusive lock on the data folder dir, without waiting, and writes this
// process's pid into the lock file. If another process holds it, the error wraps ErrLocked and
// names that process. Two servers on one folder would both send the outbox (every email twice)
// and each keep its own cache, so a token revoked through one would still pass the other.
func Acquire(dir string) (*Lock, error) {
	path := filepath.Join(dir, LockFileName)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock the data folder: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, lockedError(dir, path)
		}
		return nil, fmt.Errorf("lock the data folder %s: %w", dir, err)
	}
	// The pid is for people; a failure to write it does not weaken the lock.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &Lock{f: f}, nil
}

// lockedError names the process holding the lock, as far as its lock file says.
func lockedError(dir, path string) error {
	who := "another process"
	if raw, err := os.ReadFile(path); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil && pid > 0 {
			who = "process " + strconv.Itoa(pid)
		}
	}
	return fmt.Errorf("%w: %s is already serving %s (lock file %s). Stop it before starting another server, "+
		"or give this one its own --data folder; operator commands (user create, member add, …) work while it runs",
		ErrLocked, who, dir, path)
}

// Release gives the folder up. The file stays: removing it could let a third process lock a
// new file while a second still waits on the old one.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	err := l.f.Close()
	l.f = nil
	return err
}
