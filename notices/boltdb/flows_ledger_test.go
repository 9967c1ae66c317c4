package boltdb_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/multa/multa/notices"
)

func testFlow(id string, day notices.Date, at time.Time, cents ...int64) notices.SettlementFlow {
	f := notices.SettlementFlow{ID: id, FlowTime: at, RegulationID: "SCT-" + id, RegulationDate: day.AddDays(1),
		PSP: "BANCA", Creditor: "01199250158"}
	for i, c := range cents {
		f.Lines = append(f.Lines, notices.SettlementLine{IUV: "01000000000000123", IUR: "T" + string(rune('0'+i)), TransferIndex: 1, AmountCents: c, Date: day})
	}
	f.DeclaredCount, f.DeclaredCents = len(f.Lines), f.PaidCents()
	return f
}

// TestVerifyLedgerCatchesFlowTampering: a flow revision, its withdrawal
// and a bank statement are bound to the ledger like fines and receipts.
func TestVerifyLedgerCatchesFlowTampering(t *testing.T) {
	ctx := context.Background()
	d := notices.Date{Year: 2026, Month: time.March, Day: 10}
	for _, c := range []struct {
		name, bucket, key string
		edit              func(v []byte) []byte
		want              string
	}{
		{"flow line edited", "flow.revs", "F-a#000001", func(v []byte) []byte {
			return bytes.Replace(v, []byte(`"amountCents":4200`), []byte(`"amountCents":1`), 1)
		}, "flow F-a#000001: changed since ledger entry"},
		{"withdrawal deleted", "flow.wd", "F-a#000001", nil, "flow_withdrawal F-a#000001: deleted since ledger entry"},
		{"withdrawal reason edited", "flow.wd", "F-a#000001", func(v []byte) []byte { return bytes.Replace(v, []byte("wrong city"), []byte("right city"), 1) }, "changed since ledger entry"},
		{"statement edited", "bank.stmt", "S1", func(v []byte) []byte {
			return bytes.Replace(v, []byte(`"amountCents":4200`), []byte(`"amountCents":9999`), 1)
		}, "bank_statement S1: changed since ledger entry"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			if _, _, err := e.st.SaveFlow(ctx, testFlow("F-a", d, d.AddDays(2).Start(), 4200), notices.FlowUploaded, "fin"); err != nil {
				t.Fatal(err)
			}
			if _, err := e.st.WithdrawFlow(ctx, "F-a", notices.FlowWithdrawal{Reason: "wrong city", By: "fin", At: d.AddDays(3).Start()}); err != nil {
				t.Fatal(err)
			}
			if err := e.st.SaveBankStatement(ctx, notices.BankStatement{ID: "S1", Entries: []notices.BankEntry{{Ref: "A", BookingDate: d, AmountCents: 4200, Credit: true}}}); err != nil {
				t.Fatal(err)
			}
			if err := e.st.VerifyLedger(ctx); err != nil {
				t.Fatalf("before: %v", err)
			}
			e.tamper(func(tx *bolt.Tx) error {
				b := tx.Bucket([]byte(c.bucket))
				if c.edit == nil {
					return b.Delete([]byte(c.key))
				}
				v := c.edit(bytes.Clone(b.Get([]byte(c.key))))
				return b.Put([]byte(c.key), v)
			})
			err := e.st.VerifyLedger(ctx)
			if notices.ErrorCode(err) != notices.ELedgerMismatch || !strings.Contains(err.Error(), c.want) {
				t.Errorf("VerifyLedger = %v, want %q", err, c.want)
			}
		})
	}
}
