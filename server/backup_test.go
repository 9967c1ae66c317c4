package server_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/multa/multa/notices/boltdb"
)

// TestBackupUnderPaymentLoad takes an online backup while drivers keep
// paying, then opens the copy: it must verify, and hold every payment
// acknowledged before the backup began.
func TestBackupUnderPaymentLoad(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	officer := e.login("officer")
	const fines = 40
	var navList []string
	for i := 0; i < fines; i++ {
		f := e.issue(officer, map[string]any{"plate": fmt.Sprintf("BK%03dUP", i), "violationCode": "7-15",
			"occurredAt": "2026-11-03T08:00:00+01:00", "place": "Via Padova 88", "contestation": "immediate"})
		navList = append(navList, navs(f)["minimum"])
	}
	token := e.cardToken("4242424242424242")
	// Half are paid before the backup: those must be in it.
	for _, nav := range navList[:fines/2] {
		if r := pay(e, nav, 2940, token, "before-"+nav); r.status != 201 {
			t.Fatalf("pay: %d %s", r.status, r.body)
		}
	}
	var paid atomic.Int32
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := fines/2 + w; i < fines; i += 4 {
				if r := pay(e, navList[i], 2940, token, "during-"+navList[i]); r.status == 201 {
					paid.Add(1)
				}
			}
		}(w)
	}
	r := e.do("GET", "/api/v1/admin/backup", nil, "Authorization", e.login("root"))
	wg.Wait()
	if r.status != 200 || len(r.body) == 0 {
		t.Fatalf("backup: %d (%d bytes)", r.status, len(r.body))
	}
	if int(paid.Load()) != fines/2 {
		t.Errorf("%d payments during the backup succeeded, want %d", paid.Load(), fines/2)
	}
	path := filepath.Join(t.TempDir(), "restored.db")
	if err := os.WriteFile(path, r.body, 0o600); err != nil {
		t.Fatal(err)
	}
	copyStore, err := boltdb.Open(path, boltdb.Options{})
	if err != nil {
		t.Fatalf("the backup does not open: %v", err)
	}
	defer copyStore.Close()
	ctx := context.Background()
	if err := copyStore.VerifyLedger(ctx); err != nil {
		t.Fatalf("the backup does not verify: %v", err)
	}
	for _, nav := range navList[:fines/2] {
		f, err := copyStore.FineByNAV(ctx, mustNAV(t, nav))
		if err != nil || f.Status != "paid" || f.ReceiptID == "" {
			t.Errorf("payment of %s acknowledged before the backup is missing from it: %v %v", nav, f.Status, err)
		}
	}
}
