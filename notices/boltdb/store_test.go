package boltdb_test

import (
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

func TestDatabaseInUse(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	st, err := boltdb.Open(e.path, boltdb.Options{})
	elapsed := time.Since(start)
	if err == nil {
		st.Close()
		t.Fatal("second Open of a held file succeeded")
	}
	wantCode(t, err, notices.EDatabaseInUse)
	if !strings.Contains(err.Error(), "database in use") {
		t.Errorf("error %q does not say \"database in use\"", err)
	}
	if elapsed < 500*time.Millisecond || elapsed > 3*time.Second {
		t.Errorf("second Open failed after %v, want about one second", elapsed)
	}
	// Once the holder closes, the file opens again.
	e.reopen()
}
