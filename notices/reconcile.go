package notices

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// ReconCategory is how one receipt, flow line, flow or bank entry was
// reconciled. The names are part of the API and the CSV export.
type ReconCategory string

// The categories of reconciliation, three ways: receipts against flow
// lines, each flow against its own declared totals, flows against the
// bank's credits. Only matched, pending, bank_matched and bank_pending are
// in order; every other one needs someone in the finance office to look.
const (
	// CatMatched: a receipt (one transfer of it) and a paid line with the
	// same IUV, IUR and transfer index, and the same amount.
	CatMatched ReconCategory = "matched"
	// CatAmountDiffers: the same pair, with another amount.
	CatAmountDiffers ReconCategory = "amount_differs"
	// CatPending: a receipt no line settled yet, still within the
	// settlement window (D+2 working days).
	CatPending ReconCategory = "pending"
	// CatReceiptWithoutLine: a receipt no line settled after the window.
	CatReceiptWithoutLine ReconCategory = "receipt_without_line"
	// CatLineWithoutReceipt: a paid line (code 0 or 9) naming no receipt.
	CatLineWithoutReceipt ReconCategory = "line_without_receipt"
	// CatStandIn: a stand-in line (code 4 or 8). The node took the money
	// without asking us, so no receipt from the node will come: the
	// payment is recorded from the flow and flagged.
	CatStandIn ReconCategory = "stand_in"
	// CatDuplicateLine: a paid line for a receipt another line already
	// settled, in the same flow or another.
	CatDuplicateLine ReconCategory = "duplicate_line"
	// CatRevoked: a revoked line (code 3): the money went back to the
	// payer, while the fine may show paid.
	CatRevoked ReconCategory = "revoked"
	// CatFlowTotalDiffers: the flow's declared number or total of
	// payments is not that of its lines.
	CatFlowTotalDiffers ReconCategory = "flow_total_differs"
	// CatBankMatched: a credit with the flow's regulation id and total.
	CatBankMatched ReconCategory = "bank_matched"
	// CatBankAmountDiffers: a credit with the flow's regulation id and
	// another amount.
	CatBankAmountDiffers ReconCategory = "bank_amount_differs"
	// CatBankPending: no credit for a flow yet, within two working days
	// of its regulation date.
	CatBankPending ReconCategory = "bank_pending"
	// CatFlowNotCredited: no credit for a flow after that.
	CatFlowNotCredited ReconCategory = "flow_not_credited"
	// CatCreditWithoutFlow: a credit that settles no flow.
	CatCreditWithoutFlow ReconCategory = "credit_without_flow"
)

// Categories lists every category in the order reports show them:
// problems first.
var Categories = []ReconCategory{
	CatAmountDiffers, CatReceiptWithoutLine, CatLineWithoutReceipt, CatDuplicateLine, CatRevoked,
	CatFlowTotalDiffers, CatBankAmountDiffers, CatFlowNotCredited, CatCreditWithoutFlow,
	CatStandIn, CatPending, CatBankPending, CatMatched, CatBankMatched,
}

// Problem reports whether the category needs a person. Stand-in lines
// do: the payment was recorded from the flow alone.
func (c ReconCategory) Problem() bool {
	switch c {
	case CatMatched, CatPending, CatBankMatched, CatBankPending:
		return false
	}
	return true
}

// SettlementWindow is how many bank working days after the payment day a
// PSP has to report a payment in a flow (pagoPA: transfer on D+1, flow on
// D+2).
const SettlementWindow = 2

// SettlementDue returns the last day on which a flow line for a payment
// of day d is still on time: d plus SettlementWindow bank working days.
// Bank working days are Monday to Friday without the calendar's public
// holidays: banks do not settle on Saturdays, unlike the deadlines of
// the highway code.
func (c Calendar) SettlementDue(d Date) Date {
	for n := 0; n < SettlementWindow; {
		d = d.AddDays(1)
		if c.isBankDay(d) {
			n++
		}
	}
	return d
}

func (c Calendar) isBankDay(d Date) bool {
	wd := d.Weekday()
	return wd != time.Saturday && wd != time.Sunday && !c.IsHoliday(d)
}

