package boltdb_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

func walk(t *testing.T, st *boltdb.Store, q notices.FineFilter) []notices.Fine {
	t.Helper()
	var out []notices.Fine
	for pages := 0; ; pages++ {
		if pages > 100 {
			t.Fatal("cursor loop")
		}
		page, err := st.ListFines(context.Background(), q)
		if err != nil {
			t.Fatalf("ListFines(%+v): %v", q, err)
		}
		if len(page.Items) == 0 && q.Cursor != "" {
			t.Errorf("empty page after cursor %q: the previous page should have had no cursor", q.Cursor)
		}
		if page.NextCursor != "" && len(page.Items) != q.Limit {
			t.Errorf("short page of %d with a next cursor", len(page.Items))
		}
		out = append(out, page.Items...)
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
}

func TestBackupRestoresAnIdenticalStore(t *testing.T) {
	ctx := context.Background()
	x := newLedgerFixture(t)
	if err := x.st.CreateUser(ctx, notices.User{Username: "anna", Role: notices.RoleAdmin}); err != nil {
		t.Fatal(err)
	}

	// Hot backup: writers go on while the copy runs.
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			f := x.fineAt("HO123TT", "7-15", rome(2026, 3, 9, 14, 0).Add(time.Duration(i)*time.Second), notices.ContestDeferred)
			if _, err := x.st.CreateFine(ctx, f, nil); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var hot bytes.Buffer
	n, err := x.st.Backup(ctx, &hot)
	close(stop)
	wg.Wait()
	if err != nil || n != int64(hot.Len()) {
		t.Fatalf("Backup = %d, %v (buffer %d)", n, err, hot.Len())
	}
	hotPath := filepath.Join(t.TempDir(), "hot.db")
	if err := os.WriteFile(hotPath, hot.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	hs, err := boltdb.Open(hotPath, boltdb.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := hs.VerifyLedger(ctx); err != nil {
		t.Errorf("hot backup: %v", err)
	}
	hs.Close()

	// A quiet backup to a file equals the store.
	out := filepath.Join(t.TempDir(), "backup.db")
	if err := x.st.BackupFile(out); err != nil {
		t.Fatal(err)
	}
	restored, err := boltdb.Open(out, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer restored.Close()
	for _, pair := range []struct {
		name string
		get  func(*boltdb.Store) any
	}{
		{"fines", func(s *boltdb.Store) any { return walk(t, s, notices.FineFilter{Limit: 500}) }},
		{"receipts", func(s *boltdb.Store) any {
			rs, _ := s.Receipts(ctx, notices.Date{Year: 2000, Month: 1, Day: 1}, notices.Date{Year: 2100, Month: 1, Day: 1})
			return rs
		}},
		{"head", func(s *boltdb.Store) any { h, _ := s.LedgerHead(ctx); return h }},
		{"users", func(s *boltdb.Store) any { u, _ := s.Users(ctx); return u }},
		{"proof", func(s *boltdb.Store) any { p, _ := s.ReceiptProof(ctx, x.receipt.ID); return p }},
	} {
		if a, b := jsonOf(t, pair.get(x.st.Store)), jsonOf(t, pair.get(restored)); a != b {
			t.Errorf("%s differ after restore:\n store  %s\n backup %s", pair.name, a, b)
		}
	}
	if h, _ := restored.LedgerHead(ctx); h.Size < 7 {
		t.Errorf("restored ledger has %d entries", h.Size)
	}
	if err := restored.VerifyLedger(ctx); err != nil {
		t.Errorf("restored: %v", err)
	}

	wantCode(t, x.st.BackupFile(x.path), notices.EValidation)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := x.st.Backup(cancelled, &bytes.Buffer{}); err == nil {
		t.Error("Backup with a cancelled context succeeded")
	}
}
