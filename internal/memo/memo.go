// Package memo remembers answers that depend only on their key, in bounded memory.
package memo

import "sync"

// Bounded maps keys to remembered answers. It suits answers that are a pure function of the
// key (equal keys, equal answers; a changed input is a new key), so nothing it holds can be
// stale. Its memory is bounded by the limit each Put names: full, it forgets everything and
// starts again, which costs only recomputing the answers in use. The zero value is empty and
// ready; it is safe for concurrent use.
type Bounded[K comparable, V any] struct {
	mu sync.RWMutex
	m  map[K]V
}

// Get returns the answer remembered for k.
func (b *Bounded[K, V]) Get(k K) (V, bool) {
	b.mu.RLock()
	defer b.mu.RUnlock()
	v, ok := b.m[k]
	return v, ok
}

// Put remembers v for k, first forgetting everything when limit answers are held.
func (b *Bounded[K, V]) Put(k K, v V, limit int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil || len(b.m) >= limit {
		b.m = make(map[K]V)
	}
	b.m[k] = v
}
