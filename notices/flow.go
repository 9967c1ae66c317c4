package notices

import (
	"fmt"
	"time"
)

// FlowOutcome is codiceEsitoSingoloPagamento, the outcome of one line of a
// pagoPA settlement flow (Flusso di Rendicontazione). The domain keeps its
// own copy of the codes so that it need not import a decoder.
type FlowOutcome int

// The outcome codes of FlussoRiversamento 1.0.4 (1.0.5 dropped 3).
const (
	OutcomeExecuted     FlowOutcome = 0 // paid, with a receipt (RT)
	OutcomeRevoked      FlowOutcome = 3 // paid, then given back to the payer
	OutcomeStandIn      FlowOutcome = 4 // paid while the node ran in stand-in
	OutcomeStandInNoRPT FlowOutcome = 8 // stand-in, and no payment request reached the EC
	OutcomeNoRPT        FlowOutcome = 9 // paid without a payment request (RPT)
)

// Valid reports whether o is one of the five codes.
func (o FlowOutcome) Valid() bool {
	switch o {
	case OutcomeExecuted, OutcomeRevoked, OutcomeStandIn, OutcomeStandInNoRPT, OutcomeNoRPT:
		return true
	}
	return false
}

// Paid reports whether the line's money was transferred to the creditor:
// every code but a revocation.
func (o FlowOutcome) Paid() bool { return o.Valid() && o != OutcomeRevoked }

// StandIn reports whether the payment was taken while the creditor could
// not be asked (codes 4 and 8): no receipt may ever reach us for it.
func (o FlowOutcome) StandIn() bool { return o == OutcomeStandIn || o == OutcomeStandInNoRPT }

// SettlementLine is one datiSingoliPagamenti of a flow: what a PSP says it
// transferred for one transfer of one payment.
type SettlementLine struct {
	IUV string `json:"iuv"`
	// IUR is identificativoUnivocoRiscossione: the receiptId of a pagoPA
	// receipt, the transaction id of a payment in Multa's own checkout.
	IUR string `json:"iur"`
	// TransferIndex is indiceDatiSingoloPagamento, the idTransfer (1–5)
	// of the receipt's transfer list; 1 when the flow leaves it out.
	TransferIndex int         `json:"transferIndex"`
	AmountCents   int64       `json:"amountCents"`
	Outcome       FlowOutcome `json:"outcome"`
	// Date is dataEsitoSingoloPagamento, the day of the payment (Rome).
	Date Date `json:"date"`
}

// SettlementFlow is one revision of a PSP's settlement flow
// (FlussoRiversamento): what it transferred to the creditor in one bank
// transfer. A PSP corrects a flow by publishing it again with the same ID
// and a later FlowTime; the store keeps every revision.
type SettlementFlow struct {
	ID string `json:"id"` // identificativoFlusso
	// Revision is the store's number of this revision, 1 for the first;
	// zero until the flow is stored.
	Revision int `json:"revision"`
	// FlowTime is dataOraFlusso: the later one wins among revisions.
	FlowTime time.Time `json:"flowTime"`
	// RegulationID is identificativoUnivocoRegolamento, the reference of
	// the SEPA credit transfer that moved the money: the bank statement
	// carries it.
	RegulationID   string `json:"regulationId"`
	RegulationDate Date   `json:"regulationDate"` // dataRegolamento
	PSP            string `json:"psp"`            // identificativoUnivocoMittente (idPSP)
	PSPName        string `json:"pspName,omitempty"`
	BIC            string `json:"bic,omitempty"` // codiceBicBancaDiRiversamento
	Creditor       string `json:"creditor"`      // the receiving EC's fiscal code
	CreditorName   string `json:"creditorName,omitempty"`
	// DeclaredCount and DeclaredCents are numeroTotalePagamenti and
	// importoTotalePagamenti: what the flow says about itself. A flow
	// whose lines do not add up to them is in error, and reconciliation
	// says so rather than refusing the flow.
	DeclaredCount int              `json:"declaredCount"`
	DeclaredCents int64            `json:"declaredCents"`
	Lines         []SettlementLine `json:"lines"`
}

// PaidCents returns the sum of the lines whose money moved. A revoked
// line is money that went back to the payer, so the flow's declared total
// (the amount of the bank transfer) does not include it.
func (f *SettlementFlow) PaidCents() int64 {
	var sum int64
	for _, l := range f.Lines {
		if l.Outcome.Paid() {
			sum += l.AmountCents
		}
	}
	return sum
}

// Bounds of an acceptable flow. maxLineCents is the schema's bound on one
// amount (999,999,999.99 euro), so that no sum of maxFlowLines overflows.
const (
	maxLineCents = 99_999_999_999
	// MaxFlowLines bounds one flow: pagoPA's FdR splits a day into flows
	// of at most a few thousand payments; 100,000 is far above that and
	// still a few tens of megabytes.
	MaxFlowLines = 100_000
	maxText35    = 35
)

