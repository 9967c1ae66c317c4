package notices

import (
	"strings"
	"time"
)

// MaxCartFines bounds how many fines one cart pays: a driver's open fines
// fit, and one store transaction stays short.
const MaxCartFines = 20

// CheckCart validates a cart before a store writes it and returns its
// receipts with their FineID filled and a zero PaidAt stamped with now.
// Stores call it first, so both adapters refuse the same carts. Errors:
// EValidation.
func CheckCart(c CartRecord, now time.Time) ([]Receipt, error) {
	if len(c.Payments) == 0 || len(c.Payments) > MaxCartFines {
		return nil, Errorf(EValidation, "a cart pays 1 to %d fines", MaxCartFines)
	}
	if c.Idempotency != nil && (c.Idempotency.Scope == "" || c.Idempotency.Key == "") {
		return nil, Errorf(EValidation, "an idempotency record needs a scope and a key")
	}
	seen := make(map[string]bool, len(c.Payments))
	rs := make([]Receipt, len(c.Payments))
	for i, p := range c.Payments {
		r := p.Receipt
		if r.FineID == "" {
			r.FineID = p.FineID
		}
		switch {
		case p.Idempotency != nil:
			return nil, Errorf(EValidation, "the fines of a cart share the cart's idempotency record")
		case r.ID == "" || len(r.ID) > 64 || strings.Contains(r.ID, ","):
			return nil, Errorf(EValidation, "a receipt needs an id of 1 to 64 characters, without commas")
		case p.FineID == "" || r.FineID != p.FineID:
			return nil, Errorf(EValidation, "the receipt must name the fine it pays")
		case r.AmountCents <= 0:
			return nil, Errorf(EValidation, "a receipt needs a positive amount")
		case seen[p.FineID]:
			return nil, Errorf(EValidation, "fine %s is twice in the cart", p.FineID)
		}
		seen[p.FineID] = true
		if r.PaidAt.IsZero() {
			r.PaidAt = now
		}
		rs[i] = r
	}
	return rs, nil
}

// CartRefusal turns the reason a fine of a cart cannot be paid into the
// cart's error: the same code, naming the fine (Details fineId,
// reportNumber, and receiptId when it is already paid), so the payer
// learns which fine to take out.
func CartRefusal(err error, f *Fine) error {
	code := ErrorCode(err)
	e := &Error{Code: code, Message: "Fine " + f.ReportNumber + " of the cart cannot be paid: " + err.Error(),
		Details: map[string]any{"fineId": f.ID, "reportNumber": f.ReportNumber}}
	if code == EAlreadyPaid {
		e.Details["receiptId"] = f.ReceiptID
	}
	return e
}

// ReceiptIDs returns the ids of rs, in order.
func ReceiptIDs(rs []Receipt) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.ID
	}
	return out
}
