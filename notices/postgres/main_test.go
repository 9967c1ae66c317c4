package postgres_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/multa/multa/internal/pgtest"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/postgres"
	"github.com/multa/multa/notices/storetest"
)

// TestMain starts one throw-away PostgreSQL cluster for the package; each
// test gets its own database on it.
func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

// open opens a store on url with the suite's options.
func open(t testing.TB, url string, now func() time.Time) *postgres.Store {
	t.Helper()
	st, err := postgres.Open(context.Background(), url, postgres.Options{Now: now, ImportChunk: 64})
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return st
}

// TestConformance runs the store conformance suite on PostgreSQL: a fresh
// database per test, reopened through a new pool.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T, now func() time.Time) (notices.Store, func(notices.Store) notices.Store) {
		url := pgtest.NewDatabase(t)
		return open(t, url, now), func(st notices.Store) notices.Store {
			if err := st.Close(); err != nil {
				t.Fatalf("Close: %v", err)
			}
			return open(t, url, now)
		}
	})
}
