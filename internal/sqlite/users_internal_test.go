package sqlite

import (
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// The written-out hash an unknown email is checked against costs what a real password check
// costs, or a wrong email would answer faster than a wrong password.
func TestDummyHashCost(t *testing.T) {
	t.Parallel()
	if cost, err := bcrypt.Cost(dummyHash); err != nil || cost != defaultPasswordCost {
		t.Fatalf("dummy hash cost %d (%v), want %d", cost, err, defaultPasswordCost)
	}
	if err := bcrypt.CompareHashAndPassword(dummyHash, []byte("tokenboard-timing-equalizer")); err != nil {
		t.Fatalf("dummy hash is not a hash of the equalizer: %v", err)
	}
}
