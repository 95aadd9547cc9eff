package usage

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/tokenboard/tokenboard/internal/core"
)

// fakeStore records the batches it is given; it fails while failing is set.
type fakeStore struct {
	mu      sync.Mutex
	batches [][]core.TokenUse
	failing bool
	saved   chan struct{}
}

func (s *fakeStore) SaveTokenUses(_ context.Context, uses []core.TokenUse) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		return errors.New("database is locked")
	}
	sort.Slice(uses, func(i, j int) bool { return uses[i].TokenID < uses[j].TokenID })
	s.batches = append(s.batches, uses)
	if s.saved != nil {
		select {
		case s.saved <- struct{}{}:
		default:
		}
	}
	return nil
}

func (s *fakeStore) last() []core.TokenUse {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.batches) == 0 {
		return nil
	}
	return s.batches[len(s.batches)-1]
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestRecorderKeepsTheLatestUsePerToken(t *testing.T) {
	t.Parallel()
	store := &fakeStore{}
	r := NewRecorder(store, quiet)
	t0 := time.Unix(1_700_000_000, 0)
	r.RecordTokenUse(core.TokenUse{Kind: core.TokenOrg, TokenID: 1, At: t0})
	r.RecordTokenUse(core.TokenUse{Kind: core.TokenOrg, TokenID: 1, ProjectID: 7, At: t0.Add(time.Second)})
	r.RecordTokenUse(core.TokenUse{Kind: core.TokenOrg, TokenID: 1, At: t0.Add(2 * time.Second)})
	r.RecordTokenUse(core.TokenUse{Kind: core.TokenOrg, TokenID: 1, ProjectID: 8, At: t0.Add(-time.Second)}) // late arrival
	r.RecordTokenUse(core.TokenUse{Kind: core.TokenUser, TokenID: 1, At: t0})
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := store.last()
	if len(got) != 2 {
		t.Fatalf("batch %+v, want one use per token", got)
	}
	for _, u := range got {
		switch u.Kind {
		case core.TokenOrg:
			if !u.At.Equal(t0.Add(2*time.Second)) || u.ProjectID != 7 {
				t.Errorf("org token use %+v, want the latest time and the latest project named", u)
			}
		case core.TokenUser:
			if !u.At.Equal(t0) {
				t.Errorf("user token use %+v", u)
			}
		}
	}
	if err := r.Flush(context.Background()); err != nil || len(store.batches) != 1 {
		t.Errorf("flushing nothing: %v, %d batches", err, len(store.batches))
	}
}

func TestRecorderKeepsUsesWhenSavingFails(t *testing.T) {
	t.Parallel()
	store := &fakeStore{failing: true}
	r := NewRecorder(store, quiet)
	t0 := time.Unix(1_700_000_000, 0)
	r.RecordTokenUse(core.TokenUse{Kind: core.TokenUser, TokenID: 1, At: t0})
	r.RecordTokenUse(core.TokenUse{Kind: core.TokenUser, TokenID: 2, At: t0})
	if err := r.Flush(context.Background()); err == nil {
		t.Fatal("a failed save reported no error")
	}
	r.RecordTokenUse(core.TokenUse{Kind: core.TokenUser, TokenID: 2, At: t0.Add(time.Minute)})
	store.failing = false
	if err := r.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := store.last()
	if len(got) != 2 || !got[0].At.Equal(t0) || !got[1].At.Equal(t0.Add(time.Minute)) {
		t.Errorf("after the retry: %+v, want both tokens, token 2 at its later use", got)
	}
}

func TestRecorderRunSavesPeriodically(t *testing.T) {
	t.Parallel()
	store := &fakeStore{saved: make(chan struct{}, 1)}
	r := NewRecorder(store, quiet)
	r.Interval = time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	r.RecordTokenUse(core.TokenUse{Kind: core.TokenIntegration, TokenID: 3, At: time.Now()})
	<-store.saved
	cancel()
	<-done
	if got := store.last(); len(got) != 1 || got[0].TokenID != 3 {
		t.Errorf("saved %+v", got)
	}
}

func BenchmarkRecordTokenUse(b *testing.B) {
	r := NewRecorder(&fakeStore{}, quiet)
	now := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		var i int64
		for pb.Next() {
			i++
			r.RecordTokenUse(core.TokenUse{Kind: core.TokenUser, TokenID: i % 100, At: now})
		}
	})
}