// Validate checks a decoded flow field by field and reports every problem
// at once (at most 20). It checks what the schema cannot: that the IUV of
// a line has the shape of ours (17 digits) is not required, as a PSP may
// report payments of other creditors' notices on our flow by mistake, and
// reconciliation must show them rather than refuse the flow.
func (f *SettlementFlow) Validate() error {
	var errs []FieldError
	add := func(field, format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
		}
	}
	if !isFlowID(f.ID) {
		add("identificativoFlusso", "1 to 35 letters, digits, dashes or underscores")
	}
	if f.FlowTime.IsZero() {
		add("dataOraFlusso", "required")
	}
	if !isText35(f.RegulationID) {
		add("identificativoUnivocoRegolamento", "1 to 35 printable characters")
	}
	if f.RegulationDate.IsZero() {
		add("dataRegolamento", "required")
	}
	if !isText35(f.PSP) {
		add("istitutoMittente", "the sender's identifier, 1 to 35 printable characters")
	}
	if !isText35(f.Creditor) {
		add("istitutoRicevente", "the receiver's identifier, 1 to 35 printable characters")
	}
	switch {
	case len(f.Lines) == 0:
		add("datiSingoliPagamenti", "a flow has at least one payment")
	case len(f.Lines) > MaxFlowLines:
		add("datiSingoliPagamenti", "a flow has at most %d payments", MaxFlowLines)
	}
	if f.DeclaredCount < 1 {
		add("numeroTotalePagamenti", "at least 1")
	}
	if f.DeclaredCents < 0 || f.DeclaredCents > maxLineCents {
		add("importoTotalePagamenti", "between 0.00 and 999999999.99")
	}
	for i, l := range f.Lines {
		if len(errs) >= 20 {
			break
		}
		at := fmt.Sprintf("datiSingoliPagamenti[%d].", i+1)
		if !isText35(l.IUV) {
			add(at+"identificativoUnivocoVersamento", "1 to 35 printable characters")
		}
		if !isText35(l.IUR) {
			add(at+"identificativoUnivocoRiscossione", "1 to 35 printable characters")
		}
		if l.TransferIndex < 1 || l.TransferIndex > 5 {
			add(at+"indiceDatiSingoloPagamento", "1 to 5")
		}
		if l.AmountCents < 1 || l.AmountCents > maxLineCents {
			add(at+"singoloImportoPagato", "between 0.01 and 999999999.99")
		}
		if !l.Outcome.Valid() {
			add(at+"codiceEsitoSingoloPagamento", "0, 3, 4, 8 or 9")
		}
		if l.Date.IsZero() {
			add(at+"dataEsitoSingoloPagamento", "required")
		}
	}
	if len(errs) > 0 {
		return &ValidationError{Fields: errs}
	}
	return nil
}

func isFlowID(s string) bool {
	if len(s) == 0 || len(s) > maxText35 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '-' && c != '_' {
			return false
		}
	}
	return true
}

// isText35 accepts 1–35 printable ASCII characters, not starting with a
// character a spreadsheet would take for a formula: the schema allows any
// string, but these fields are identifiers, and they end up in CSV cells.
func isText35(s string) bool {
	if len(s) == 0 || len(s) > maxText35 {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', ' ':
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// FlowSource says where a flow came from.
type FlowSource string

// The sources of flows.
const (
	FlowUploaded FlowSource = "upload" // the finance office uploaded the XML
	FlowFromFdR  FlowSource = "fdr"    // fetched from pagoPA's FdR 3 API
)

// FlowRevision is a stored revision of a flow with what the store knows
// about it: who brought it, when, and whether it is still in force.
type FlowRevision struct {
	Flow       SettlementFlow `json:"flow"`
	Source     FlowSource     `json:"source"`
	ImportedBy string         `json:"importedBy,omitempty"`
	ImportedAt time.Time      `json:"importedAt"`
	// Superseded is set when a later revision replaced this one.
	Superseded bool `json:"superseded,omitempty"`
	// Withdrawal is set when the finance office withdrew the flow.
	Withdrawal *FlowWithdrawal `json:"withdrawal,omitempty"`
}

// FlowWithdrawal records why a flow was taken out of reconciliation. A
// withdrawn flow is never deleted: it stays in its history and the ledger.
type FlowWithdrawal struct {
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// FlowSaved says what SaveFlow did with a flow.
type FlowSaved string

// What SaveFlow can do with a flow.
const (
	FlowCreated   FlowSaved = "created"   // a flow id seen for the first time
	FlowRevised   FlowSaved = "revised"   // a later revision replaced the current one
	FlowUnchanged FlowSaved = "unchanged" // this very revision was already stored
)

// EFlowOutdated is returned by SaveFlow for a revision older than the one
// in force: pagoPA's rule is that the later dataOraFlusso wins.
const EFlowOutdated = "flow_revision_outdated"
