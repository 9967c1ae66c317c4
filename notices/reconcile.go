package notices

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Outcome codes of a settlement line, as in pagoPA's reporting flow (FdR).
// The domain keeps its own copy of the two codes so that it need not
// import a payment provider's package.
const (
	OutcomeExecuted = 0 // the money was transferred to the creditor
	OutcomeRevoked  = 3 // the payment was refunded to the payer after capture
)

// SettlementLine is one payment in a settlement flow: what a PSP says it
// transferred for one IUV.
type SettlementLine struct {
	IUV string `json:"iuv"`
	// TransactionID is the PSP's identifier of the payment (the IUR of
	// pagoPA); our receipts carry it as PSP.TransactionID.
	TransactionID string    `json:"transactionId"`
	AmountCents   int64     `json:"amountCents"`
	Outcome       int       `json:"outcome"`
	PaidAt        time.Time `json:"paidAt,omitzero"`
}

// SettlementFlow is a PSP's report of what it settled on one day (pagoPA's
// Flusso di Rendicontazione). Flows come from the payment provider's port or
// are uploaded by the finance office for providers the server cannot ask.
type SettlementFlow struct {
	ID             string           `json:"id"`
	PSP            string           `json:"psp"`
	SettlementDate Date             `json:"settlementDate"`
	Lines          []SettlementLine `json:"lines"`
	// TotalCents is the control total the PSP declares: the sum of the
	// executed lines. Reconciliation checks it, since a flow whose lines do
	// not add up to its own total is itself in error.
	TotalCents int64 `json:"totalCents"`
}

// ExecutedCents returns the sum of the flow's executed lines, the money
// that actually moved; revoked lines are refunds and count for nothing.
func (f *SettlementFlow) ExecutedCents() int64 {
	var sum int64
	for _, l := range f.Lines {
		if l.Outcome == OutcomeExecuted {
			sum += l.AmountCents
		}
	}
	return sum
}

// Bounds of an acceptable flow. maxLineCents matches the provider's own
// bound on one payment (one billion euro), so that no sum overflows int64;
// maxFlowLines keeps one upload within a few megabytes.
const (
	maxLineCents = 100_000_000_000
	maxFlowLines = 100_000
	maxFlowIDLen = 64
)

// Validate checks a flow received from outside (an upload) field by field,
// and reports every problem at once. Identifiers are restricted to letters,
// digits, dots, underscores and dashes, starting with a letter or digit:
// enough for pagoPA flow ids, and safe to put in a CSV cell that a
// spreadsheet will open.
func (f *SettlementFlow) Validate() error {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		if len(errs) < 20 { // a thousand bad lines need not make a thousand messages
			errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
		}
	}
	if !isIdentifier(f.ID) {
		add("id", "a flow id of 1 to %d letters, digits, dots, dashes or underscores is required", maxFlowIDLen)
	}
	if !isIdentifier(f.PSP) {
		add("psp", "the PSP identifier (1 to %d letters, digits, dots, dashes or underscores) is required", maxFlowIDLen)
	}
	if f.SettlementDate.IsZero() {
		add("settlementDate", "the settlement date (YYYY-MM-DD) is required")
	}
	switch {
	case len(f.Lines) == 0:
		add("lines", "a flow has at least one line")
	case len(f.Lines) > maxFlowLines:
		add("lines", "a flow has at most %d lines", maxFlowLines)
	}
	for i, l := range f.Lines {
		if i >= maxFlowLines {
			break
		}
		if len(l.IUV) != 17 || !isDigits(l.IUV) {
			add(fmt.Sprintf("lines[%d].iuv", i), "an IUV has 17 digits")
		}
		if !isIdentifier(l.TransactionID) {
			add(fmt.Sprintf("lines[%d].transactionId", i), "a transaction id (IUR) of 1 to %d letters, digits, dots, dashes or underscores is required", maxFlowIDLen)
		}
		if l.AmountCents <= 0 || l.AmountCents > maxLineCents {
			add(fmt.Sprintf("lines[%d].amountCents", i), "the amount is a positive whole number of cents")
		}
		if l.Outcome != OutcomeExecuted && l.Outcome != OutcomeRevoked {
			add(fmt.Sprintf("lines[%d].outcome", i), "the outcome is 0 (executed) or 3 (revoked)")
		}
	}
	if len(errs) == 0 {
		if sum := f.ExecutedCents(); sum != f.TotalCents {
			add("totalCents", "the declared total %d differs from the sum of the executed lines, %d", f.TotalCents, sum)
		}
	}
	if len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	return nil
}

