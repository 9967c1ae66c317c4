package boltdb_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// importOne imports f alone and returns its outcome.
func (e *env) importOne(f *notices.Fine) error {
	e.t.Helper()
	errs, err := e.st.ImportFines(context.Background(), []*notices.Fine{f})
	if err != nil {
		e.t.Fatal(err)
	}
	return errs[0]
}

// rawUpdate closes the store, changes the file with bbolt directly (as
// an older version or bad luck would have left it) and opens it again.
func (e *env) rawUpdate(fn func(tx *bolt.Tx) error) {
	e.t.Helper()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	db, err := bolt.Open(e.path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := db.Update(fn); err != nil {
		e.t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.reopen()
}

func detectionSum(f *notices.Fine) [32]byte { return sha256.Sum256([]byte(f.DetectionKey())) }

// The detection index keys on 8 bytes of a hash: two detections whose
// hashes share them are both imported (the candidate is checked against
// the stored fine), and each is still refused when it comes again.
func TestImportDetectionHashCollision(t *testing.T) {
	e := newEnv(t)
	at := rome(2026, 3, 9, 8, 0)
	a := e.fineAt("AB123CD", "7-15", at, notices.ContestDeferred)
	if err := e.importOne(a); err != nil {
		t.Fatal(err)
	}
	b := e.fineAt("EF456GH", "7-15", at, notices.ContestDeferred)
	// A collision, made by hand: an entry says that a has b's 8 bytes.
	e.rawUpdate(func(tx *bolt.Tx) error {
		sum := detectionSum(b)
		return tx.Bucket([]byte("fines.detection")).Put(append(sum[:8:8], a.ID...), nil)
	})
	if err := e.importOne(b); err != nil {
		t.Fatalf("a detection sharing 8 bytes of hash with another was refused: %v", err)
	}
	for _, f := range []*notices.Fine{a, b} {
		again := e.fineAt(f.Plate, "7-15", at, notices.ContestDeferred)
		err := e.importOne(again)
		wantCode(t, err, notices.EDuplicate)
		if err != nil && !strings.Contains(err.Error(), f.ReportNumber) {
			t.Errorf("duplicate error %q does not name report %s", err, f.ReportNumber)
		}
	}
}

// A file written before the 8-byte layout keys the index on 16 bytes of
// the hash with the fine's id as the value: its detections are still
// refused when uploaded again.
func TestImportDetectionOldLayout(t *testing.T) {
	e := newEnv(t)
	at := rome(2026, 3, 9, 8, 0)
	a := e.fineAt("AB123CD", "7-15", at, notices.ContestDeferred)
	if err := e.importOne(a); err != nil {
		t.Fatal(err)
	}
	e.rawUpdate(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("fines.detection"))
		sum := detectionSum(a)
		if err := b.Delete(append(sum[:8:8], a.ID...)); err != nil {
			return err
		}
		if k, _ := b.Cursor().First(); k != nil {
			return fmt.Errorf("the detection index holds another key %x: is its layout the one this test knows?", k)
		}
		return b.Put(sum[:16], []byte(a.ID))
	})
	err := e.importOne(e.fineAt("AB123CD", "7-15", at, notices.ContestDeferred))
	wantCode(t, err, notices.EDuplicate)
	if err != nil && !strings.Contains(err.Error(), a.ReportNumber) {
		t.Errorf("duplicate error %q does not name report %s", err, a.ReportNumber)
	}
	if err := e.importOne(e.fineAt("AB123CE", "7-15", at, notices.ContestDeferred)); err != nil {
		t.Errorf("another detection: %v", err)
	}
}

// A supervisor's correction of the plate or place does not make the
// camera's detection new: uploading it again is still a duplicate, and a
// detection of the corrected plate is another one.
func TestImportDetectionAfterCorrection(t *testing.T) {
	e := newEnv(t)
	at := rome(2026, 3, 9, 8, 0)
	a := e.fineAt("AB123CD", "7-15", at, notices.ContestDeferred)
	if err := e.importOne(a); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.UpdateFine(context.Background(), a.ID, func(f *notices.Fine) error {
		return f.Correct(notices.CorrectionRequest{Plate: "AB123CE", Place: "Via Roma 2, Milano", Reason: "misread"}, "capo", e.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.importOne(e.fineAt("AB123CD", "7-15", at, notices.ContestDeferred)), notices.EDuplicate)
	if err := e.importOne(e.fineAt("AB123CE", "7-15", at, notices.ContestDeferred)); err != nil {
		t.Errorf("a detection of the corrected plate: %v", err)
	}
}
