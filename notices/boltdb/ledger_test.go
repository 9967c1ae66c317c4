package boltdb_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	bolt "go.etcd.io/bbolt"
	"golang.org/x/mod/sumdb/tlog"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// tamper closes the store, edits the file with bbolt directly, as an
// attacker with access to the disk would, and reopens it.
func (e *env) tamper(edit func(tx *bolt.Tx) error) {
	e.t.Helper()
	e.st.SkipLedgerCheck()
	if err := e.st.Close(); err != nil {
		e.t.Fatal(err)
	}
	db, err := bolt.Open(e.path, 0o600, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := db.Update(edit); err != nil {
		e.t.Fatalf("tamper: %v", err)
	}
	if err := db.Close(); err != nil {
		e.t.Fatal(err)
	}
	e.st.Reopen()
}

// ledgerFixture is a store with a few fines, two of them paid.
type ledgerFixture struct {
	*env
	paid     notices.Fine
	receipt  notices.Receipt
	entry    int64 // the receipt's ledger entry
	fineNext int64 // the ledger entry of the paid fine's "pay" event
	other    notices.Fine
}

func newLedgerFixture(t *testing.T) *ledgerFixture {
	e := newEnv(t)
	x := &ledgerFixture{env: e}
	e.create("AB123CD", "7-15", rome(2026, 3, 9, 9, 0), notices.ContestImmediate)
	x.paid = e.create("EF456GH", "146-3", rome(2026, 3, 9, 10, 0), notices.ContestImmediate)
	x.other = e.create("IJ789KL", "7-14", rome(2026, 3, 9, 11, 0), notices.ContestImmediate)
	x.receipt = e.pay(x.paid, "3fa85f6457174562b3fc2c963f66afa6", 11690)
	e.pay(x.other, receiptID(2), 6090)
	p, err := e.st.ReceiptProof(context.Background(), x.receipt.ID)
	if err != nil {
		t.Fatal(err)
	}
	x.entry, x.fineNext = p.Index, p.Index+1
	if err := e.st.VerifyLedger(context.Background()); err != nil {
		t.Fatalf("untouched ledger fails: %v", err)
	}
	return x
}

func TestReceiptProofVerifiesWithTlogAlone(t *testing.T) {
	ctx := context.Background()
	x := newLedgerFixture(t)
	p, err := x.st.ReceiptProof(ctx, x.receipt.ID)
	if err != nil {
		t.Fatal(err)
	}
	head, err := x.st.LedgerHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Head != head || head.Size != 7 {
		t.Errorf("proof head %+v, LedgerHead %+v; want the same, size 7", p.Head, head)
	}

	// The verifier needs only the proof, the head and tlog.
	check := func(p notices.LedgerProof) error {
		proof := make(tlog.RecordProof, len(p.Proof))
		for i, h := range p.Proof {
			proof[i] = h
		}
		return tlog.CheckRecord(proof, p.Head.Size, p.Head.Root, p.Index, tlog.RecordHash(p.Record))
	}
	if err := check(p); err != nil {
		t.Fatalf("CheckRecord: %v", err)
	}
	var ev struct {
		Type, ID, FineID, SHA256 string
		AmountCents              int64
	}
	if err := json.Unmarshal(p.Record, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "receipt" || ev.ID != x.receipt.ID || ev.FineID != x.paid.ID || ev.AmountCents != 11690 {
		t.Errorf("record = %s", p.Record)
	}
	// An altered record, or a proof for another head, does not verify.
	forged := p
	forged.Record = []byte(strings.Replace(string(p.Record), "11690", "1169", 1))
	if check(forged) == nil {
		t.Error("a forged record verified")
	}
	forged = p
	forged.Index = p.Index - 1
	if check(forged) == nil {
		t.Error("a proof verified at another index")
	}

	// Later appends leave the old proof valid for its head, and a new proof
	// proves the same record in the bigger tree.
	x.create("MN012OP", "7-15", rome(2026, 3, 9, 12, 0), notices.ContestDeferred)
	if err := check(p); err != nil {
		t.Errorf("old proof after an append: %v", err)
	}
	p2, err := x.st.ReceiptProof(ctx, x.receipt.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Head.Size != 8 || check(p2) != nil || string(p2.Record) != string(p.Record) {
		t.Errorf("new proof: size %d, check %v", p2.Head.Size, check(p2))
	}
	// The ledger is an extension of the old head.
	if err := x.st.VerifyLedgerExtends(ctx, p.Head); err != nil {
		t.Errorf("VerifyLedgerExtends(old head): %v", err)
	}
	if err := x.st.VerifyLedgerExtends(ctx, notices.LedgerHead{Size: 99}); notices.ErrorCode(err) != notices.ELedgerMismatch {
		t.Errorf("VerifyLedgerExtends(future head) = %v", err)
	}

	// The record binds the stored bytes: its sha256 is that of the value.
	x.tamper(func(tx *bolt.Tx) error {
		sum := sha256.Sum256(tx.Bucket([]byte("receipts")).Get([]byte(x.receipt.ID)))
		if got := hex.EncodeToString(sum[:]); got != ev.SHA256 {
			t.Errorf("record sha256 %s, stored value's %s", ev.SHA256, got)
		}
		return nil
	})

	_, err = x.st.ReceiptProof(ctx, "nope")
	wantCode(t, err, notices.EReceiptNotFound)
}

func TestVerifyLedgerCatchesTampering(t *testing.T) {
	type fixtureEdit func(x *ledgerFixture, tx *bolt.Tx) error
	put := func(bucket, key string, edit func(map[string]any)) func(tx *bolt.Tx) error {
		return func(tx *bolt.Tx) error {
			b := tx.Bucket([]byte(bucket))
			var m map[string]any
			if err := json.Unmarshal(b.Get([]byte(key)), &m); err != nil {
				return fmt.Errorf("%s/%s: %w", bucket, key, err)
			}
			edit(m)
			v, _ := json.Marshal(m)
			return b.Put([]byte(key), v)
		}
	}
	cases := []struct {
		name string
		edit fixtureEdit
		want func(x *ledgerFixture) string
	}{
		{
			name: "receipt amount edited",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				return put("receipts", x.receipt.ID, func(m map[string]any) { m["amountCents"] = 100 })(tx)
			},
			want: func(x *ledgerFixture) string {
				return fmt.Sprintf("receipt %s: amount changed since ledger entry %d", x.receipt.ID, x.entry)
			},
		},
		{
			name: "receipt PSP edited",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				return put("receipts", x.receipt.ID, func(m map[string]any) { m["psp"] = map[string]any{"name": "evil"} })(tx)
			},
			want: func(x *ledgerFixture) string {
				return fmt.Sprintf("receipt %s: changed since ledger entry %d", x.receipt.ID, x.entry)
			},
		},
		{
			name: "receipt deleted",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				return tx.Bucket([]byte("receipts")).Delete([]byte(x.receipt.ID))
			},
			want: func(x *ledgerFixture) string {
				return fmt.Sprintf("receipt %s: deleted since ledger entry %d", x.receipt.ID, x.entry)
			},
		},
		{
			name: "paid fine set back to notified",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				return put("fines", x.paid.ID, func(m map[string]any) { m["st"] = "notified"; delete(m, "rc") })(tx)
			},
			want: func(x *ledgerFixture) string {
				return fmt.Sprintf("fine %s: status changed since ledger entry %d (notified, was paid)", x.paid.ID, x.fineNext)
			},
		},
		{
			name: "fine plate edited",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				return put("fines", x.paid.ID, func(m map[string]any) { m["pl"] = "ZZ999ZZ" })(tx)
			},
			want: func(x *ledgerFixture) string {
				return fmt.Sprintf("fine %s: changed since ledger entry %d", x.paid.ID, x.fineNext)
			},
		},
		{
			name: "ledger record rewritten",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				b := tx.Bucket([]byte("ledger.records"))
				key := binary.BigEndian.AppendUint64(nil, uint64(x.entry))
				rec := strings.Replace(string(b.Get(key)), "11690", "100", 1)
				return b.Put(key, []byte(rec))
			},
			want: func(x *ledgerFixture) string {
				return fmt.Sprintf("entry %d does not match its stored hashes", x.entry)
			},
		},
		{
			name: "last ledger record deleted",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				b := tx.Bucket([]byte("ledger.records"))
				return b.Delete(binary.BigEndian.AppendUint64(nil, b.Sequence()-1))
			},
			want: func(x *ledgerFixture) string { return "entry 6 is missing (the log was truncated)" },
		},
		{
			name: "ledger record in the middle deleted",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				return tx.Bucket([]byte("ledger.records")).Delete(binary.BigEndian.AppendUint64(nil, uint64(x.entry)))
			},
			want: func(x *ledgerFixture) string { return fmt.Sprintf("entry %d is missing or out of place", x.entry) },
		},
		{
			name: "receipt pointed at an older ledger entry",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				return put("receipts", x.receipt.ID, func(m map[string]any) { m["le"] = 0 })(tx)
			},
			want: func(x *ledgerFixture) string {
				return fmt.Sprintf("receipt %s: rolled back to ledger entry 0, before ledger entry %d", x.receipt.ID, x.entry)
			},
		},
		{
			name: "fine slipped in without the ledger",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				b := tx.Bucket([]byte("fines"))
				return b.Put([]byte("ffffffffffffffffffffffffffffffff"), b.Get([]byte(x.other.ID)))
			},
			want: func(x *ledgerFixture) string {
				return "fine ffffffffffffffffffffffffffffffff: stored without a ledger entry"
			},
		},
		{
			name: "catalogue entry deleted",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				b := tx.Bucket([]byte("violations"))
				var keys [][]byte
				b.ForEach(func(k, _ []byte) error { keys = append(keys, bytes.Clone(k)); return nil })
				for _, k := range keys {
					if err := b.Delete(k); err != nil {
						return err
					}
				}
				return nil
			},
			want: func(x *ledgerFixture) string { return "catalogue entry" },
		},
		{
			name: "catalogue entry edited",
			edit: func(x *ledgerFixture, tx *bolt.Tx) error {
				b := tx.Bucket([]byte("violations"))
				k, v := b.Cursor().First()
				return b.Put(k, []byte(strings.Replace(string(v), `"minCents":`, `"minCents":1`, 1)))
			},
			want: func(x *ledgerFixture) string { return "catalogue entry altered" },
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			x := newLedgerFixture(t)
			x.tamper(func(tx *bolt.Tx) error { return c.edit(x, tx) })
			err := x.st.VerifyLedger(context.Background())
			wantCode(t, err, notices.ELedgerMismatch)
			if want := c.want(x); !strings.Contains(err.Error(), want) {
				t.Errorf("VerifyLedger = %q\nwant it to say %q", err, want)
			}
			var le *boltdb.LedgerError
			if !errors.As(err, &le) {
				t.Errorf("no *LedgerError in %v", err)
			}
		})
	}
}

