package payment

import (
	"context"

	"github.com/multa/multa/notices"
)

// Recorded is the outcome of RecordReceipt: the receipt as stored (with
// its anomaly, if any) and whether it was the same pagoPA receipt seen
// before, in which case nothing was written.
type Recorded struct {
	Receipt   notices.Receipt
	Duplicate bool
}

// RecordReceipt stores a receipt that arrived from a pagoPA channel
// (paSendRT/paSendRTV2). Money that arrived is never refused: a receipt
// for a payable fine settles it (flagged amount_mismatch when its amount
// is not the amount due on the day it was paid); one for a fine already
// paid or cancelled is stored flagged double_payment or
// paid_after_cancellation, with all of it to refund, and the fine is left
// as it is. The same pagoPA receipt again writes nothing (Duplicate).
//
// The caller fills NAV, AmountCents and PagoPA; RecordReceipt fills the
// rest from the fine: id, fine, report number, creditor (when empty),
// channel, the expected amount and stage, PaidAt (the pagoPA payment time,
// else now) and the PSP reference. Errors: ENoticeNotFound (no fine has
// this NAV: the node is told the payment is unknown and keeps the
// receipt), EValidation.
func (s *Service) RecordReceipt(ctx context.Context, r notices.Receipt) (Recorded, error) {
	if r.AmountCents <= 0 {
		return Recorded{}, &notices.ValidationError{Fields: []notices.FieldError{{Field: "amountCents", Message: "a receipt needs a positive amount"}}}
	}
	f, err := s.cfg.Store.FineByNAV(ctx, r.NAV)
	if err != nil {
		return Recorded{}, err
	}
	if r.ID == "" {
		if r.ID, err = notices.NewID(s.cfg.Rand); err != nil {
			return Recorded{}, err
		}
	}
	r.FineID, r.ReportNumber = f.ID, f.ReportNumber
	if r.Creditor == (notices.Creditor{}) {
		r.Creditor = s.cfg.Settings.Creditor
	}
	if r.PagoPA != nil {
		p := *r.PagoPA // never change the caller's copy
		if p.FiscalCode == "" {
			p.FiscalCode = r.Creditor.FiscalCode
		}
		r.PagoPA = &p
		if r.Channel == "" {
			r.Channel = notices.PaidViaPagoPA
		}
		if r.PaidAt.IsZero() {
			r.PaidAt = p.PaymentDateTime
		}
		if r.PSP == (notices.PSPRef{}) {
			r.PSP = notices.PSPRef{Name: p.PSPCompanyName, TransactionID: p.ReceiptID}
		}
	}
	if r.PaidAt.IsZero() {
		r.PaidAt = s.now()
	}
	r.PaidAt = r.PaidAt.In(notices.Rome)
	// The amount due is quoted from the fine as read here, just before
	// the store's transaction: the store has no calendar. A notification
	// committed in between (it adds fees) would leave ExpectedCents short
	// by those fees; the window is one round trip, and finance sees the
	// receipt flagged amount_mismatch rather than money lost.
	due := s.cfg.Settings.Calendar.Due(&f, notices.DateOf(r.PaidAt))
	r.ExpectedCents, r.Stage = due.Cents, due.Stage
	// The breakdown always adds up to what was paid: fees first, as the
	// law never discounts them, the rest is sanction.
	r.FeesCents = min(due.FeesCents, r.AmountCents)
	r.SanctionCents = r.AmountCents - r.FeesCents

	saved, dup, err := s.cfg.Store.RecordReceipt(ctx, r)
	if err != nil {
		return Recorded{}, err
	}
	if !dup && saved.Anomaly != notices.AnomalyNone {
		s.cfg.Logger.Warn("receipt needs finance", "receipt", saved.ID, "fine", saved.FineID,
			"anomaly", saved.Anomaly, "amountCents", saved.AmountCents, "refundCents", saved.RefundCents)
	}
	return Recorded{Receipt: saved, Duplicate: dup}, nil
}
