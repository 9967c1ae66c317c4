package main

import (
	"context"
	"io"
	"testing"

	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
)

// The verbale demos are what they say: one perfected by compiuta giacenza
// with the driver to name, one foreign on its way, one late.
func TestSeedVerbaleDemo(t *testing.T) {
	ctx := context.Background()
	now := testkit.Rome(2026, 11, 3, 9, 0)
	st := testkit.NewStore(t, testkit.NewClock(now))
	s := testkit.Milan
	if err := seedVerbaleDemo(ctx, st, notices.DefaultCatalogue(), s, now, io.Discard); err != nil {
		t.Fatal(err)
	}
	get := func(plate string) notices.Fine {
		t.Helper()
		page, err := st.ListFines(ctx, notices.FineFilter{Plate: plate})
		if err != nil || len(page.Items) != 1 {
			t.Fatalf("demo %s: %d fines, %v", plate, len(page.Items), err)
		}
		return page.Items[0]
	}
	giacenza := get("FG482KL")
	// Violation 14 Oct; CAD sent 20 Oct; perfected 30 Oct.
	if giacenza.Status != notices.StatusNotified || giacenza.NotifiedOn != (notices.Date{Year: 2026, Month: 10, Day: 30}) {
		t.Errorf("compiuta giacenza demo: %s from %s", giacenza.Status, giacenza.NotifiedOn)
	}
	if _, ok := s.Calendar.DriverTerm(&giacenza); !ok {
		t.Error("compiuta giacenza demo asks nobody to name the driver")
	}
	if f := get("MAB1234"); !f.Abroad() || len(f.Attempts) != 1 || f.Status != notices.StatusIssued {
		t.Errorf("foreign demo: abroad %v, attempts %d, %s", f.Abroad(), len(f.Attempts), f.Status)
	}
	late := get("GH559MN")
	if !late.FlagLate(s.Calendar, now) {
		t.Error("the late demo is not late")
	}
}
