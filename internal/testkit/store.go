package testkit

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// Store is a bbolt store on a file in t.TempDir(). At cleanup, as bbolt's
// own tests do, it checks the file's pages (Check) and, unless the test
// called SkipLedgerCheck, verifies the ledger against every stored fine
// and receipt, so that any test that leaves an inconsistent database
// fails even if its own assertions passed.
type Store struct {
	*boltdb.Store
	t          testing.TB
	path       string
	opts       boltdb.Options
	skipLedger bool
}

// NewStore opens a store on a new temporary file with clock's time and
// Milan's calendar for the outstanding tallies.
func NewStore(t testing.TB, clock *Clock) *Store {
	t.Helper()
	cal := Milan.Calendar
	s := &Store{t: t, path: filepath.Join(t.TempDir(), "multa.db"), opts: boltdb.Options{Now: clock.Now, Calendar: &cal}}
	s.open()
	t.Cleanup(s.cleanup)
	return s
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// SkipLedgerCheck turns off the ledger verification at cleanup, for the
// tests that tamper with the file on purpose.
func (s *Store) SkipLedgerCheck() { s.skipLedger = true }

// Reopen closes the store (unless the test closed it) and opens the same
// file again, as a restart does.
func (s *Store) Reopen() {
	s.t.Helper()
	if s.Store != nil {
		if err := s.Store.Close(); err != nil {
			s.t.Fatalf("Close: %v", err)
		}
		s.Store = nil
	}
	s.open()
}

// ReopenWith closes the store and opens the same file with other options
// (the clock stays unless opts brings its own).
func (s *Store) ReopenWith(opts boltdb.Options) {
	s.t.Helper()
	if opts.Now == nil {
		opts.Now = s.opts.Now
	}
	if opts.Calendar == nil {
		opts.Calendar = s.opts.Calendar
	}
	s.opts = opts
	s.Reopen()
}

// Close closes the store early; cleanup then checks the file by opening
// it once more.
func (s *Store) Close() error {
	err := s.Store.Close()
	s.Store = nil
	return err
}

func (s *Store) open() {
	s.t.Helper()
	st, err := boltdb.Open(s.path, s.opts)
	if err != nil {
		s.t.Fatalf("Open(%s): %v", s.path, err)
	}
	s.Store = st
}

func (s *Store) cleanup() {
	for _, err := range s.verify() {
		s.t.Errorf("at cleanup: %v", err)
	}
}

// verify checks the file and the ledger, then closes the store.
func (s *Store) verify() []error {
	if s.Store == nil {
		st, err := boltdb.Open(s.path, s.opts)
		if err != nil {
			return []error{err}
		}
		s.Store = st
	}
	var errs []error
	ctx := context.Background()
	if err := s.Store.Check(ctx); err != nil {
		errs = append(errs, fmt.Errorf("database file check: %w", err))
	}
	if !s.skipLedger {
		if err := s.Store.VerifyLedger(ctx); err != nil {
			errs = append(errs, fmt.Errorf("ledger verification: %w", err))
		}
		if err := s.checkTallies(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.Store.Close(); err != nil {
		errs = append(errs, err)
	}
	s.Store = nil
	return errs
}

// checkTallies compares the store's outstanding tallies with valuing
// every unpaid fine, today by the store's clock and on days around it,
// so that a write path that forgets them fails whatever test took it.
func (s *Store) checkTallies(ctx context.Context) error {
	today := notices.DateOf(s.opts.Now())
	from, to := today.AddDays(-364), today.AddDays(1)
	byTally, err := notices.NewStats(from, to)
	if err != nil {
		return err
	}
	if err := s.Store.PaymentTallies(ctx, from, to, byTally.AddHourTally); err != nil {
		return err
	}
	byReceipt, _ := notices.NewStats(from, to)
	rs, err := s.Store.Receipts(ctx, from, to)
	if err != nil {
		return err
	}
	for _, r := range rs {
		byReceipt.AddReceipt(r)
	}
	a, _ := json.Marshal(byTally)
	b, _ := json.Marshal(byReceipt)
	if string(a) != string(b) {
		return fmt.Errorf("payment tallies of %s..%s: %s, the receipts: %s", from, to, a, b)
	}
	for _, on := range []notices.Date{today.AddDays(-400), today.AddDays(-30), today, today.AddDays(5), today.AddDays(30), today.AddDays(61), today.AddDays(400)} {
		got, err := s.Store.OutstandingOn(ctx, on)
		if err != nil {
			return err
		}
		st, err := notices.NewStats(on, on)
		if err != nil {
			return err
		}
		if err := st.AddOutstanding(func(fn func(*notices.Fine) error) error { return s.Store.OutstandingFines(ctx, fn) }, *s.opts.Calendar, on); err != nil {
			return err
		}
		if got != st.Outstanding {
			return fmt.Errorf("outstanding tallies on %s: %+v, valuing the fines: %+v", on, got, st.Outstanding)
		}
	}
	return nil
}
