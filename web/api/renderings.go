package api

import (
	"encoding/json"
	"sync"
)

// renderings keeps JSON answers that are a pure function of a comparable key, so that a
// request whose answer is already known writes the bytes instead of encoding them again
// (encoding was most of such a request's own work). The key must hold everything the
// rendering reads: equal keys give equal answers, and a changed input is a new key, so nothing
// kept can be stale. The memory is bounded: full, it starts again.
type renderings[K comparable] struct {
	mu sync.RWMutex
	m  map[K][]byte
}

// maxRenderings bounds each renderings: a key per organization, role and scope set in use.
const maxRenderings = 1024

// get returns the answer for k, from memory or from render.
func (r *renderings[K]) get(k K, render func() any) ([]byte, error) {
	r.mu.RLock()
	body, ok := r.m[k]
	r.mu.RUnlock()
	if ok {
		return body, nil
	}
	body, err := jsonLine(render())
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if r.m == nil || len(r.m) >= maxRenderings {
		r.m = make(map[K][]byte)
	}
	r.m[k] = body
	r.mu.Unlock()
	return body, nil
}

// jsonLine is what Echo's c.JSON writes for v: its JSON and a newline.
func jsonLine(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	return append(b, '\n'), err
}
