package datadir

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

func TestLockIsExclusiveAndNamesTheHolder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	first, err := Acquire(dir)
	if err != nil {
		t.Fatal(err)
	}
	// A second open of the lock file conflicts, as another process's would.
	_, err = Acquire(dir)
	if !errors.Is(err, ErrLocked) || !strings.Contains(err.Error(), "process "+strconv.Itoa(os.Getpid())+" is already serving "+dir) {
		t.Fatalf("second Acquire: %v", err)
	}
	if info, err := os.Stat(filepath.Join(dir, LockFileName)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("lock file: %v, mode %v", err, info.Mode().Perm())
	}
	if err := first.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := Acquire(dir)
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	again.Release()
}

func TestNotifyWriteReachesTheServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	// Nobody serves the folder: nothing to tell, and no error.
	if err := NotifyWrite(context.Background(), dir); err != nil {
		t.Fatalf("NotifyWrite with no server: %v", err)
	}
	// A dead server's socket file: replaced by the next server, ignored by NotifyWrite.
	dead, err := net.Listen("unix", filepath.Join(dir, ControlSocketName))
	if err != nil {
		t.Fatal(err)
	}
	dead.(*net.UnixListener).SetUnlinkOnClose(false)
	dead.Close()
	if err := NotifyWrite(context.Background(), dir); err != nil {
		t.Fatalf("NotifyWrite to a dead socket: %v", err)
	}

	var calls atomic.Int32
	c, err := ListenControl(dir, func() { calls.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	if info, err := os.Stat(filepath.Join(dir, ControlSocketName)); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("control socket: %v, mode %v", err, info.Mode().Perm())
	}
	for want := int32(1); want <= 3; want++ {
		if err := NotifyWrite(context.Background(), dir); err != nil {
			t.Fatal(err)
		}
		// NotifyWrite returns after "ok", which the server sends after invalidating.
		if got := calls.Load(); got != want {
			t.Fatalf("invalidate called %d times, want %d", got, want)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, ControlSocketName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket left behind after Close: %v", err)
	}
}
