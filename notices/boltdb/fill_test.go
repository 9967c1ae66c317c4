package boltdb_test

import (
	"context"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// TestImportFillsPages imports fines with violation times scattered over
// 300 days (many cameras' exports interleaved) and in time order (one
// camera), and checks how full the pages of the fines bucket and of the
// time indexes are. A fixed 90% split fill left the time indexes 39% full
// with scattered times, where bbolt's half-page split keeps a B+tree with
// random inserts near 69%.
func TestImportFillsPages(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 6,000 fines twice")
	}
	for _, tc := range []struct {
		name    string
		ordered bool
		min     map[string]float64 // bucket → least leaf fill
	}{
		{"scattered", false, map[string]float64{"fines": 0.75, "fines.date": 0.6, "fines.status": 0.6}},
		{"ordered", true, map[string]float64{"fines": 0.75, "fines.date": 0.75, "fines.status": 0.75}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			e.st.ReopenWith(boltdb.Options{ImportChunk: 400}) // 15 transactions
			g := newFineGen(e, 7)
			g.ordered = tc.ordered
			for range 3 {
				fines := make([]*notices.Fine, 2000)
				for i := range fines {
					e.clock.Advance(time.Millisecond) // ids start with their creation's milliseconds
					fines[i] = g.next(t)
				}
				errs, err := e.st.ImportFines(context.Background(), fines)
				if err != nil {
					t.Fatal(err)
				}
				for _, err := range errs {
					if err != nil {
						t.Fatal(err)
					}
				}
			}
			if err := e.st.Close(); err != nil {
				t.Fatal(err)
			}
			for name, least := range tc.min {
				if got := leafFill(t, e.path, name); got < least {
					t.Errorf("bucket %s: leaf pages %.0f%% full, want at least %.0f%%", name, 100*got, 100*least)
				} else {
					t.Logf("bucket %s: leaf pages %.0f%% full", name, 100*got)
				}
			}
		})
	}
}

// leafFill is the share of the bytes of a bucket's leaf pages in use.
func leafFill(t *testing.T, path, bucket string) float64 {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var s bolt.BucketStats
	if err := db.View(func(tx *bolt.Tx) error {
		s = tx.Bucket([]byte(bucket)).Stats()
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return float64(s.LeafInuse) / float64(s.LeafAlloc)
}
