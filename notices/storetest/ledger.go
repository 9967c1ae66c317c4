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