// isIdentifier accepts 1–64 characters of [A-Za-z0-9._-] starting with a
// letter or digit: no spreadsheet formula can start that way.
func isIdentifier(s string) bool {
	if len(s) == 0 || len(s) > maxFlowIDLen || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// ReconStatus says how a receipt or a settlement line was reconciled.
type ReconStatus string

// The statuses of reconciliation rows. Only matched rows are in order;
// every other status needs someone in the finance office to look.
const (
	// ReconMatched: one receipt and one executed line, same amount.
	ReconMatched ReconStatus = "matched"
	// ReconMismatched: a receipt and an executed line that belong together
	// (same IUV and transaction id, or the same IUV where neither has any
	// other partner) but disagree on the amount or the transaction id.
	ReconMismatched ReconStatus = "mismatched"
	// ReconMissing: a receipt that no executed line settles (paid but not
	// settled, e.g. a capture that failed after the receipt).
	ReconMissing ReconStatus = "missing"
	// ReconUnexpected: an executed line with no receipt (money we cannot
	// attribute to any payment we recorded).
	ReconUnexpected ReconStatus = "unexpected"
	// ReconDuplicate: an executed line for a receipt already settled by
	// another line: the PSP reported (or moved) the money twice.
	ReconDuplicate ReconStatus = "duplicate"
	// ReconRevoked: a revoked line (a refund). When it names one of our
	// receipts, the fine shows paid while the money went back.
	ReconRevoked ReconStatus = "revoked"
)

// Mismatch reasons.
const (
	ReasonAmount        = "amount"         // the line's amount differs from the receipt's
	ReasonTransactionID = "transaction_id" // same IUV, but another transaction id
	ReasonBoth          = "amount_and_transaction_id"
)

// ReconItem is one row of a reconciliation: a receipt, a line, or both.
// Amount fields are set only where the row has that side: every receipt
// appears in exactly one row with its ReceiptAmountCents, and every
// executed line in exactly one row with its SettledAmountCents, so the
// columns add up to the day's totals.
type ReconItem struct {
	Status        ReconStatus `json:"status"`
	Reason        string      `json:"reason,omitempty"`
	IUV           string      `json:"iuv"`
	NoticeNumber  NAV         `json:"noticeNumber,omitempty"`
	ReceiptID     string      `json:"receiptId,omitempty"`
	TransactionID string      `json:"transactionId,omitempty"`
	// LineTransactionID is the line's transaction id when it differs from
	// the receipt's (a transaction_id mismatch).
	LineTransactionID  string    `json:"lineTransactionId,omitempty"`
	FlowID             string    `json:"flowId,omitempty"`
	PSP                string    `json:"psp,omitempty"`
	PaidAt             time.Time `json:"paidAt,omitzero"`
	ReceiptAmountCents int64     `json:"receiptAmountCents,omitempty"`
	SettledAmountCents int64     `json:"settledAmountCents,omitempty"`
	// RevokedAmountCents is the amount of a revoked line: refunded, so it
	// is in no total.
	RevokedAmountCents int64 `json:"revokedAmountCents,omitempty"`
	// DifferenceCents is settled minus receipt, for mismatched rows.
	DifferenceCents int64 `json:"differenceCents,omitempty"`
	hasReceipt      bool
}

// HasReceipt reports whether the row carries a receipt's amount (it is
// the row that accounts for that receipt).
func (it ReconItem) HasReceipt() bool { return it.hasReceipt }

// Tally is a count of payments and their sum.
type Tally struct {
	Count       int   `json:"count"`
	AmountCents int64 `json:"amountCents"`
}

func (t *Tally) add(cents int64) { t.Count++; t.AmountCents += cents }

// FlowTotals sums one flow and says whether it agrees with our receipts.
type FlowTotals struct {
	ID  string `json:"id"`
	PSP string `json:"psp"`
	// Count and AmountCents are the flow's executed lines.
	Count       int   `json:"count"`
	AmountCents int64 `json:"amountCents"`
	// DeclaredCents is the total the flow declares about itself.
	DeclaredCents int64 `json:"declaredCents"`
	// MatchedCents is the sum of the receipts this flow's lines matched.
	MatchedCents int64 `json:"matchedCents"`
	Revoked      int   `json:"revoked"`
	// Balanced: the declared total is the sum of the lines, and every
	// executed line matched a receipt of the same amount.
	Balanced bool `json:"balanced"`
}

// Reconciliation is the day's receipts set against the PSPs' flows.
type Reconciliation struct {
	Date     Date  `json:"date"`
	Receipts Tally `json:"receipts"`
	// Settled counts the executed lines of every flow, duplicates and
	// unexpected ones included: it is the money that actually arrived.
	Settled    Tally        `json:"settled"`
	Matched    int          `json:"matched"`
	Missing    []ReconItem  `json:"missing"`
	Unexpected []ReconItem  `json:"unexpected"`
	Mismatched []ReconItem  `json:"mismatched"`
	Duplicates []ReconItem  `json:"duplicates"`
	Revoked    []ReconItem  `json:"revoked"`
	Flows      []FlowTotals `json:"flows"`
	// Balanced is true when every receipt matched exactly one executed line
	// of the same amount, every executed line matched a receipt, no refund
	// touched one of our receipts, every flow adds up to its declared
	// total, and so the day's totals agree to the cent.
	Balanced bool `json:"balanced"`
	// Rows has every receipt and every line once, problems first, for the
	// CSV export; JSON clients have the lists above.
	Rows []ReconItem `json:"-"`
}

// Reconcile matches the receipts of day against the settlement flows of
// that day (pagoPA: every receipt matches exactly one settlement line, and
// every line one receipt; totals per day and per flow agree to the cent).
//
// A line belongs to a receipt when its IUV is the receipt's NAV.IUV() and
// its transaction id is the receipt's PSP.TransactionID. Executed lines are
// matched first; a line whose pair is not found is then paired with a
// receipt of the same IUV that nothing else settled (mismatched: another
// transaction id), and only otherwise is it unexpected. Revoked lines come
// last: a refund of a receipt that no executed line settled takes that
// receipt's row; a refund of a settled receipt is a row of its own. Either
// way the day is not balanced, as a fine shows paid while its money went
// back. A refund that names none of our receipts moved no money in either
// direction and is listed without unbalancing the day.
//
// The caller chooses the flows (all those with settlement date day); the
// function does no I/O and does not modify its arguments.
func Reconcile(day Date, receipts []Receipt, flows []SettlementFlow) Reconciliation {
	rec := Reconciliation{
		Date: day, Missing: []ReconItem{}, Unexpected: []ReconItem{}, Mismatched: []ReconItem{},
		Duplicates: []ReconItem{}, Revoked: []ReconItem{}, Flows: make([]FlowTotals, len(flows)),
	}
	type key struct{ iuv, tx string }
	// settledBy[i] is the flow index whose executed line took receipt i;
	// -1 while none has.
	settledBy := make([]int, len(receipts))
	revoked := make([]bool, len(receipts))
	byKey := make(map[key][]int, len(receipts))
	byIUV := make(map[string][]int, len(receipts))
	for i, r := range receipts {
		settledBy[i] = -1
		rec.Receipts.add(r.AmountCents)
		k := key{iuvOf(r.NAV), r.PSP.TransactionID}
		byKey[k] = append(byKey[k], i)
		byIUV[k.iuv] = append(byIUV[k.iuv], i)
	}
	// first returns the first receipt of list that ok accepts, or -1.
	first := func(list []int, ok func(int) bool) int {
		for _, i := range list {
			if ok(i) {
				return i
			}
		}
		return -1
	}
	unsettled := func(i int) bool { return settledBy[i] < 0 && !revoked[i] }
	lineItem := func(fi int, l SettlementLine) ReconItem {
		return ReconItem{IUV: l.IUV, TransactionID: l.TransactionID, FlowID: flows[fi].ID, PSP: flows[fi].PSP, PaidAt: l.PaidAt}
	}
	withReceipt := func(it ReconItem, r Receipt) ReconItem {
		it.NoticeNumber, it.ReceiptID, it.ReceiptAmountCents, it.hasReceipt = r.NAV, r.ID, r.AmountCents, true
		it.PaidAt = r.PaidAt
		if it.TransactionID != r.PSP.TransactionID {
			it.LineTransactionID, it.TransactionID = it.TransactionID, r.PSP.TransactionID
		}
		return it
	}
	settle := func(fi, i int, l SettlementLine, reason string) {
		settledBy[i] = fi
		rec.Flows[fi].MatchedCents += receipts[i].AmountCents
		it := withReceipt(lineItem(fi, l), receipts[i])
		it.SettledAmountCents = l.AmountCents
		if l.AmountCents != receipts[i].AmountCents {
			reason = joinReason(reason, ReasonAmount)
		}
		if reason == "" {
			it.Status = ReconMatched
			rec.Matched++
		} else {
			it.Status, it.Reason, it.DifferenceCents = ReconMismatched, reason, l.AmountCents-receipts[i].AmountCents
			rec.Mismatched = append(rec.Mismatched, it)
		}
		rec.Rows = append(rec.Rows, it)
	}

	// Pass 1: executed lines with their exact (IUV, transaction id) pair.
	type pending struct{ fi, li int }
	var rest []pending
	for fi, f := range flows {
		ft := &rec.Flows[fi]
		*ft = FlowTotals{ID: f.ID, PSP: f.PSP, DeclaredCents: f.TotalCents}
		for li, l := range f.Lines {
			if l.Outcome != OutcomeExecuted {
				ft.Revoked++
				continue
			}
			ft.Count++
			ft.AmountCents += l.AmountCents
			rec.Settled.add(l.AmountCents)
			list := byKey[key{l.IUV, l.TransactionID}]
			if i := first(list, unsettled); i >= 0 {
				settle(fi, i, l, "")
			} else if i := first(list, func(int) bool { return true }); i >= 0 {
				it := lineItem(fi, l)
				it.Status, it.ReceiptID, it.NoticeNumber = ReconDuplicate, receipts[i].ID, receipts[i].NAV
				it.SettledAmountCents = l.AmountCents
				rec.Duplicates = append(rec.Duplicates, it)
				rec.Rows = append(rec.Rows, it)
			} else {
				rest = append(rest, pending{fi, li})
			}
		}
	}
	// Pass 2: lines without an exact pair take a receipt of the same IUV
	// that no line settled; the others are unexpected money.
	for _, p := range rest {
		l := flows[p.fi].Lines[p.li]
		if i := first(byIUV[l.IUV], unsettled); i >= 0 {
			settle(p.fi, i, l, ReasonTransactionID)
			continue
		}
		it := lineItem(p.fi, l)
		it.Status, it.SettledAmountCents = ReconUnexpected, l.AmountCents
		rec.Unexpected = append(rec.Unexpected, it)
		rec.Rows = append(rec.Rows, it)
	}
	// Pass 3: refunds.
	refundOfOurs := false
	for fi, f := range flows {
		for _, l := range f.Lines {
			if l.Outcome == OutcomeExecuted {
				continue
			}
			it := lineItem(fi, l)
			it.Status, it.RevokedAmountCents = ReconRevoked, l.AmountCents
			list := byKey[key{l.IUV, l.TransactionID}]
			if i := first(list, unsettled); i >= 0 {
				revoked[i] = true // this row accounts for the receipt
				it = withReceipt(it, receipts[i])
				refundOfOurs = true
			} else if i := first(list, func(int) bool { return true }); i >= 0 {
				it.ReceiptID, it.NoticeNumber = receipts[i].ID, receipts[i].NAV
				refundOfOurs = true
			}
			rec.Revoked = append(rec.Revoked, it)
			rec.Rows = append(rec.Rows, it)
		}
	}
	// Pass 4: receipts nothing settled.
	for i, r := range receipts {
		if unsettled(i) {
			it := withReceipt(ReconItem{Status: ReconMissing, IUV: iuvOf(r.NAV), TransactionID: r.PSP.TransactionID, PSP: r.PSP.Name}, r)
			rec.Missing = append(rec.Missing, it)
			rec.Rows = append(rec.Rows, it)
		}
	}

	flowsOK := true
	for fi := range rec.Flows {
		ft := &rec.Flows[fi]
		ft.Balanced = ft.DeclaredCents == ft.AmountCents && ft.MatchedCents == ft.AmountCents &&
			!flowHasProblem(&rec, ft.ID)
		flowsOK = flowsOK && ft.Balanced
	}
	rec.Balanced = flowsOK && !refundOfOurs && len(rec.Missing) == 0 && len(rec.Unexpected) == 0 &&
		len(rec.Mismatched) == 0 && len(rec.Duplicates) == 0 && rec.Receipts == rec.Settled
	sortItems(rec.Missing)
	sortItems(rec.Unexpected)
	sortItems(rec.Mismatched)
	sortItems(rec.Duplicates)
	sortItems(rec.Revoked)
	sortItems(rec.Rows)
	return rec
}

// flowHasProblem reports whether a line of flow id is unexpected,
// mismatched or a duplicate. Flow ids are unique within a day, as the
// upload refuses a second flow with a known id.
func flowHasProblem(rec *Reconciliation, id string) bool {
	for _, list := range [][]ReconItem{rec.Unexpected, rec.Mismatched, rec.Duplicates} {
		for _, it := range list {
			if it.FlowID == id {
				return true
			}
		}
	}
	return false
}

// iuvOf returns the IUV of a NAV, tolerating a malformed one (which a
// store should never hold) rather than panicking on a short string.
func iuvOf(n NAV) string {
	if len(n) != navLen {
		return string(n)
	}
	return n.IUV()
}

func joinReason(a, b string) string {
	switch {
	case a == "":
		return b
	case a == ReasonTransactionID && b == ReasonAmount:
		return ReasonBoth
	}
	return a + "," + b
}

// statusOrder puts the rows that need a person first, matched rows last.
var statusOrder = map[ReconStatus]int{
	ReconMismatched: 0, ReconMissing: 1, ReconUnexpected: 2, ReconDuplicate: 3, ReconRevoked: 4, ReconMatched: 5,
}

// sortItems orders rows by status, then time, IUV, transaction id and flow,
// so that the same inputs always give the same report.
func sortItems(items []ReconItem) {
	slices.SortStableFunc(items, func(a, b ReconItem) int {
		return cmp.Or(
			cmp.Compare(statusOrder[a.Status], statusOrder[b.Status]),
			a.PaidAt.Compare(b.PaidAt),
			strings.Compare(a.IUV, b.IUV),
			strings.Compare(a.TransactionID, b.TransactionID),
			strings.Compare(a.FlowID, b.FlowID),
		)
	})
}
