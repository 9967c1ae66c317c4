package boltdb_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

func TestFlowsDurableUniqueAndByDay(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "flows.db")
	st, err := boltdb.Open(path, boltdb.Options{})
	if err != nil {
		t.Fatal(err)
	}
	d1 := notices.Date{Year: 2026, Month: time.March, Day: 10}
	if got, err := st.Flows(ctx, d1); err != nil || len(got) != 0 {
		t.Fatalf("Flows before any upload = %v, %v; want none", got, err)
	}
	mk := func(id string, day notices.Date) notices.SettlementFlow {
		return notices.SettlementFlow{ID: id, PSP: "BANCA", SettlementDate: day, TotalCents: 4200,
			Lines: []notices.SettlementLine{{IUV: "01000000000000123", TransactionID: "T1", AmountCents: 4200}}}
	}
	for _, f := range []notices.SettlementFlow{mk("F-b", d1), mk("F-a", d1), mk("F-c", d1.AddDays(1))} {
		if err := st.SaveFlow(ctx, f); err != nil {
			t.Fatalf("SaveFlow(%s): %v", f.ID, err)
		}
	}
	if err := st.SaveFlow(ctx, mk("F-a", d1.AddDays(5))); notices.ErrorCode(err) != notices.EConflict {
		t.Errorf("second F-a on another day: %v, want conflict", err)
	}
	bad := mk("F-d", d1)
	bad.Lines[0].IUV = "123"
	if err := st.SaveFlow(ctx, bad); notices.ErrorCode(err) != notices.EValidation {
		t.Errorf("invalid flow: %v, want validation_failed", err)
	}
	st.Close()

	// Reopened read-only, as the offline commands do: the flows are there.
	st, err = boltdb.Open(path, boltdb.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	got, err := st.Flows(ctx, d1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].ID != "F-a" || got[1].ID != "F-b" || got[0].Lines[0].AmountCents != 4200 || got[0].SettlementDate != d1 {
		t.Errorf("Flows(%s) = %+v, want F-a and F-b", d1, got)
	}
	if got, _ := st.Flows(ctx, d1.AddDays(1)); len(got) != 1 || got[0].ID != "F-c" {
		t.Errorf("Flows(next day) = %+v, want F-c", got)
	}
}
