package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// TestLedgerVerifyCrossChecksIndexes (issue 12 item 6): edits outside the
// fine and receipt records (a deleted receipts.paid key, a NAV index entry
// pointed at another fine, an edited idempotent answer) fail `multa ledger
// verify`.
func TestLedgerVerifyCrossChecksIndexes(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.db")
	s := start(t, good)
	tok := s.login(t, "admin", s.Admin)
	fineA := s.issue(t, tok, "AB123CD", "Via Torino 1, Milano")
	fineB := s.issue(t, tok, "CD456EF", "Via Roma 2, Milano")
	ra := s.payNotice(t, firstNAV(t, fineA), "")
	s.payNotice(t, firstNAV(t, fineB), "")
	s.stop()
	orig, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if code, out := runCLI(t, "", "ledger", "verify", "--db", good); code != 0 {
		t.Fatalf("the untouched database fails: %s", out)
	}
	for _, tc := range []struct {
		name   string
		tamper func(tx *bolt.Tx) error
	}{
		{"a receipts.paid key deleted", func(tx *bolt.Tx) error {
			c := tx.Bucket([]byte("receipts.paid")).Cursor()
			k, _ := c.First()
			return tx.Bucket([]byte("receipts.paid")).Delete(k)
		}},
		{"a NAV pointed at another fine", func(tx *bolt.Tx) error {
			return tx.Bucket([]byte("fines.nav")).Put([]byte(firstNAV(t, fineA)), []byte(fineB["id"].(string)))
		}},
		{"an idempotent answer edited", func(tx *bolt.Tx) error {
			// A card payment's idempotent answer is kept in its receipt
			// (notices/boltdb, paymentIdem): a retry with another request
			// under the same key must not be taken for the first one.
			b := tx.Bucket([]byte("receipts"))
			id := []byte(ra["receiptId"].(string))
			var m map[string]any
			if err := json.Unmarshal(b.Get(id), &m); err != nil {
				return err
			}
			idem, ok := m["idem"].(map[string]any)
			if !ok {
				t.Fatal("the first receipt keeps no idempotent answer")
			}
			idem["requestHash"] = strings.Repeat("0", 64)
			nv, _ := json.Marshal(m)
			return b.Put(id, nv)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "multa.db")
			if err := os.WriteFile(db, orig, 0o600); err != nil {
				t.Fatal(err)
			}
			raw, err := bolt.Open(db, 0o600, &bolt.Options{Timeout: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = raw.Update(tc.tamper)
			raw.Close()
			if err != nil {
				t.Fatal(err)
			}
			if code, out := runCLI(t, "", "ledger", "verify", "--db", db); code == 0 || !strings.Contains(out, "FAILED") {
				t.Errorf("ledger verify after %s: exit %d, %s", tc.name, code, out)
			} else {
				t.Logf("%s", strings.TrimSpace(out))
			}
		})
	}
}
