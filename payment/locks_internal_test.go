package payment

import (
	"strconv"
	"testing"
)

// TestReleasedSince checks what tells a payer that its read before the
// lock may be stale: a release of that fine's lock after the read's mark,
// never another fine's, and every mark older than a bulk drop of the
// remembered releases.
func TestReleasedSince(t *testing.T) {
	var l fineLocks
	m := l.mark()
	if l.releasedSince("a", m) {
		t.Error("no release yet: the read is fresh")
	}
	l.lock("a")()
	if !l.releasedSince("a", m) {
		t.Error("a released after the mark: the read may be stale")
	}
	if l.releasedSince("b", m) {
		t.Error("only a was released: a read of b is fresh")
	}
	if m2 := l.mark(); l.releasedSince("a", m2) {
		t.Error("a read marked after a's release is fresh")
	}
	old := l.mark()
	for i := range maxReleased + 1 {
		l.lock("f" + strconv.Itoa(i))()
	}
	if !l.releasedSince("b", old) {
		t.Error("releases were dropped after the mark: every read marked before is stale")
	}
	if m3 := l.mark(); l.releasedSince("b", m3) || !func() bool { l.lock("b")(); return l.releasedSince("b", m3) }() {
		t.Error("after the drop, releases are told apart again")
	}
}
