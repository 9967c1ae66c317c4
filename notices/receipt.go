package notices

import "time"

// Creditor is the public body that collects the fine (ente creditore).
type Creditor struct {
	FiscalCode string `json:"fiscalCode"`
	Name       string `json:"name"`
}

// PSPRef identifies a payment at the payment service provider.
type PSPRef struct {
	Name          string `json:"name"`
	TransactionID string `json:"transactionId"`
}

// CardMethod is what a receipt may show of the card: never its number.
type CardMethod struct {
	Brand string `json:"brand"`
	Last4 string `json:"last4"`
}

// Receipt proves a payment (the pagoPA RT). It is written in the same
// transaction that marks the fine paid, and never changes afterwards.
type Receipt struct {
	ID            string     `json:"receiptId"`
	NAV           NAV        `json:"noticeNumber"`
	FineID        string     `json:"fineId"`
	ReportNumber  string     `json:"reportNumber"`
	Creditor      Creditor   `json:"creditor"`
	AmountCents   int64      `json:"amountCents"`
	SanctionCents int64      `json:"sanctionCents"`
	FeesCents     int64      `json:"feesCents"`
	Stage         Stage      `json:"stage"`
	PaidAt        time.Time  `json:"paidAt"`
	PSP           PSPRef     `json:"psp"`
	Method        CardMethod `json:"method"`
	Email         string     `json:"email,omitempty"`

	// Channel says how the money arrived; empty on receipts written
	// before pagoPA, which all came through the checkout.
	Channel PaymentChannel `json:"channel,omitempty"`
	// PagoPA is what the node sent (paSendRT/paSendRTV2), when the
	// payment was made in a pagoPA channel.
	PagoPA *PagoPAReceipt `json:"pagopa,omitempty"`
	// Anomaly flags money that did not settle the fine as expected, so
	// finance sees what to give back; empty for a normal settlement.
	Anomaly Anomaly `json:"anomaly,omitempty"`
	// ExpectedCents is the amount due when the payment was made (what
	// the fine asked for then), kept so an amount mismatch can be explained.
	ExpectedCents int64 `json:"expectedCents,omitempty"`
	// RefundCents is what must be given back to the payer: the whole
	// amount of a second payment or of one after cancellation, the
	// excess of an overpayment.
	RefundCents int64 `json:"refundCents,omitempty"`
	// FromFlow flags a payment recorded from a settlement flow rather than
	// from a receipt of the node: a stand-in payment (outcome 4 or 8),
	// which the node took without asking us, so no receipt will ever come.
	// It names the flow, for finance to check.
	FromFlow string `json:"fromFlow,omitempty"`
}

// PaymentChannel is the way a payment reached Multa.
type PaymentChannel string

// The payment channels.
const (
	PaidViaCheckout PaymentChannel = "checkout" // Multa's own card checkout
	PaidViaPagoPA   PaymentChannel = "pagopa"   // any pagoPA channel, through the node
)

// Anomaly is why a receipt needs a person from finance to look at it.
type Anomaly string

// The anomalies of a receipt. Money that arrived is never refused: it is
// stored and flagged instead.
const (
	AnomalyNone           Anomaly = ""
	AnomalyDoublePayment  Anomaly = "double_payment"          // the fine was already paid: refund all of it
	AnomalyAmountMismatch Anomaly = "amount_mismatch"         // settled, but not with the amount due
	AnomalyAfterCancel    Anomaly = "paid_after_cancellation" // the fine was cancelled: refund all of it
)

