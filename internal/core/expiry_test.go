package core

import (
	"testing"
	"time"
)

// TestCustomExpiryIsALaterDay: a custom date means the end of that day, UTC, and only a day
// after today (UTC) is accepted: today would leave a few hours at most.
func TestCustomExpiryIsALaterDay(t *testing.T) {
	now := time.Date(2026, 12, 1, 20, 30, 0, 0, time.UTC)
	for date, want := range map[string]string{
		"2026-12-01": MsgExpiryDateNotAfterToday,
		"2026-11-30": "The expiration date must be in the future.",
		"2001-01-01": "The expiration date must be in the future.",
	} {
		_, err := ParseExpiry(ExpiryCustom, date, now)
		if ErrorCode(err) != EINVALID || ErrorFields(err)["expiration"] != want {
			t.Errorf("%s: got %v, want the expiration field refused with %q", date, err, want)
		}
	}
	at, err := ParseExpiry(ExpiryCustom, "2026-12-02", now)
	if err != nil {
		t.Fatalf("tomorrow refused: %v", err)
	}
	if want := time.Date(2026, 12, 2, 23, 59, 59, 0, time.UTC); !at.Equal(want) {
		t.Errorf("tomorrow expires at %v, want %v (the end of that day, UTC)", at, want)
	}
	// Just after midnight UTC, the new day is "today" already.
	if _, err := ParseExpiry(ExpiryCustom, "2026-12-02", time.Date(2026, 12, 2, 0, 0, 1, 0, time.UTC)); err == nil {
		t.Error("the current UTC day was accepted just after midnight")
	}
}
