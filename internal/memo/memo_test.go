package memo_test

import (
	"testing"

	"github.com/tokenboard/tokenboard/internal/memo"
)

// TestBoundedForgetsWhenFull: answers are kept until the limit is reached, then all are
// forgotten and the new one is kept.
func TestBoundedForgetsWhenFull(t *testing.T) {
	var b memo.Bounded[string, int]
	if _, ok := b.Get("a"); ok {
		t.Fatal("the zero value remembers something")
	}
	b.Put("a", 1, 2)
	b.Put("b", 2, 2)
	if v, ok := b.Get("a"); !ok || v != 1 {
		t.Errorf(`Get("a") = %d, %v`, v, ok)
	}
	b.Put("b", 3, 2) // full: forgets a and b, keeps the new b
	if _, ok := b.Get("a"); ok {
		t.Error("a survived a full memo's reset")
	}
	if v, ok := b.Get("b"); !ok || v != 3 {
		t.Errorf(`Get("b") = %d, %v`, v, ok)
	}
}
