package boltdb_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
	"github.com/multa/multa/notices/storetest"
)

// TestConformance runs the store conformance suite on bbolt: a file in a
// temporary directory, reopened from the same path; imports in chunks
// of 64 so that the import test crosses chunks.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) (notices.Store, func(notices.Store) notices.Store) {
		path := filepath.Join(t.TempDir(), "multa.db")
		open := func() notices.Store {
			st, err := boltdb.Open(path, boltdb.Options{Now: now, ImportChunk: 64})
			if err != nil {
				t.Fatalf("Open(%s): %v", path, err)
			}
			return st
		}
		return open(), func(st notices.Store) notices.Store {
			if err := st.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return open()
		}
	})
}
