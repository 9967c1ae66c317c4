package notices_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// testNAV returns the i-th valid aux-3 NAV of segregation code 01.
func testNAV(t testing.TB, i int) notices.NAV {
	t.Helper()
	body := fmt.Sprintf("301%013d", i)
	v, _ := strconv.ParseUint(body, 10, 64)
	n, err := notices.ParseNAV(fmt.Sprintf("%s%02d", body, v%93))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func receipt(t testing.TB, i int, tx string, cents int64, at time.Time) notices.Receipt {
	return notices.Receipt{
		ID: fmt.Sprintf("r%02d", i), NAV: testNAV(t, i), AmountCents: cents, PaidAt: at,
		PSP: notices.PSPRef{Name: "SANDBOX", TransactionID: tx}, Stage: notices.StageReduced,
	}
}

func line(r notices.Receipt, cents int64, outcome int) notices.SettlementLine {
	return notices.SettlementLine{IUV: r.NAV.IUV(), TransactionID: r.PSP.TransactionID, AmountCents: cents, Outcome: outcome, PaidAt: r.PaidAt}
}

func flow(id string, lines ...notices.SettlementLine) notices.SettlementFlow {
	f := notices.SettlementFlow{ID: id, PSP: "PSP" + id, SettlementDate: day(2026, time.March, 10), Lines: lines}
	f.TotalCents = f.ExecutedCents()
	return f
}

// ids lists the receipt ids (or, when empty, the IUVs) of items, sorted.
func ids(items []notices.ReconItem) []string {
	out := []string{}
	for _, it := range items {
		if it.ReceiptID != "" {
			out = append(out, it.ReceiptID)
		} else {
			out = append(out, it.IUV)
		}
	}
	slices.Sort(out)
	return out
}

func TestReconcileEveryKindOfProblem(t *testing.T) {
	at := rome(2026, time.March, 10, 9, 0, 0)
	a := receipt(t, 1, "txA", 4200, at)
	b := receipt(t, 2, "txB", 8700, at.Add(time.Hour))
	c := receipt(t, 3, "txC", 2940, at.Add(2*time.Hour))
	d := receipt(t, 4, "txD", 5000, at.Add(3*time.Hour))
	e := receipt(t, 5, "txE", 1000, at.Add(4*time.Hour))
	stranger := notices.SettlementLine{IUV: testNAV(t, 99).IUV(), TransactionID: "txX", AmountCents: 1234}
	cOther := line(c, 2940, notices.OutcomeExecuted)
	cOther.TransactionID = "txC-bis"

	f1 := flow("F1",
		line(a, 4200, notices.OutcomeExecuted), // matched
		line(b, 8600, notices.OutcomeExecuted), // one euro short
		stranger,                               // nobody paid this
		line(a, 4200, notices.OutcomeExecuted), // A settled twice
	)
	f2 := flow("F2",
		cOther,                                // right IUV, other transaction id
		line(d, 5000, notices.OutcomeRevoked), // refunded, never settled
	)
	rec := notices.Reconcile(day(2026, time.March, 10), []notices.Receipt{a, b, c, d, e}, []notices.SettlementFlow{f1, f2})

	if want := (notices.Tally{Count: 5, AmountCents: 4200 + 8700 + 2940 + 5000 + 1000}); rec.Receipts != want {
		t.Errorf("Receipts = %+v, want %+v", rec.Receipts, want)
	}
	if want := (notices.Tally{Count: 5, AmountCents: 4200 + 8600 + 1234 + 4200 + 2940}); rec.Settled != want {
		t.Errorf("Settled = %+v, want %+v", rec.Settled, want)
	}
	if rec.Matched != 1 {
		t.Errorf("Matched = %d, want 1", rec.Matched)
	}
	for _, tt := range []struct {
		name string
		got  []notices.ReconItem
		want []string
	}{
		{"missing", rec.Missing, []string{"r05"}},
		{"unexpected", rec.Unexpected, []string{stranger.IUV}},
		{"mismatched", rec.Mismatched, []string{"r02", "r03"}},
		{"duplicates", rec.Duplicates, []string{"r01"}},
		{"revoked", rec.Revoked, []string{"r04"}},
	} {
		if got := ids(tt.got); !slices.Equal(got, tt.want) {
			t.Errorf("%s = %v, want %v", tt.name, got, tt.want)
		}
	}
	if rec.Balanced {
		t.Error("Balanced = true, want false")
	}
	for _, m := range rec.Mismatched {
		switch m.ReceiptID {
		case "r02":
			if m.Reason != notices.ReasonAmount || m.DifferenceCents != -100 || m.ReceiptAmountCents != 8700 || m.SettledAmountCents != 8600 {
				t.Errorf("B mismatch = %+v, want amount, -100 cents", m)
			}
		case "r03":
			if m.Reason != notices.ReasonTransactionID || m.TransactionID != "txC" || m.LineTransactionID != "txC-bis" {
				t.Errorf("C mismatch = %+v, want transaction_id txC vs txC-bis", m)
			}
		}
	}
	if r := rec.Revoked[0]; r.ReceiptAmountCents != 5000 || r.RevokedAmountCents != 5000 || r.SettledAmountCents != 0 {
		t.Errorf("revoked row = %+v, want receipt 5000, revoked 5000, settled 0", r)
	}

	wantFlows := []notices.FlowTotals{
		{ID: "F1", PSP: "PSPF1", Count: 4, AmountCents: 18234, DeclaredCents: 18234, MatchedCents: 4200 + 8700, Balanced: false},
		{ID: "F2", PSP: "PSPF2", Count: 1, AmountCents: 2940, DeclaredCents: 2940, MatchedCents: 2940, Revoked: 1, Balanced: false},
	}
	if !slices.Equal(rec.Flows, wantFlows) {
		t.Errorf("Flows = %+v\nwant    %+v", rec.Flows, wantFlows)
	}

	// Every receipt and every line is in exactly one row, so the columns
	// add up to the totals.
	var receiptSum, settledSum int64
	receiptRows, lineRows := 0, 0
	for _, r := range rec.Rows {
		if r.HasReceipt() {
			receiptRows++
			receiptSum += r.ReceiptAmountCents
		}
		if r.SettledAmountCents != 0 || r.RevokedAmountCents != 0 {
			lineRows++
		}
		settledSum += r.SettledAmountCents
	}
	if receiptRows != 5 || receiptSum != rec.Receipts.AmountCents {
		t.Errorf("receipt rows = %d summing %d, want 5 summing %d", receiptRows, receiptSum, rec.Receipts.AmountCents)
	}
	if lineRows != 6 || settledSum != rec.Settled.AmountCents {
		t.Errorf("line rows = %d, settled column %d; want 6 and %d", lineRows, settledSum, rec.Settled.AmountCents)
	}
	if rec.Rows[len(rec.Rows)-1].Status != notices.ReconMatched || rec.Rows[0].Status != notices.ReconMismatched {
		t.Errorf("rows are not ordered problems first: first %s, last %s", rec.Rows[0].Status, rec.Rows[len(rec.Rows)-1].Status)
	}
}

func TestReconcileBalancedAndRefunds(t *testing.T) {
	at := rome(2026, time.March, 10, 22, 30, 0)
	a := receipt(t, 1, "txA", 4200, at)
	b := receipt(t, 2, "txB", 16147, at.Add(time.Minute))
	foreignRefund := notices.SettlementLine{IUV: testNAV(t, 50).IUV(), TransactionID: "txZ", AmountCents: 999, Outcome: notices.OutcomeRevoked}
	tests := []struct {
		name         string
		receipts     []notices.Receipt
		flows        []notices.SettlementFlow
		balanced     bool
		matched      int
		revoked      int
		flowBalanced []bool
	}{
		{"nothing to do", nil, nil, true, 0, 0, []bool{}},
		{"all matched across two flows", []notices.Receipt{a, b},
			[]notices.SettlementFlow{flow("F1", line(b, 16147, 0)), flow("F2", line(a, 4200, 0))}, true, 2, 0, []bool{true, true}},
		{"a refund of someone else's payment moves nothing of ours", []notices.Receipt{a},
			[]notices.SettlementFlow{flow("F1", line(a, 4200, 0), foreignRefund)}, true, 1, 1, []bool{true}},
		{"a settled receipt refunded later: the fine shows paid, the money went back", []notices.Receipt{a},
			[]notices.SettlementFlow{flow("F1", line(a, 4200, 0)), flow("F2", line(a, 4200, 3))}, false, 1, 1, []bool{true, true}},
		{"a flow that lies about its own total", []notices.Receipt{a},
			[]notices.SettlementFlow{func() notices.SettlementFlow {
				f := flow("F1", line(a, 4200, 0))
				f.TotalCents = 4300
				return f
			}()}, false, 1, 0, []bool{false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := notices.Reconcile(day(2026, time.March, 10), tt.receipts, tt.flows)
			if rec.Balanced != tt.balanced || rec.Matched != tt.matched || len(rec.Revoked) != tt.revoked {
				t.Errorf("balanced %v, matched %d, revoked %d; want %v, %d, %d", rec.Balanced, rec.Matched, len(rec.Revoked), tt.balanced, tt.matched, tt.revoked)
			}
			got := []bool{}
			for _, f := range rec.Flows {
				got = append(got, f.Balanced)
			}
			if !slices.Equal(got, tt.flowBalanced) {
				t.Errorf("flow balanced = %v, want %v", got, tt.flowBalanced)
			}
			if len(rec.Missing)+len(rec.Unexpected)+len(rec.Mismatched)+len(rec.Duplicates) != 0 {
				t.Errorf("unexpected problems: %+v", rec)
			}
		})
	}
}

// An exact (IUV, transaction id) pair wins over a same-IUV guess even when
// the guess comes first in the flow.
func TestReconcileExactPairWins(t *testing.T) {
	a := receipt(t, 1, "txA", 4200, rome(2026, time.March, 10, 10, 0, 0))
	wrong := line(a, 4200, 0)
	wrong.TransactionID = "txQ"
	rec := notices.Reconcile(day(2026, time.March, 10), []notices.Receipt{a},
		[]notices.SettlementFlow{flow("F1", wrong, line(a, 4200, 0))})
	if rec.Matched != 1 || len(rec.Unexpected) != 1 || rec.Unexpected[0].TransactionID != "txQ" || len(rec.Mismatched) != 0 {
		t.Errorf("matched %d, unexpected %+v, mismatched %+v; want 1 match and txQ unexpected", rec.Matched, rec.Unexpected, rec.Mismatched)
	}
}

func TestReconciliationJSONShape(t *testing.T) {
	rec := notices.Reconcile(day(2026, time.March, 10), nil, nil)
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"date":"2026-03-10","receipts":{"count":0,"amountCents":0},"settled":{"count":0,"amountCents":0},` +
		`"matched":0,"missing":[],"unexpected":[],"mismatched":[],"duplicates":[],"revoked":[],"flows":[],"balanced":true}`
	if string(b) != want {
		t.Errorf("JSON =\n%s\nwant\n%s", b, want)
	}
}

func TestSettlementFlowValidate(t *testing.T) {
	good := func() notices.SettlementFlow {
		return notices.SettlementFlow{ID: "2026-03-10BANCA-0001", PSP: "BCITITMM", SettlementDate: day(2026, time.March, 10),
			Lines: []notices.SettlementLine{
				{IUV: "01000000000000123", TransactionID: "T-1", AmountCents: 4200, Outcome: 0},
				{IUV: "01000000000000456", TransactionID: "T-2", AmountCents: 100, Outcome: 3},
			}, TotalCents: 4200}
	}
	if err := (&notices.SettlementFlow{}).Validate(); err == nil {
		t.Fatal("empty flow accepted")
	}
	f := good()
	if err := f.Validate(); err != nil {
		t.Fatalf("good flow: %v", err)
	}
	tests := []struct {
		field  string
		change func(*notices.SettlementFlow)
	}{
		{"id", func(f *notices.SettlementFlow) { f.ID = "" }},
		{"id", func(f *notices.SettlementFlow) { f.ID = "=HYPERLINK(1)" }},
		{"psp", func(f *notices.SettlementFlow) { f.PSP = "a b" }},
		{"settlementDate", func(f *notices.SettlementFlow) { f.SettlementDate = notices.Date{} }},
		{"lines", func(f *notices.SettlementFlow) { f.Lines = nil; f.TotalCents = 0 }},
		{"lines[0].iuv", func(f *notices.SettlementFlow) { f.Lines[0].IUV = "0100000000000012" }},
		{"lines[1].iuv", func(f *notices.SettlementFlow) { f.Lines[1].IUV = "0100000000000045x" }},
		{"lines[0].transactionId", func(f *notices.SettlementFlow) { f.Lines[0].TransactionID = "" }},
		{"lines[0].amountCents", func(f *notices.SettlementFlow) { f.Lines[0].AmountCents = 0; f.TotalCents = 0 }},
		{"lines[1].amountCents", func(f *notices.SettlementFlow) { f.Lines[1].AmountCents = -5 }},
		{"lines[1].outcome", func(f *notices.SettlementFlow) { f.Lines[1].Outcome = 1 }},
		{"totalCents", func(f *notices.SettlementFlow) { f.TotalCents = 4300 }},
	}
	for _, tt := range tests {
		f := good()
		tt.change(&f)
		err := f.Validate()
		wantCode(t, err, notices.EValidation)
		fields := err.(*notices.ValidationError).Fields
		if len(fields) != 1 || fields[0].Field != tt.field {
			t.Errorf("%s: fields = %+v, want exactly %s", tt.field, fields, tt.field)
		}
	}
}