// PagoPAReceipt is the content of a pagoPA receipt (ctReceipt/ctReceiptV2
// of paForNode.xsd) that a creditor must keep: who paid through which PSP
// and channel, when, with what fee, and where the money goes. Amounts are
// cents, as everywhere in Multa.
type PagoPAReceipt struct {
	ReceiptID           string           `json:"receiptId"`
	NoticeNumber        string           `json:"noticeNumber"`
	FiscalCode          string           `json:"fiscalCode"` // the creditor's (idPA)
	CreditorReferenceID string           `json:"creditorReferenceId"`
	PaymentAmountCents  int64            `json:"paymentAmountCents"`
	Description         string           `json:"description,omitempty"`
	CompanyName         string           `json:"companyName,omitempty"`
	IDPSP               string           `json:"idPSP"`
	PSPFiscalCode       string           `json:"pspFiscalCode,omitempty"`
	PSPCompanyName      string           `json:"pspCompanyName"`
	IDChannel           string           `json:"idChannel"`
	ChannelDescription  string           `json:"channelDescription"`
	PaymentMethod       string           `json:"paymentMethod,omitempty"`
	FeeCents            int64            `json:"feeCents,omitempty"`
	PaymentDateTime     time.Time        `json:"paymentDateTime,omitzero"`
	ApplicationDate     Date             `json:"applicationDate,omitzero"`
	TransferDate        Date             `json:"transferDate,omitzero"`
	Debtor              PagoPASubject    `json:"debtor"`
	Transfers           []PagoPATransfer `json:"transfers"`
}

// PagoPASubject is the debtor (or payer) of a pagoPA receipt.
type PagoPASubject struct {
	EntityType string `json:"entityType"` // "F" natural person, "G" legal person
	UniqueID   string `json:"uniqueId"`   // fiscal code or VAT number, or "ANONIMO"
	FullName   string `json:"fullName"`
}

// PagoPATransfer is one line of a receipt's transfer list: where part of
// the amount is credited.
type PagoPATransfer struct {
	IDTransfer            int    `json:"idTransfer"`
	AmountCents           int64  `json:"amountCents"`
	FiscalCodePA          string `json:"fiscalCodePA"`
	IBAN                  string `json:"iban,omitempty"`
	RemittanceInformation string `json:"remittanceInformation"`
	TransferCategory      string `json:"transferCategory"`
}

// Public is the receipt as shown to whoever holds its id, which anyone
// who knows the notice number can learn: the payment and where the money
// went, but not who paid (the debtor's fiscal code and name, the e-mail),
// which only the creditor's staff may read.
func (r Receipt) Public() Receipt {
	r.Email = ""
	if r.PagoPA != nil {
		p := *r.PagoPA
		p.Debtor = PagoPASubject{EntityType: p.Debtor.EntityType}
		r.PagoPA = &p
	}
	return r
}

// Refund reports whether money must be given back for this receipt.
func (r *Receipt) Refund() bool { return r.RefundCents > 0 }

// Idempotent records that a request carrying an Idempotency-Key was
// served, and what it created: a retry with the same key and request gets
// the answer rebuilt from that resource as it is now, a retry with another
// request gets idempotency_conflict. It holds no transport detail (no
// status, no body), so every adapter answers a replay its own way.
type Idempotent struct {
	Scope       string `json:"scope"` // e.g. "payment:<fine id>" or "fine:<officer>"
	Key         string `json:"key"`
	RequestHash string `json:"requestHash"`
	// ResourceID names what the first request created: a receipt id for
	// a payment, a fine id for an issued fine.
	ResourceID string    `json:"resourceId"`
	CreatedAt  time.Time `json:"createdAt"`
}

// Settle decides, inside the store's transaction, what an arriving receipt
// does to fine f. Money that arrived is never refused:
//   - a payable fine is marked paid by r; when r.ExpectedCents is set and
//     differs from r.AmountCents, r is flagged amount_mismatch and any
//     excess is to be refunded;
//   - a paid fine (the driver paid twice, in two channels) or a cancelled
//     one is left as it is, and r is flagged double_payment or
//     paid_after_cancellation with all of its amount to refund.
//
// It reports whether f changed and must be saved.
func (f *Fine) Settle(r *Receipt) (changed bool) {
	r.Anomaly, r.RefundCents = AnomalyNone, 0
	switch f.Status {
	case StatusPaid:
		r.Anomaly, r.RefundCents = AnomalyDoublePayment, r.AmountCents
		return false
	case StatusCancelled:
		r.Anomaly, r.RefundCents = AnomalyAfterCancel, r.AmountCents
		return false
	}
	if r.ExpectedCents > 0 && r.AmountCents != r.ExpectedCents {
		r.Anomaly = AnomalyAmountMismatch
		r.RefundCents = max(0, r.AmountCents-r.ExpectedCents)
	}
	f.Status, f.ReceiptID, f.UpdatedAt = StatusPaid, r.ID, r.PaidAt
	at := r.PaidAt
	f.PaidAt = &at
	return true
}
