package boltdb

import (
	"context"
	"maps"
	"path/filepath"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

// A payment prepared outside the transaction writes the bytes and tally
// deltas the transaction would have computed itself, and is not used
// once the fine has changed since.
func TestPreparedPaymentMatchesTheTransaction(t *testing.T) {
	ctx := context.Background()
	settings := notices.Settings{
		Creditor:    notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"},
		Segregation: "01",
		Fees:        notices.DefaultFees,
		Calendar:    notices.Calendar{PatronMonth: time.December, PatronDay: 7},
	}
	st, err := Open(filepath.Join(t.TempDir(), "multa.db"), Options{Calendar: &settings.Calendar})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	now := time.Now()
	f, err := notices.NewFine(notices.FineRequest{
		Plate: "AB123CD", ViolationCode: "7-15", OccurredAt: now.Add(-time.Hour), Place: "Via Torino 1, Milano",
		Contestation: notices.ContestDeferred, Officer: "agente1",
	}, notices.DefaultCatalogue(), settings, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateFine(ctx, f, nil); err != nil {
		t.Fatal(err)
	}
	r := notices.Receipt{ID: "r1", FineID: f.ID, AmountCents: 2940, PaidAt: now}
	pre := st.preparePayment(f.ID, &r)
	if pre == nil {
		t.Fatal("a payable fine was not prepared")
	}
	if err := st.db.Update(func(tx *bolt.Tx) error {
		if !pre.current(tx) {
			t.Error("an unchanged fine is not current")
		}
		old, _, err := st.loadFine(tx, "test", f.ID)
		if err != nil {
			return err
		}
		paid := old
		if err := paid.MarkPaid(r.ID, r.PaidAt); err != nil {
			return err
		}
		for _, n := range []int64{0, 7, 1234567} {
			want, err := st.encodeFine(tx, &paid, n)
			if err != nil {
				return err
			}
			got := append(append([]byte(nil), pre.head...), []byte(itoa(n))...)
			if got = append(got, '}'); string(got) != string(want) {
				t.Errorf("prepared value for entry %d:\n%s\nwant\n%s", n, got, want)
			}
		}
		want := tallies{}
		want.add(st.cal.OutstandingDeltas(&old, -1))
		want.add(st.cal.OutstandingDeltas(&paid, 1))
		if !maps.Equal(pre.deltas, want) || len(want) == 0 {
			t.Errorf("prepared deltas %v, want %v", pre.deltas, want)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateFine(ctx, f.ID, func(g *notices.Fine) error { g.Place = "Via Padova 2, Milano"; return nil }); err != nil {
		t.Fatal(err)
	}
	_ = st.db.View(func(tx *bolt.Tx) error {
		if pre.current(tx) {
			t.Error("a changed fine is still current")
		}
		return nil
	})
	// A payment now is prepared from the changed fine, and keeps the change.
	if _, err := st.RecordPayment(ctx, notices.PaymentRecord{FineID: f.ID, Receipt: r}); err != nil {
		t.Fatal(err)
	}
	got, err := st.Fine(ctx, f.ID)
	if err != nil || got.Status != notices.StatusPaid || got.Place != "Via Padova 2, Milano" {
		t.Errorf("paid fine = %+v, %v", got, err)
	}
	if pre := st.preparePayment(f.ID, &notices.Receipt{ID: "r2", FineID: f.ID, AmountCents: 2940, PaidAt: now}); pre != nil {
		t.Error("a paid fine was prepared for another payment")
	}
}

func itoa(n int64) string { return string(appendDigits(nil, int(n), 1)) }
