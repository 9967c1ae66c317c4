package testkit

import (
	"testing"
	"time"
)

// TestClocks: a stopped clock reads what it was set to; a running one
// follows the real time from wherever it was moved.
func TestClocks(t *testing.T) {
	at := Rome(2026, 3, 10, 9, 30)
	c := NewClock(at)
	if !c.Now().Equal(at) {
		t.Fatalf("stopped clock reads %v, want %v", c.Now(), at)
	}
	c.Advance(90 * time.Minute)
	if want := RomeAt("2026-03-10 11:00:00"); !c.Now().Equal(want) {
		t.Fatalf("after Advance it reads %v, want %v", c.Now(), want)
	}
	c.Set(at)
	if !c.Now().Equal(at) {
		t.Fatalf("after Set it reads %v, want %v", c.Now(), at)
	}

	r := RunningClock()
	if d := time.Since(r.Now()); d < 0 || d > time.Second {
		t.Fatalf("a new running clock is %v off the real time", d)
	}
	future := time.Now().Add(72 * time.Hour)
	r.Set(future)
	first := r.Now()
	if d := first.Sub(future); d < 0 || d > time.Second {
		t.Fatalf("after Set the running clock reads %v, want about %v", first, future)
	}
	time.Sleep(5 * time.Millisecond)
	if !r.Now().After(first) {
		t.Fatalf("the running clock stopped at %v", first)
	}
	r.Advance(time.Hour)
	if d := r.Now().Sub(future); d < time.Hour || d > time.Hour+time.Second {
		t.Fatalf("after Advance(1h) the running clock is %v past the set time", d)
	}
}
