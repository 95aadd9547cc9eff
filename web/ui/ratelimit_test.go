package ui

import (
	"testing"
	"time"
)

func TestLoginThrottleDelaysGrowAndAreCapped(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	l := newLoginThrottle(func() time.Time { return now })
	key := throttleKey{"account-ip:a@example.test\x00192.0.2.1", loginFreePerAccountIP}
	var delays []time.Duration
	for range 15 {
		a, wait := l.begin(key)
		if a == nil {
			t.Fatalf("an attempt after its wait was over was refused (wait %v)", wait)
		}
		delays = append(delays, a.delay)
		if a.delay > 0 {
			if again, wait := l.begin(key); again != nil || wait != a.delay {
				t.Fatalf("an attempt during the wait: %v, wait %v; want refused, wait %v", again, wait, a.delay)
			}
		}
		now = now.Add(a.delay)
	}
	want := []time.Duration{0, 0, 0, time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
		32 * time.Second, 64 * time.Second, 128 * time.Second, 256 * time.Second, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}
	for i := range want {
		if delays[i] != want[i] {
			t.Errorf("failure %d: delay %v, want %v", i+1, delays[i], want[i])
		}
	}

	// A success forgets the account's failures from that IP.
	a, _ := l.begin(key)
	a.succeeded(key.key)
	if a, _ := l.begin(key); a == nil || a.delay != 0 {
		t.Error("after a success the next failure is delayed")
	}

	// Failures are forgotten loginForget after the last attempt.
	for range 10 {
		now = now.Add(loginDelayMax)
		l.begin(key)
	}
	now = now.Add(loginForget + loginDelayMax)
	if a, _ := l.begin(key); a == nil || a.delay != 0 {
		t.Errorf("failures were not forgotten after %v", loginForget)
	}
}
