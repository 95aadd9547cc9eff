package store

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
	if err := bcrypt.CompareHashAndPassword(dummyHash, []byte(dummyPassword)); err != nil {
		t.Fatalf("dummy hash is not a hash of the equalizer: %v", err)
	}
}

// At another cost (tests use the cheapest), the unknown-email hash follows it.
func TestUnknownEmailHashFollowsTheCost(t *testing.T) {
	t.Parallel()
	db := &DB{PasswordCost: bcrypt.MinCost}
	if cost, err := bcrypt.Cost(db.unknownEmailHash()); err != nil || cost != bcrypt.MinCost {
		t.Fatalf("unknown-email hash cost %d (%v), want %d", cost, err, bcrypt.MinCost)
	}
	if got := (&DB{PasswordCost: defaultPasswordCost}).unknownEmailHash(); string(got) != string(dummyHash) {
		t.Fatal("at the default cost, the written-out hash is not used")
	}
}
