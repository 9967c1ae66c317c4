package notices_test

import (
	"fmt"
	"strconv"
	"strings"
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

// checkout is a receipt of Multa's own checkout: its IUR is the PSP's
// transaction id.
func checkout(t testing.TB, i int, cents int64, at time.Time) notices.Receipt {
	return notices.Receipt{
		ID: fmt.Sprintf("r%02d", i), FineID: fmt.Sprintf("f%02d", i), NAV: testNAV(t, i), AmountCents: cents, PaidAt: at,
		PSP: notices.PSPRef{Name: "SANDBOX", TransactionID: fmt.Sprintf("tx%02d", i)}, Stage: notices.StageReduced,
		Channel: notices.PaidViaCheckout,
	}
}

// pagopa is a receipt from the node, with two transfers.
func pagopa(t testing.TB, i int, at time.Time, transfers ...int64) notices.Receipt {
	r := checkout(t, i, 0, at)
	r.Channel, r.PSP = notices.PaidViaPagoPA, notices.PSPRef{}
	r.PagoPA = &notices.PagoPAReceipt{ReceiptID: fmt.Sprintf("iur%02d", i), CreditorReferenceID: r.NAV.IUV(), IDPSP: "POSTE"}
	for k, c := range transfers {
		r.AmountCents += c
		r.PagoPA.Transfers = append(r.PagoPA.Transfers, notices.PagoPATransfer{IDTransfer: k + 1, AmountCents: c})
	}
	return r
}

func lineOf(r notices.Receipt, index int, cents int64, o notices.FlowOutcome) notices.SettlementLine {
	return notices.SettlementLine{IUV: notices.ReceiptIUV(&r), IUR: notices.ReceiptIUR(&r), TransferIndex: index,
		AmountCents: cents, Outcome: o, Date: notices.DateOf(r.PaidAt)}
}

func flowOf(id, psp string, regulated notices.Date, lines ...notices.SettlementLine) notices.SettlementFlow {
	f := notices.SettlementFlow{ID: id, Revision: 1, PSP: psp, RegulationID: "SCT-" + id, RegulationDate: regulated,
		Creditor: "01199250158", FlowTime: regulated.Start(), Lines: lines, DeclaredCount: len(lines)}
	f.DeclaredCents = f.PaidCents()
	return f
}

func count(rec notices.Reconciliation) string {
	var b strings.Builder
	for _, c := range notices.Categories {
		if n := rec.Counts[c]; n > 0 {
			fmt.Fprintf(&b, "%s=%d ", c, n)
		}
	}
	return strings.TrimSpace(b.String())
}

func TestReconcileEveryCategory(t *testing.T) {
	d := day(2026, time.March, 10) // a Tuesday
	at := rome(2026, time.March, 10, 9, 0, 0)
	matched := checkout(t, 1, 4200, at)
	differs := checkout(t, 2, 8700, at)
	late := checkout(t, 3, 5000, at)                   // no line, and the window is over
	twice := pagopa(t, 4, at, 3000, 1200)              // two transfers, both settled; the first twice
	revoked := checkout(t, 5, 2900, at)                // refunded by the PSP
	early := checkout(t, 6, 1000, at.AddDate(0, 0, 2)) // paid on the 12th: still pending on the 13th
	other := checkout(t, 7, 100, at.AddDate(0, 0, -1)) // the day before: outside the period

	stranger := notices.SettlementLine{IUV: "01999999999999999", IUR: "x", TransferIndex: 1, AmountCents: 700, Outcome: notices.OutcomeExecuted, Date: d}
	standIn := notices.SettlementLine{IUV: "01888888888888888", IUR: "s", TransferIndex: 1, AmountCents: 4200, Outcome: notices.OutcomeStandIn, Date: d}
	a := flowOf("A", "SANDBOX", d.AddDays(1), lineOf(matched, 1, 4200, 0), lineOf(differs, 1, 8600, 0), lineOf(revoked, 1, 2900, 3), stranger, lineOf(other, 1, 100, 0))
	b := flowOf("B", "POSTE", d.AddDays(1), lineOf(twice, 1, 3000, 0), lineOf(twice, 2, 1200, 0), lineOf(twice, 1, 3000, 0), standIn)
	b.DeclaredCents -= 100 // a wrong declared total

	credits := []notices.BankEntry{
		{Ref: "C1", BookingDate: d.AddDays(1), AmountCents: a.DeclaredCents, Credit: true, References: []string{"SCT-A"}},
		{Ref: "C2", BookingDate: d.AddDays(1), AmountCents: 12345, Credit: true, Remittance: "rent"},
		{Ref: "D1", BookingDate: d.AddDays(1), AmountCents: 999, Credit: false, Remittance: "/URI/B"},
	}
	in := notices.ReconInput{From: d, To: d.AddDays(2), Today: d.AddDays(3), Receipts: []notices.Receipt{matched, differs, late, twice, revoked, early, other},
		Flows: []notices.SettlementFlow{a, b}, Credits: credits}
	rec := notices.Reconcile(in)
	want := "amount_differs=1 receipt_without_line=1 line_without_receipt=1 duplicate_line=1 revoked=1 flow_total_differs=1 " +
		"credit_without_flow=1 stand_in=1 pending=1 bank_pending=1 matched=3 bank_matched=1"
	if got := count(rec); got != want {
		t.Errorf("counts:\n got %s\nwant %s", got, want)
	}
	if rec.Balanced {
		t.Error("a day with problems is not balanced")
	}
	if rec.Receipts != (notices.Tally{Count: 6, AmountCents: 4200 + 8700 + 5000 + 4200 + 2900 + 1000}) {
		t.Errorf("receipts %+v", rec.Receipts)
	}
	// Paid lines of the period: A's 4200+8600+700, B's 3000+1200+3000+4200.
	if rec.Settled != (notices.Tally{Count: 7, AmountCents: 4200 + 8600 + 700 + 3000 + 1200 + 3000 + 4200}) {
		t.Errorf("settled %+v", rec.Settled)
	}
	if rec.Credited != (notices.Tally{Count: 1, AmountCents: a.DeclaredCents}) {
		t.Errorf("credited %+v", rec.Credited)
	}
	for _, it := range rec.Items {
		if it.Explanation.It == "" || it.Explanation.En == "" {
			t.Errorf("%s has no explanation", it.Category)
		}
		switch it.Category {
		case notices.CatAmountDiffers:
			if it.ReceiptID != "r02" || it.DifferenceCents != -100 || it.FineID != "f02" {
				t.Errorf("amount differs: %+v", it)
			}
			if !strings.Contains(it.Explanation.It, "€ 86,00") || !strings.Contains(it.Explanation.En, "€87.00") {
				t.Errorf("explanation: %+v", it.Explanation)
			}
		case notices.CatReceiptWithoutLine:
			if it.ReceiptID != "r03" {
				t.Errorf("without line: %+v", it)
			}
		case notices.CatPending:
			if it.ReceiptID != "r06" {
				t.Errorf("pending: %+v", it)
			}
		case notices.CatDuplicateLine:
			if it.ReceiptID != "r04" || it.TransferIndex != 1 || it.FlowID != "B" {
				t.Errorf("duplicate: %+v", it)
			}
		case notices.CatRevoked:
			if it.ReceiptID != "r05" || it.LineCents != 2900 {
				t.Errorf("revoked: %+v", it)
			}
		case notices.CatFlowTotalDiffers:
			if it.FlowID != "B" || it.DifferenceCents != -100 {
				t.Errorf("flow total: %+v", it)
			}
		case notices.CatBankPending:
			if it.FlowID != "B" {
				t.Errorf("bank pending: %+v", it)
			}
		}
	}
	if rec.Items[0].Category != notices.CatAmountDiffers {
		t.Errorf("problems come first: %s", rec.Items[0].Category)
	}

	// Days later, B is still not on the statement: not credited.
	in.Today = d.AddDays(10)
	rec = notices.Reconcile(in)
	if rec.Counts[notices.CatFlowNotCredited] != 1 || rec.Counts[notices.CatBankPending] != 0 || rec.Counts[notices.CatPending] != 0 || rec.Counts[notices.CatReceiptWithoutLine] != 2 {
		t.Errorf("later: %s", count(rec))
	}
}

func TestReconcileBalancedDay(t *testing.T) {
	d := day(2026, time.March, 10)
	r1, r2 := checkout(t, 1, 4200, rome(2026, time.March, 10, 23, 59, 0)), pagopa(t, 2, rome(2026, time.March, 10, 8, 0, 0), 8700)
	// The PSP dates r1's line on the next day: it still settles r1.
	l1 := lineOf(r1, 1, 4200, 0)
	l1.Date = d.AddDays(1)
	f := flowOf("F", "P", d.AddDays(1), l1, lineOf(r2, 1, 8700, 0))
	rec := notices.Reconcile(notices.ReconInput{From: d, To: d, Today: d.AddDays(1), Receipts: []notices.Receipt{r1, r2}, Flows: []notices.SettlementFlow{f},
		Credits: []notices.BankEntry{{Ref: "X", BookingDate: d, AmountCents: 12900, Credit: true, Remittance: "/PUR/LGPE-RIVERSAMENTO/URI/F"}}})
	if !rec.Balanced || count(rec) != "matched=2 bank_matched=1" {
		t.Errorf("got %s balanced=%v", count(rec), rec.Balanced)
	}
}

func TestSettlementDueSkipsWeekendsAndHolidays(t *testing.T) {
	var c notices.Calendar
	for _, tc := range []struct{ paid, due notices.Date }{
		{day(2026, time.March, 10), day(2026, time.March, 12)},       // Tue → Thu
		{day(2026, time.March, 12), day(2026, time.March, 16)},       // Thu → Mon (no Saturday)
		{day(2026, time.December, 23), day(2026, time.December, 28)}, // Christmas and St Stephen
		{day(2026, time.April, 2), day(2026, time.April, 7)},         // Good Friday is a bank day here; Easter Monday is not
	} {
		if got := c.SettlementDue(tc.paid); got != tc.due {
			t.Errorf("SettlementDue(%s) = %s, want %s", tc.paid, got, tc.due)
		}
	}
}
