package storetest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/tlog"

	"github.com/multa/multa/notices"
)

// ledgerExtender is what both adapters offer beyond the port to check a
// published head.
type ledgerExtender interface {
	VerifyLedgerExtends(ctx context.Context, old notices.LedgerHead) error
}

// testReceiptProofVerifiesWithTlogAlone: the same history gives the same
// ledger shape on every store (one entry per fine created, two per
// payment), and a receipt's proof checks with tlog alone.
func testReceiptProofVerifiesWithTlogAlone(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.create("AB123CD", "7-15", rome(2026, 3, 9, 9, 0), notices.ContestImmediate)
	paid := e.create("EF456GH", "146-3", rome(2026, 3, 9, 10, 0), notices.ContestImmediate)
	other := e.create("IJ789KL", "7-14", rome(2026, 3, 9, 11, 0), notices.ContestImmediate)
	receipt := e.pay(paid, "3fa85f6457174562b3fc2c963f66afa6", 11690)
	e.pay(other, receiptID(2), 6090)

	p, err := e.st.ReceiptProof(ctx, receipt.ID)
	if err != nil {
		t.Fatal(err)
	}
	head, err := e.st.LedgerHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Head != head || head.Size != 7 || p.Index != 3 {
		t.Errorf("proof head %+v index %d, LedgerHead %+v; want the same, size 7, index 3", p.Head, p.Index, head)
	}
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
		Type, ID, Op, FineID, At, SHA256 string
		AmountCents                      int64
	}
	if err := json.Unmarshal(p.Record, &ev); err != nil {
		t.Fatal(err)
	}
	if ev.Type != "receipt" || ev.Op != "create" || ev.ID != receipt.ID || ev.FineID != paid.ID || ev.AmountCents != 11690 ||
		ev.At != "2026-03-10T09:00:00Z" || len(ev.SHA256) != 64 {
		t.Errorf("record = %s", p.Record)
	}
	forged := p
	forged.Record = []byte(strings.Replace(string(p.Record), "11690", "1169", 1))
	if check(forged) == nil {
		t.Error("a forged record verified")
	}
	e.create("MN012OP", "7-15", rome(2026, 3, 9, 12, 0), notices.ContestDeferred)
	if err := check(p); err != nil {
		t.Errorf("old proof after an append: %v", err)
	}
	p2, err := e.st.ReceiptProof(ctx, receipt.ID)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Head.Size != 8 || check(p2) != nil || string(p2.Record) != string(p.Record) {
		t.Errorf("new proof: size %d, check %v", p2.Head.Size, check(p2))
	}
	if err := e.st.VerifyLedger(ctx); err != nil {
		t.Error(err)
	}
	_, err = e.st.ReceiptProof(ctx, "nope")
	wantCode(t, err, notices.EReceiptNotFound)
}

// testLedgerExtendsPublishedHead: a head published earlier is extended by
// the current ledger; a head from the future, or another history, is not.
func testLedgerExtendsPublishedHead(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	x, ok := e.st.(ledgerExtender)
	if !ok {
		t.Fatal("the store cannot check a published head (VerifyLedgerExtends)")
	}
	f := e.create("AB123CD", "7-15", rome(2026, 3, 9, 9, 0), notices.ContestImmediate)
	old, err := e.st.LedgerHead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	e.pay(f, receiptID(1), 2940)
	if err := x.VerifyLedgerExtends(ctx, old); err != nil {
		t.Errorf("VerifyLedgerExtends(old head): %v", err)
	}
	if err := x.VerifyLedgerExtends(ctx, notices.LedgerHead{Size: 99}); notices.ErrorCode(err) != "ledger_mismatch" {
		t.Errorf("VerifyLedgerExtends(future head) = %v", err)
	}
	other := old
	other.Root[0] ^= 1
	if err := x.VerifyLedgerExtends(ctx, other); notices.ErrorCode(err) != "ledger_mismatch" {
		t.Errorf("VerifyLedgerExtends(another history) = %v", err)
	}
}

// testLedgerConsistencyProofs: for every earlier head an auditor may have
// kept (after each write, from the empty log on), LedgerConsistency proves
// with tlog alone that the current ledger extends it (the empty log needs
// no proof, and gets none rather than an internal error); a proof does not
// pass for a head of another history, and sizes outside 0..current are
// refused with EValidation.
func testLedgerConsistencyProofs(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	head := func() notices.LedgerHead {
		t.Helper()
		h, err := e.st.LedgerHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	heads := []notices.LedgerHead{head()}
	a := e.create("AB123CD", "7-15", rome(2026, 3, 9, 9, 0), notices.ContestImmediate)
	heads = append(heads, head())
	b := e.create("EF456GH", "146-3", rome(2026, 3, 9, 10, 0), notices.ContestImmediate)
	heads = append(heads, head())
	e.pay(a, receiptID(1), 2940)
	heads = append(heads, head())
	c := e.create("IJ789KL", "7-14", rome(2026, 3, 9, 11, 0), notices.ContestDeferred)
	heads = append(heads, head())
	e.pay(b, receiptID(2), 11690)
	e.pay(c, receiptID(3), 6090)
	heads = append(heads, head())
	cur := heads[len(heads)-1]
	if cur.Size != 9 {
		t.Fatalf("ledger size %d, want 9 (3 fines, 3 payments of two entries)", cur.Size)
	}
	for _, old := range heads {
		p, err := e.st.LedgerConsistency(ctx, old.Size)
		if err != nil {
			t.Fatalf("LedgerConsistency(%d): %v", old.Size, err)
		}
		if p.OldSize != old.Size || p.Head != cur {
			t.Errorf("LedgerConsistency(%d): old size %d, head %+v; want the current %+v", old.Size, p.OldSize, p.Head, cur)
		}
		if old.Size == 0 { // every log extends the empty one; tlog has no proof for it
			if len(p.Proof) != 0 {
				t.Errorf("LedgerConsistency(0) gave a proof of %d hashes, want none", len(p.Proof))
			}
			continue
		}
		proof := make(tlog.TreeProof, len(p.Proof))
		for i, h := range p.Proof {
			proof[i] = h
		}
		if err := tlog.CheckTree(proof, p.Head.Size, p.Head.Root, old.Size, old.Root); err != nil {
			t.Errorf("CheckTree from size %d: %v", old.Size, err)
		}
		forged := old
		forged.Root[0] ^= 1
		if tlog.CheckTree(proof, p.Head.Size, p.Head.Root, forged.Size, forged.Root) == nil {
			t.Errorf("the proof from size %d passed for another history", old.Size)
		}
	}
	for _, bad := range []int64{-1, cur.Size + 1} {
		_, err := e.st.LedgerConsistency(ctx, bad)
		wantCode(t, err, notices.EValidation)
	}
}