// ReconItem is one row of a reconciliation: a receipt's transfer, a flow
// line, or both; a flow's totals; a flow and a bank credit. Amount fields
// are set only where the row has that side, so each column adds up.
type ReconItem struct {
	Category      ReconCategory  `json:"category"`
	IUV           string         `json:"iuv,omitempty"`
	NoticeNumber  NAV            `json:"noticeNumber,omitempty"`
	FineID        string         `json:"fineId,omitempty"`
	ReceiptID     string         `json:"receiptId,omitempty"`
	Channel       PaymentChannel `json:"channel,omitempty"`
	IUR           string         `json:"iur,omitempty"`
	TransferIndex int            `json:"transferIndex,omitempty"`
	FlowID        string         `json:"flowId,omitempty"`
	FlowRevision  int            `json:"flowRevision,omitempty"`
	PSP           string         `json:"psp,omitempty"`
	// Outcome is the line's codiceEsitoSingoloPagamento, when there is a line.
	Outcome *FlowOutcome `json:"outcome,omitempty"`
	// Date is the day the row belongs to: the payment's, the line's, the
	// flow's regulation day or the credit's booking day.
	Date          Date      `json:"date"`
	PaidAt        time.Time `json:"paidAt,omitzero"`
	ReceiptCents  int64     `json:"receiptCents,omitempty"`
	LineCents     int64     `json:"lineCents,omitempty"`
	DeclaredCents int64     `json:"declaredCents,omitempty"`
	DeclaredCount int       `json:"declaredCount,omitempty"`
	LineCount     int       `json:"lineCount,omitempty"`
	BankRef       string    `json:"bankRef,omitempty"`
	BankCents     int64     `json:"bankCents,omitempty"`
	// DifferenceCents is the flow's (or the bank's) side minus ours.
	DifferenceCents int64 `json:"differenceCents,omitempty"`
	// Explanation says what the row means and what to do, for people.
	Explanation Explanation `json:"explanation"`
}

// Explanation is a sentence in Italian and in English.
type Explanation struct {
	It string `json:"it"`
	En string `json:"en"`
}

// Tally is a count of payments and their sum.
type Tally struct {
	Count       int   `json:"count"`
	AmountCents int64 `json:"amountCents"`
}

func (t *Tally) add(cents int64) { t.Count++; t.AmountCents += cents }

// Reconciliation is receipts, flows and bank credits of a period set
// against each other.
type Reconciliation struct {
	From Date `json:"from"`
	To   Date `json:"to"`
	// Receipts are the receipts paid in the period.
	Receipts Tally `json:"receipts"`
	// Settled are the paid lines dated in the period.
	Settled Tally `json:"settled"`
	// Credited are the bank credits that settle the period's flows.
	Credited Tally `json:"credited"`
	// Refunds are the period's receipts with money to give back (a fine
	// paid twice, after its cancellation, or overpaid): they are receipts
	// like any other, settled by the PSP, and counted here with the
	// amount that goes back to the payers.
	Refunds Tally `json:"refunds"`
	// Counts has every category, zero or not.
	Counts map[ReconCategory]int `json:"counts"`
	// Balanced is true when no row is a problem.
	Balanced bool `json:"balanced"`
	// Items has every row, problems first (the first ReconInput.Limit
	// of them when it is set: Counts still counts all).
	Items []ReconItem `json:"items"`
}

// ReconInput is what Reconcile works on. The caller loads receipts,
// flows and credits generously around the period (a payment of 23:59 may
// be reported the next day, a flow regulated on Friday credited on
// Monday); Reconcile matches against all of them and reports only what
// belongs to the period.
type ReconInput struct {
	From, To Date
	// Today decides which receipts are late rather than pending.
	Today    Date
	Calendar Calendar
	Receipts []Receipt
	Flows    []SettlementFlow
	Credits  []BankEntry
	// Limit keeps only the first Limit rows in Items (problems come
	// first), for a page that shows a few; Counts and the tallies still
	// cover every row. Zero keeps them all.
	Limit int
}

// ReceiptIUV returns the IUV a flow line names for receipt r.
func ReceiptIUV(r *Receipt) string {
	if r.PagoPA != nil && r.PagoPA.CreditorReferenceID != "" {
		return r.PagoPA.CreditorReferenceID
	}
	return iuvOf(r.NAV)
}

// ReceiptIUR returns the IUR a flow line names for receipt r: pagoPA's
// receiptId, or the checkout PSP's transaction id.
func ReceiptIUR(r *Receipt) string {
	if r.PagoPA != nil && r.PagoPA.ReceiptID != "" {
		return r.PagoPA.ReceiptID
	}
	return r.PSP.TransactionID
}

// receiptTransfers returns what each transfer of r should settle: the
// pagoPA transfer list, or the whole amount as transfer 1.
func receiptTransfers(r *Receipt) []PagoPATransfer {
	if r.PagoPA != nil && len(r.PagoPA.Transfers) > 0 {
		return r.PagoPA.Transfers
	}
	return []PagoPATransfer{{IDTransfer: 1, AmountCents: r.AmountCents}}
}

