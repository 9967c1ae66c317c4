package issuing_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/issuing"
	"github.com/multa/multa/notices"
)

var (
	milan = testkit.Milan
	now   = testkit.Rome(2026, 11, 3, 9, 0)
)

// open is a store checked and ledger-verified at cleanup by the test kit.
func open(t *testing.T) *testkit.Store {
	return testkit.NewStore(t, testkit.NewClock(now))
}

func request(plate string) notices.FineRequest {
	return notices.FineRequest{Plate: plate, ViolationCode: "7-15", OccurredAt: now.Add(-time.Hour),
		Place: "Via Torino 1, Milano", Contestation: notices.ContestDeferred, Officer: "agente1"}
}

// squatter stores, under another id, a fine holding the very NAVs that a
// service reading the same seeded random stream will draw first.
func squatter(t *testing.T, st *testkit.Store, seed uint64) notices.Fine {
	t.Helper()
	f, err := notices.NewFine(request("ZZ999ZZ"), notices.DefaultCatalogue(), milan, now, seeded(seed))
	if err != nil {
		t.Fatal(err)
	}
	f.ID = fmt.Sprintf("%032x", seed) // not the id the service will draw
	if _, err := st.CreateFine(context.Background(), f, nil); err != nil {
		t.Fatal(err)
	}
	return *f
}

func seeded(seed uint64) *rand.ChaCha8 {
	var s [32]byte
	s[0] = byte(seed)
	return rand.NewChaCha8(s)
}

func TestIssueRetriesATakenNAV(t *testing.T) {
	st := open(t)
	taken := squatter(t, st, 1)
	svc := issuing.New(issuing.Config{Store: st, Settings: milan, Now: func() time.Time { return now }, Rand: seeded(1)})
	f, replayed, err := svc.Issue(context.Background(), request("AB123CD"), nil)
	if err != nil || replayed {
		t.Fatalf("Issue: %v (replayed %v)", err, replayed)
	}
	if f.Options[0].NAV == taken.Options[0].NAV || f.ReportNumber == "" {
		t.Fatalf("issued with the taken NAV %s (report %q)", f.Options[0].NAV, f.ReportNumber)
	}
	if got, err := st.FineByNAV(context.Background(), f.Options[0].NAV); err != nil || got.ID != f.ID {
		t.Fatalf("FineByNAV(new NAV) = %s %v, want %s", got.ID, err, f.ID)
	}
}

func TestIssueReplaysByKey(t *testing.T) {
	st := open(t)
	svc := issuing.New(issuing.Config{Store: st, Settings: milan, Now: func() time.Time { return now }})
	idem := &issuing.Idempotency{Scope: "fine:agente1", Key: "retry-0001", RequestHash: "h1"}
	first, replayed, err := svc.Issue(context.Background(), request("AB123CD"), idem)
	if err != nil || replayed {
		t.Fatal(err, replayed)
	}
	again, replayed, err := svc.Issue(context.Background(), request("AB123CD"), idem)
	if err != nil || !replayed || again.ID != first.ID || again.ReportNumber != first.ReportNumber {
		t.Fatalf("retry = %s %v %v, want %s replayed", again.ID, replayed, err, first.ID)
	}
	_, _, err = svc.Issue(context.Background(), request("EF456GH"), &issuing.Idempotency{Scope: "fine:agente1", Key: "retry-0001", RequestHash: "h2"})
	if notices.ErrorCode(err) != notices.EIdempotencyConflict {
		t.Fatalf("same key, other request: %v", err)
	}
	_, _, err = svc.Issue(context.Background(), notices.FineRequest{Plate: "?"}, nil)
	if notices.ErrorCode(err) != notices.EValidation {
		t.Fatalf("bad request: %v", err)
	}
}

func TestImportRetriesTakenNAVsAndKeepsGoing(t *testing.T) {
	st := open(t)
	taken := squatter(t, st, 2)
	rnd := seeded(2)
	var fines []*notices.Fine
	for _, plate := range []string{"AB123CD", "EF456GH"} {
		f, err := notices.NewFine(request(plate), notices.DefaultCatalogue(), milan, now, rnd)
		if err != nil {
			t.Fatal(err)
		}
		fines = append(fines, f)
	}
	dup := *fines[1] // the same fine twice: the second copy must fail alone
	fines = append(fines, &dup)
	if fines[0].Options[0].NAV != taken.Options[0].NAV {
		t.Fatal("test setup: the first fine should draw the taken NAV")
	}
	svc := issuing.New(issuing.Config{Store: st, Settings: milan, Now: func() time.Time { return now }})
	errs, err := svc.Import(context.Background(), fines)
	if err != nil {
		t.Fatal(err)
	}
	if errs[0] != nil || errs[1] != nil || errs[2] == nil {
		t.Fatalf("errs = %v, want the taken NAV retried, the copy refused", errs)
	}
	if fines[0].Options[0].NAV == taken.Options[0].NAV || fines[0].ReportNumber == "" {
		t.Fatalf("first fine kept the taken NAV or got no report number: %+v", fines[0].Options)
	}
}