// TestVerifyLedgerCatchesRollback puts back an earlier, genuine version of
// a fine (its bytes once matched the ledger): the later entries expose it.
func TestVerifyLedgerCatchesRollback(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 9, 0), notices.ContestImmediate)
	var before []byte
	e.tamper(func(tx *bolt.Tx) error {
		before = bytes.Clone(tx.Bucket([]byte("fines")).Get([]byte(f.ID)))
		return nil
	})
	e.pay(f, receiptID(1), 2940)
	e.tamper(func(tx *bolt.Tx) error { return tx.Bucket([]byte("fines")).Put([]byte(f.ID), before) })
	err := e.st.VerifyLedger(ctx)
	wantCode(t, err, notices.ELedgerMismatch)
	if want := fmt.Sprintf("fine %s: rolled back to ledger entry 0, before ledger entry 2", f.ID); !strings.Contains(err.Error(), want) {
		t.Errorf("VerifyLedger = %v\nwant %q", err, want)
	}
}

// TestRewrittenHistoryNeedsAPublishedHead shows the limit of VerifyLedger
// alone: an attacker who rewrites a receipt, its record and every hash
// after it gets a consistent ledger; a head published before the rewrite
// exposes it.
func TestRewrittenHistoryNeedsAPublishedHead(t *testing.T) {
	ctx := context.Background()
	x := newLedgerFixture(t)
	published, err := x.st.LedgerHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	x.tamper(func(tx *bolt.Tx) error {
		receipts := tx.Bucket([]byte("receipts"))
		var r map[string]any
		json.Unmarshal(receipts.Get([]byte(x.receipt.ID)), &r)
		r["amountCents"] = 100
		rv, _ := json.Marshal(r)
		receipts.Put([]byte(x.receipt.ID), rv)
		sum := sha256.Sum256(rv)

		records, hashes := tx.Bucket([]byte("ledger.records")), tx.Bucket([]byte("ledger.hashes"))
		key := binary.BigEndian.AppendUint64(nil, uint64(x.entry))
		var ev map[string]any
		json.Unmarshal(records.Get(key), &ev)
		ev["amountCents"], ev["sha256"] = 100, hex.EncodeToString(sum[:])
		rec, _ := json.Marshal(ev)
		records.Put(key, rec)
		// Recompute every stored hash from scratch.
		var all []tlog.Hash
		reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
			out := make([]tlog.Hash, len(idx))
			for i, j := range idx {
				out[i] = all[j]
			}
			return out, nil
		})
		for n := int64(0); n < int64(records.Sequence()); n++ {
			hs, err := tlog.StoredHashes(n, records.Get(binary.BigEndian.AppendUint64(nil, uint64(n))), reader)
			if err != nil {
				return err
			}
			all = append(all, hs...)
		}
		for i, h := range all {
			hashes.Put(binary.BigEndian.AppendUint64(nil, uint64(i)), h[:])
		}
		return nil
	})
	if err := x.st.VerifyLedger(ctx); err != nil {
		t.Fatalf("a consistent rewrite should pass VerifyLedger alone, got %v", err)
	}
	err = x.st.VerifyLedgerExtends(ctx, published)
	wantCode(t, err, notices.ELedgerMismatch)
	if !strings.Contains(err.Error(), "differ from the given head") {
		t.Errorf("VerifyLedgerExtends = %v", err)
	}
}

func TestLedgerRecordsEveryChange(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 9, 0), notices.ContestDeferred)
	if _, err := e.st.UpdateFine(ctx, f.ID, func(f *notices.Fine) error {
		return f.Notify(notices.DateOf(e.clock.Now()), notices.ChannelPEC, 300, e.clock.Now())
	}); err != nil {
		t.Fatal(err)
	}
	e.pay(f, receiptID(1), 3240)
	e.tamper(func(tx *bolt.Tx) error {
		var got []string
		tx.Bucket([]byte("ledger.records")).ForEach(func(_, v []byte) error {
			var ev struct{ Type, Op, Status, At string }
			json.Unmarshal(v, &ev)
			got = append(got, ev.Type+"/"+ev.Op+"/"+ev.Status+"@"+ev.At)
			return nil
		})
		want := []string{
			"fine/create/issued@2026-03-10T09:00:00Z",
			"fine/update/notified@2026-03-10T09:00:00Z",
			"receipt/create/@2026-03-10T09:00:00Z",
			"fine/pay/paid@2026-03-10T09:00:00Z",
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("ledger = %v\nwant %v", got, want)
		}
		return nil
	})
}
