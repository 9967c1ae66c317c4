package boltdb

import (
	"errors"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

func openGroupCommit(t *testing.T) (*groupCommit, *bolt.DB) {
	t.Helper()
	db, err := bolt.Open(filepath.Join(t.TempDir(), "gc.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Update(func(tx *bolt.Tx) error {
		_, err := tx.CreateBucket([]byte("b"))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	return &groupCommit{db: db}, db
}

// Many goroutines, a third failing and a few panicking: every caller gets
// its own outcome, exactly the successful writes are committed (the writes
// of a failed call never are, although it shared a transaction that was
// rolled back), and the queue never wedges.
func TestGroupCommitOutcomes(t *testing.T) {
	g, db := openGroupCommit(t)
	const n = 600
	errBad := errors.New("refused")
	var runs [n]atomic.Int32
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = g.update(func(tx *bolt.Tx) error {
				runs[i].Add(1)
				// Write before deciding, so that a failed call's write
				// would show if its transaction were not rolled back.
				if err := tx.Bucket([]byte("b")).Put(fmt.Appendf(nil, "k%04d", i), []byte("v")); err != nil {
					return err
				}
				switch {
				case i%17 == 5:
					panic("boom")
				case i%3 == 1:
					return fmt.Errorf("call %d: %w", i, errBad)
				}
				return nil
			})
		}()
	}
	wg.Wait()
	err := db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket([]byte("b"))
		for i := range n {
			got := b.Get(fmt.Appendf(nil, "k%04d", i)) != nil
			switch {
			case i%17 == 5:
				if errs[i] == nil || errors.Is(errs[i], errBad) {
					t.Errorf("call %d panicked but returned %v", i, errs[i])
				}
				if got {
					t.Errorf("call %d panicked but its write is committed", i)
				}
			case i%3 == 1:
				if !errors.Is(errs[i], errBad) {
					t.Errorf("call %d returned %v, want its own error", i, errs[i])
				}
				if got {
					t.Errorf("call %d failed but its write is committed", i)
				}
			default:
				if errs[i] != nil {
					t.Errorf("call %d returned %v", i, errs[i])
				}
				if !got {
					t.Errorf("call %d succeeded but its write is missing", i)
				}
			}
			if runs[i].Load() < 1 {
				t.Errorf("call %d never ran", i)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if g.busy || len(g.queue) != 0 {
		t.Fatalf("group commit left busy=%v with %d queued", g.busy, len(g.queue))
	}
}

// Calls that arrive while a commit runs share the next transaction, and a
// lone call commits at once.
func TestGroupCommitShares(t *testing.T) {
	g, db := openGroupCommit(t)
	var before int
	_ = db.View(func(tx *bolt.Tx) error { before = tx.ID(); return nil })

	// Hold the first commit open until the others are queued.
	release := make(chan struct{})
	started := make(chan struct{})
	const followers = 20
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := g.update(func(tx *bolt.Tx) error {
			close(started)
			<-release
			return nil
		}); err != nil {
			t.Error(err)
		}
	}()
	<-started
	var seen sync.Map // transaction id → calls in it
	for i := range followers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := g.update(func(tx *bolt.Tx) error {
				v, _ := seen.LoadOrStore(tx.ID(), new(atomic.Int32))
				v.(*atomic.Int32).Add(1)
				return tx.Bucket([]byte("b")).Put(fmt.Appendf(nil, "f%02d", i), nil)
			}); err != nil {
				t.Error(err)
			}
		}()
	}
	for {
		g.mu.Lock()
		q := len(g.queue)
		g.mu.Unlock()
		if q == followers {
			break
		}
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	groups := 0
	seen.Range(func(k, v any) bool {
		groups++
		if got := v.(*atomic.Int32).Load(); got != followers {
			t.Errorf("transaction %v held %d calls, want all %d followers", k, got, followers)
		}
		return true
	})
	if groups != 1 {
		t.Errorf("followers committed in %d transactions, want 1", groups)
	}
	var after int
	_ = db.View(func(tx *bolt.Tx) error { after = tx.ID(); return nil })
	if after-before != 2 {
		t.Errorf("%d commits for a leader and one group, want 2", after-before)
	}
}