// Reconcile matches receipts to flow lines by (IUV, IUR, transfer index),
// checks each flow's declared totals, and matches each flow to a bank
// credit by its regulation id. It does no I/O and does not modify its
// input; the same input always gives the same report.
//
// A receipt (each of its transfers) is settled by one paid line; a second
// paid line for it is a duplicate. A revoked line accounts for a receipt
// no paid line settled, or else is a row of its own. Rows are reported
// when they belong to the period: receipts paid in it, lines dated in it
// (or settling a receipt of it), flows (their totals and their credit)
// with a line or their regulation in it, and credits booked in it that
// settle no flow.
func Reconcile(in ReconInput) Reconciliation {
	// Most rows are receipts' (a row each, a few more for flows): room
	// for them at once, as a day's few thousand rows of a few hundred
	// bytes grew the slice by copying again and again.
	rec := Reconciliation{From: in.From, To: in.To, Counts: make(map[ReconCategory]int, len(Categories)), Items: make([]ReconItem, 0, len(in.Receipts)+16)}
	inPeriod := func(d Date) bool { return !d.Before(in.From) && !d.After(in.To) }

	type key struct {
		iuv, iur string
		index    int
	}
	type slot struct {
		r       int // receipt index
		index   int // transfer index
		cents   int64
		settled bool // a paid or revoked line accounts for it
	}
	slots := make([]slot, 0, len(in.Receipts))
	byKey := make(map[key]int, len(in.Receipts))
	for i := range in.Receipts {
		r := &in.Receipts[i]
		if inPeriod(DateOf(r.PaidAt)) {
			rec.Receipts.add(r.AmountCents)
			if r.RefundCents > 0 {
				rec.Refunds.add(r.RefundCents)
			}
		}
		iuv, iur := ReceiptIUV(r), ReceiptIUR(r)
		for _, t := range receiptTransfers(r) {
			k := key{iuv, iur, t.IDTransfer}
			if _, dup := byKey[k]; dup {
				continue // the same receipt twice in the input
			}
			byKey[k] = len(slots)
			slots = append(slots, slot{r: i, index: t.IDTransfer, cents: t.AmountCents})
		}
	}
	withReceipt := func(it ReconItem, s slot) ReconItem {
		r := &in.Receipts[s.r]
		it.NoticeNumber, it.FineID, it.ReceiptID, it.Channel = r.NAV, r.FineID, r.ID, channelOf(r)
		it.PaidAt, it.ReceiptCents = r.PaidAt, s.cents
		if it.IUV == "" {
			it.IUV, it.IUR = ReceiptIUV(r), ReceiptIUR(r)
		}
		return it
	}
	emit := func(it ReconItem) {
		rec.Counts[it.Category]++
		rec.Items = append(rec.Items, it)
	}

	// Lines: paid ones first, so that a revocation finds the receipts
	// that no payment settled.
	for _, pass := range []bool{true, false} {
		for fi := range in.Flows {
			f := &in.Flows[fi]
			for li := range f.Lines {
				l := &f.Lines[li]
				if l.Outcome.Paid() != pass {
					continue
				}
				outcome := l.Outcome
				it := ReconItem{IUV: l.IUV, IUR: l.IUR, TransferIndex: l.TransferIndex, FlowID: f.ID, FlowRevision: f.Revision,
					PSP: f.PSP, Outcome: &outcome, Date: l.Date, LineCents: l.AmountCents}
				si, known := byKey[key{l.IUV, l.IUR, l.TransferIndex}]
				report := inPeriod(l.Date)
				if known {
					report = report || inPeriod(DateOf(in.Receipts[slots[si].r].PaidAt))
				}
				if pass && report {
					rec.Settled.add(l.AmountCents)
				}
				switch {
				case !pass: // revoked
					it.Category = CatRevoked
					if known {
						if !slots[si].settled {
							slots[si].settled = true
							it = withReceipt(it, slots[si])
						} else {
							it.ReceiptID, it.FineID, it.NoticeNumber = in.Receipts[slots[si].r].ID, in.Receipts[slots[si].r].FineID, in.Receipts[slots[si].r].NAV
						}
					}
				case known && slots[si].settled:
					it.Category = CatDuplicateLine
					it.ReceiptID, it.FineID, it.NoticeNumber = in.Receipts[slots[si].r].ID, in.Receipts[slots[si].r].FineID, in.Receipts[slots[si].r].NAV
				case known:
					slots[si].settled = true
					it = withReceipt(it, slots[si])
					switch {
					case l.Outcome.StandIn():
						it.Category = CatStandIn
					case l.AmountCents == slots[si].cents:
						it.Category = CatMatched
					default:
						it.Category, it.DifferenceCents = CatAmountDiffers, l.AmountCents-slots[si].cents
					}
				case l.Outcome.StandIn():
					it.Category = CatStandIn
				default:
					it.Category = CatLineWithoutReceipt
				}
				if report {
					emit(it)
				}
			}
		}
	}
	// Receipts that no line accounts for. Their days' settlement due
	// dates are remembered: a day's thousands of receipts share one.
	var dueOf, due Date
	for _, s := range slots {
		r := &in.Receipts[s.r]
		day := DateOf(r.PaidAt)
		if s.settled || !inPeriod(day) {
			continue
		}
		it := withReceipt(ReconItem{Date: day}, s)
		it.TransferIndex = s.index
		if r.PSP.Name != "" {
			it.PSP = r.PSP.Name
		} else if r.PagoPA != nil {
			it.PSP = r.PagoPA.IDPSP
		}
		it.Category = CatPending
		if day != dueOf {
			dueOf, due = day, in.Calendar.SettlementDue(day)
		}
		if in.Today.After(due) {
			it.Category = CatReceiptWithoutLine
		}
		emit(it)
	}
	// Flows: their own totals, then the bank.
	used := make([]bool, len(in.Credits))
	for fi := range in.Flows {
		f := &in.Flows[fi]
		regulated := inPeriod(f.RegulationDate)
		linesIn := false
		for _, l := range f.Lines {
			if inPeriod(l.Date) {
				linesIn = true
				break
			}
		}
		base := ReconItem{FlowID: f.ID, FlowRevision: f.Revision, PSP: f.PSP, Date: f.RegulationDate,
			DeclaredCents: f.DeclaredCents, DeclaredCount: f.DeclaredCount, LineCount: len(f.Lines), LineCents: f.PaidCents()}
		if (regulated || linesIn) && (f.DeclaredCents != base.LineCents || f.DeclaredCount != len(f.Lines)) {
			it := base
			it.Category, it.DifferenceCents = CatFlowTotalDiffers, f.DeclaredCents-base.LineCents
			emit(it)
		}
		ci := -1
		for i := range in.Credits {
			if !used[i] && in.Credits[i].Credit && in.Credits[i].settles(f) {
				ci = i
				break
			}
		}
		it := base
		it.LineCents = 0
		if ci >= 0 {
			used[ci] = true
			c := &in.Credits[ci]
			it.BankRef, it.BankCents = c.Ref, c.AmountCents
			it.Category = CatBankMatched
			if c.AmountCents != f.DeclaredCents {
				it.Category, it.DifferenceCents = CatBankAmountDiffers, c.AmountCents-f.DeclaredCents
			}
			regulated = regulated || inPeriod(c.BookingDate)
			if regulated || linesIn {
				rec.Credited.add(c.AmountCents)
			}
		} else {
			it.Category = CatBankPending
			if in.Today.After(in.Calendar.SettlementDue(f.RegulationDate)) {
				it.Category = CatFlowNotCredited
			}
		}
		if regulated || linesIn {
			emit(it)
		}
	}
	for i := range in.Credits {
		c := &in.Credits[i]
		if used[i] || !c.Credit || !inPeriod(c.BookingDate) {
			continue
		}
		emit(ReconItem{Category: CatCreditWithoutFlow, Date: c.BookingDate, BankRef: c.Ref, BankCents: c.AmountCents})
	}

	rec.Balanced = true
	for _, c := range Categories {
		if rec.Counts[c] > 0 && c.Problem() {
			rec.Balanced = false
		}
		rec.Counts[c] += 0
	}
	order := make(map[ReconCategory]int, len(Categories))
	for i, c := range Categories {
		order[c] = i
	}
	slices.SortStableFunc(rec.Items, func(a, b ReconItem) int {
		return cmp.Or(
			cmp.Compare(order[a.Category], order[b.Category]),
			a.Date.Compare(b.Date),
			a.PaidAt.Compare(b.PaidAt),
			strings.Compare(a.IUV, b.IUV),
			strings.Compare(a.IUR, b.IUR),
			cmp.Compare(a.TransferIndex, b.TransferIndex),
			strings.Compare(a.FlowID, b.FlowID),
			strings.Compare(a.BankRef, b.BankRef),
		)
	})
	if in.Limit > 0 && len(rec.Items) > in.Limit {
		rec.Items = rec.Items[:in.Limit:in.Limit]
	}
	// Explained after the cut: a day's few thousand rows would cost two
	// sentences each for a page that shows fifty.
	for i := range rec.Items {
		rec.Items[i].Explanation = explain(&rec.Items[i])
	}
	return rec
}

func channelOf(r *Receipt) PaymentChannel {
	if r.Channel != "" {
		return r.Channel
	}
	return PaidViaCheckout
}

// iuvOf returns the IUV of a NAV, tolerating a malformed one (which a
// store should never hold) rather than panicking on a short string.
func iuvOf(n NAV) string {
	if len(n) != navLen {
		return string(n)
	}
	return n.IUV()
}
