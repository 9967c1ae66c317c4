package boltdb_test

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// TestImportLookAheadStops checks what an import's look-ahead reads (a
// NAV the file holds is seen as taken, new ones are not) and that the
// writer can stop it early, while it is blocked handing over reads far
// ahead: an import transaction that fails mid-chunk must not hang or leave
// a goroutine reading the file after the transaction.
func TestImportLookAheadStops(t *testing.T) {
	e := newEnv(t)
	stored := e.create("AB123CD", "7-15", rome(2026, 3, 1, 9, 0), notices.ContestDeferred)
	in := make([]*notices.Fine, 2000) // more than the look-ahead buffers
	for i := range in {
		in[i] = e.fineAt(fmt.Sprintf("LA%03dAA", i%1000), "7-14", rome(2026, 3, 2, 0, 0).Add(time.Duration(i)*time.Minute), notices.ContestDeferred)
	}
	in[1].Options[1].NAV = stored.Options[0].NAV
	done := make(chan struct{})
	var (
		got [][]bool
		err error
	)
	go func() {
		defer close(done)
		got, err = boltdb.ReadAhead(e.st.Store, in, 3)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the look-ahead did not stop when the writer closed it")
	}
	if err != nil {
		t.Fatal(err)
	}
	want := [][]bool{{false, false}, {false, true}, {false, false}}
	if !slices.EqualFunc(got, want, slices.Equal) {
		t.Errorf("NAVs taken = %v, want %v", got, want)
	}
}
