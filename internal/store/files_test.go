package store_test

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/tokenboard/tokenboard/internal/core"
	"github.com/tokenboard/tokenboard/internal/store"
	"github.com/tokenboard/tokenboard/internal/store/storetest"
)

// Issue 10 item 9: the database file and its -wal and -shm files are readable by their owner
// only, whatever the umask, for a new database and for one created 0644 by an older version.
func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	storetest.SkipOnPostgres(t, "the permissions of SQLite's files")
	// Not parallel: the umask is the process's, and every other test creating files while it
	// is 0 would create them world-writable. Serial tests run before the parallel ones resume.
	// The most permissive umask: without explicit permissions, files would come out 0666.
	old := syscall.Umask(0)
	t.Cleanup(func() { syscall.Umask(old) })

	for _, existing := range []bool{false, true} {
		path := filepath.Join(t.TempDir(), "tokenboard.db")
		if existing {
			if err := os.WriteFile(path, nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		db, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		db.PasswordCost = bcrypt.MinCost // the real cost takes seconds under -race
		// A write, so that the -wal and -shm files exist.
		op := core.WithActor(context.Background(), core.Actor{Operator: true, IP: "test"})
		if _, err := db.CreateUser(op, core.NewUser{Email: "perm@example.com", Password: "password-1234"}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			info, err := os.Stat(p)
			if err != nil {
				t.Fatalf("existing %v: %v", existing, err)
			}
			if perm := info.Mode().Perm(); perm != 0o600 {
				t.Errorf("existing %v: %s is %v, want %v", existing, filepath.Base(p), perm, fs.FileMode(0o600))
			}
		}
		db.Close()
	}
}
