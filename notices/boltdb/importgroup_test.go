package boltdb_test

import (
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// importCall is one ImportFines call running on its own goroutine.
type importCall struct {
	fines []*notices.Fine
	errs  []error
	err   error
	done  chan struct{}
}

// startImport calls ImportFines with fines on a goroutine and waits until
// the call leads an import transaction (lead) or has queued behind one
// (queued chunks in all).
func (e *env) startImport(fines []*notices.Fine, lead bool, queued int) *importCall {
	e.t.Helper()
	c := &importCall{fines: fines, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		c.errs, c.err = e.st.ImportFines(context.Background(), fines)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for {
		busy, n := boltdb.ImportQueue(e.st.Store)
		if busy && (lead || n == queued) {
			return c
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("import of %d fines never queued (busy %v, %d queued)", len(fines), busy, n)
		}
		time.Sleep(time.Millisecond)
	}
}

func (c *importCall) wait(t *testing.T) {
	t.Helper()
	select {
	case <-c.done:
	case <-time.After(30 * time.Second):
		t.Fatal("an import call never returned")
	}
}

// Imports that queue while another's transaction is written join it, up
// to two chunks, and every row's outcome is the one the calls would have
// had one after the other: a detection of an earlier call is a duplicate
// naming its report, a NAV it queued is taken.
func TestImportGroupShares(t *testing.T) {
	e := newEnv(t)
	e.st.ReopenWith(boltdb.Options{ImportChunk: 4}) // two chunks: 8 fines a transaction
	at := rome(2026, 3, 9, 8, 0)
	fine := func(plate string, minute int) *notices.Fine {
		return e.fineAt(plate, "7-15", at.Add(time.Duration(minute)*time.Minute), notices.ContestDeferred)
	}
	a := []*notices.Fine{fine("AA001AA", 0), fine("AA002AA", 1), fine("AA003AA", 2), fine("AA004AA", 3)}
	b := []*notices.Fine{fine("AA001AA", 0), fine("BB002BB", 1), fine("BB003BB", 2), fine("BB004BB", 3)}
	b[1].Options[0].NAV = a[1].Options[0].NAV
	c := []*notices.Fine{fine("BB003BB", 2), fine("CC002CC", 1)}

	before := boltdb.LastTx(e.st.Store)
	release, err := boltdb.HoldWrites(e.st.Store)
	if err != nil {
		t.Fatal(err)
	}
	ca := e.startImport(a, true, 0)
	cb := e.startImport(b, false, 1)
	cc := e.startImport(c, false, 2)
	release()
	for _, call := range []*importCall{ca, cb, cc} {
		call.wait(t)
		if call.err != nil {
			t.Fatal(call.err)
		}
	}
	if got := boltdb.LastTx(e.st.Store) - before; got != 2 {
		t.Errorf("%d commits for three chunks of 4, 4 and 2 fines, want 2 (the first two shared one)", got)
	}
	want := []struct {
		call *importCall
		i    int
		code string
		of   *notices.Fine // the fine a duplicate names
	}{
		{ca, 0, "", nil}, {ca, 1, "", nil}, {ca, 2, "", nil}, {ca, 3, "", nil},
		{cb, 0, notices.EDuplicate, a[0]}, {cb, 1, notices.ENAVTaken, nil}, {cb, 2, "", nil}, {cb, 3, "", nil},
		{cc, 0, notices.EDuplicate, b[2]}, {cc, 1, "", nil},
	}
	for _, w := range want {
		err, f := w.call.errs[w.i], w.call.fines[w.i]
		if w.code == "" {
			if err != nil {
				t.Errorf("fine %s: %v, want it imported", f.Plate, err)
				continue
			}
			got, err := e.st.Fine(context.Background(), f.ID)
			if err != nil || got.ReportNumber != f.ReportNumber || f.ReportNumber == "" {
				t.Errorf("fine %s: stored %q (%v), caller has report %q", f.Plate, got.ReportNumber, err, f.ReportNumber)
			}
			continue
		}
		wantCode(t, err, w.code)
		if w.of != nil && err != nil && !strings.Contains(err.Error(), w.of.ReportNumber) {
			t.Errorf("duplicate of %s: %q does not name report %s", f.Plate, err, w.of.ReportNumber)
		}
		if _, err := e.st.Fine(context.Background(), f.ID); notices.ErrorCode(err) != notices.EFineNotFound {
			t.Errorf("refused fine %s is stored (%v)", f.Plate, err)
		}
	}
	if busy, n := boltdb.ImportQueue(e.st.Store); busy || n != 0 {
		t.Errorf("imports left busy %v with %d queued", busy, n)
	}
}

// A chunk whose transaction fails (not a refused row: a fine the store
// cannot encode) fails alone: the chunk it shared the transaction with is
// written again in its own and committed.
func TestImportGroupFailureIsolated(t *testing.T) {
	e := newEnv(t)
	e.st.ReopenWith(boltdb.Options{ImportChunk: 4})
	at := rome(2026, 3, 9, 8, 0)
	a := []*notices.Fine{e.fineAt("AA001AA", "7-15", at, notices.ContestDeferred), e.fineAt("AA002AA", "7-15", at, notices.ContestDeferred)}
	bad := e.fineAt("BB001BB", "7-15", at, notices.ContestDeferred)
	nan := math.NaN()
	bad.Lat = &nan
	b := []*notices.Fine{e.fineAt("BB002BB", "7-15", at, notices.ContestDeferred), bad}

	release, err := boltdb.HoldWrites(e.st.Store)
	if err != nil {
		t.Fatal(err)
	}
	ca := e.startImport(a, true, 0)
	cb := e.startImport(b, false, 1)
	release()
	ca.wait(t)
	cb.wait(t)
	if ca.err != nil {
		t.Fatalf("the good chunk failed with the bad one: %v", ca.err)
	}
	for i, f := range a {
		if ca.errs[i] != nil {
			t.Errorf("fine %s: %v", f.Plate, ca.errs[i])
		} else if _, err := e.st.Fine(context.Background(), f.ID); err != nil {
			t.Errorf("fine %s answered imported but is not stored: %v", f.Plate, err)
		}
	}
	if cb.err == nil {
		t.Fatal("the chunk holding a fine that cannot be stored succeeded")
	}
	for i, f := range b {
		if cb.errs[i] == nil {
			t.Errorf("fine %s of the failed chunk has no error", f.Plate)
		}
		if _, err := e.st.Fine(context.Background(), f.ID); notices.ErrorCode(err) != notices.EFineNotFound {
			t.Errorf("fine %s of the failed chunk is stored (%v)", f.Plate, err)
		}
	}
	if busy, n := boltdb.ImportQueue(e.st.Store); busy || n != 0 {
		t.Errorf("imports left busy %v with %d queued", busy, n)
	}
	if err := e.importOne(e.fineAt("CC001CC", "7-15", at, notices.ContestDeferred)); err != nil {
		t.Errorf("an import after the failure: %v", err)
	}
}
