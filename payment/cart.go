package payment

import (
	"context"
	"net/mail"
	"slices"
	"strconv"
	"strings"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
)

// CartItem is one fine of a cart: a notice number and the amount the
// payer was shown for it.
type CartItem struct {
	NAV         notices.NAV `json:"noticeNumber"`
	AmountCents int64       `json:"amountCents"`
}

// CartPayment pays several fines with one card authorization of their
// sum (a driver's "my fines" page): the items, the provider's token, an
// optional e-mail and the Idempotency-Key of the attempt.
type CartPayment struct {
	Items          []CartItem
	Token          string
	Email          string
	IdempotencyKey string
}

// cartScope is the idempotency scope of carts: one key names one cart,
// whichever fines it holds.
const cartScope = "cart"

func (p *CartPayment) validate() error {
	var errs []notices.FieldError
	if len(p.Items) == 0 || len(p.Items) > notices.MaxCartFines {
		errs = append(errs, notices.FieldError{Field: "items", Message: "a cart pays 1 to " + strconv.Itoa(notices.MaxCartFines) + " fines"})
	}
	for i, it := range p.Items {
		if it.AmountCents <= 0 {
			errs = append(errs, notices.FieldError{Field: "items[" + strconv.Itoa(i) + "].amountCents", Message: "the amount shown to the payer, in cents, is required"})
		}
	}
	if p.Token == "" || len(p.Token) > 200 {
		errs = append(errs, notices.FieldError{Field: "token", Message: "a payment token from the provider is required"})
	}
	if p.Email != "" {
		if a, err := mail.ParseAddress(p.Email); err != nil || a.Address != p.Email || len(p.Email) > 254 {
			errs = append(errs, notices.FieldError{Field: "email", Message: "not a valid e-mail address"})
		}
	}
	if p.IdempotencyKey == "" || len(p.IdempotencyKey) > 128 {
		errs = append(errs, notices.FieldError{Field: "idempotencyKey", Message: "an idempotency key of 1 to 128 characters is required"})
	}
	if len(errs) > 0 {
		return &notices.ValidationError{Fields: errs}
	}
	return nil
}

// PayCart pays every fine of a cart with ONE authorization of the sum,
// exactly once and all or nothing, by the same steps as PayByCard: the
// fines' locks (taken in id order, so carts sharing fines never
// deadlock), replay by Idempotency-Key, the state and amount checks of
// every fine, one authorization, one store transaction (RecordCart) that
// writes one receipt per fine, then capture; any refusal after the
// authorization voids it.
//
// A cart where any fine cannot be paid, or where any amount shown
// differs from today's, is refused whole: EAmountChanged carries
// Details items (each notice number with its amountDue), the other
// refusals name the fine (Details fineId). Errors: ENoticeNotFound,
// EValidation (also a fine twice, by either of its notice numbers),
// EAlreadyPaid, EFineCancelled, EFineVoid, EAmountChanged,
// EIdempotencyConflict, and the provider's card errors.
func (s *Service) PayCart(ctx context.Context, p CartPayment) (rs []notices.Receipt, replayed bool, err error) {
	if err := p.validate(); err != nil {
		return nil, false, err
	}
	if s.cfg.Provider == nil {
		return nil, false, &notices.Error{Code: notices.EInternal, Op: "payment.PayCart", Message: "no payment provider is configured"}
	}
	fines := make([]notices.Fine, len(p.Items))
	ids := make([]string, len(p.Items))
	parts := []string{"cart"}
	for i, it := range p.Items {
		if fines[i], err = s.cfg.Store.FineByNAV(ctx, it.NAV); err != nil {
			return nil, false, err
		}
		if slices.Contains(ids, fines[i].ID) {
			return nil, false, notices.Errorf(notices.EValidation, "fine %s is twice in the cart", fines[i].ReportNumber)
		}
		ids[i] = fines[i].ID
		parts = append(parts, string(it.NAV), strconv.FormatInt(it.AmountCents, 10))
	}
	sorted := slices.Clone(ids)
	slices.Sort(sorted)
	for _, id := range sorted {
		defer s.locks.lock(id)()
	}
	hash := requestHash(append(parts, p.Token, p.Email)...)
	if prev, err := s.cfg.Store.Idempotency(ctx, cartScope, p.IdempotencyKey); err != nil {
		return nil, false, err
	} else if prev != nil {
		return s.replayCart(ctx, prev, hash)
	}

	now := s.now()
	today := notices.DateOf(now)
	dues := make([]notices.AmountDue, len(fines))
	changed := false
	var total int64
	for i := range fines {
		if fines[i], err = s.cfg.Store.Fine(ctx, ids[i]); err != nil { // fresh, under the locks
			return nil, false, err
		}
		if err := fines[i].Payable(); err != nil {
			return nil, false, notices.CartRefusal(err, &fines[i])
		}
		dues[i] = s.cfg.Settings.Calendar.Due(&fines[i], today)
		changed = changed || dues[i].Cents != p.Items[i].AmountCents
		total += dues[i].Cents
	}
	if changed {
		return nil, false, cartAmountChanged(p.Items, dues)
	}
	auth, err := s.cfg.Provider.Authorize(ctx, psp.AuthorizeRequest{
		Token: p.Token, AmountCents: total, Reference: string(p.Items[0].NAV), IdempotencyKey: cartScope + ":" + p.IdempotencyKey,
	})
	if err != nil {
		return nil, false, err
	}
	rec := notices.CartRecord{Idempotency: &notices.Idempotent{Scope: cartScope, Key: p.IdempotencyKey, RequestHash: hash, CreatedAt: now}}
	for i, f := range fines {
		rid, err := notices.NewID(s.cfg.Rand)
		if err != nil {
			return nil, false, s.void(ctx, auth.ID, err)
		}
		due := dues[i]
		rec.Payments = append(rec.Payments, notices.PaymentRecord{FineID: f.ID, Receipt: notices.Receipt{
			ID: rid, NAV: p.Items[i].NAV, FineID: f.ID, ReportNumber: f.ReportNumber, Creditor: s.cfg.Settings.Creditor,
			AmountCents: due.Cents, SanctionCents: due.SanctionCents, FeesCents: due.FeesCents, Stage: due.Stage,
			PaidAt: now, PSP: notices.PSPRef{Name: s.cfg.Provider.Name(), TransactionID: auth.TransactionID},
			Method: notices.CardMethod{Brand: auth.Brand, Last4: auth.Last4}, Email: p.Email,
			Channel: notices.PaidViaCheckout, ExpectedCents: due.Cents,
		}})
	}
	saved, err := s.cfg.Store.RecordCart(ctx, rec)
	if err != nil {
		switch notices.ErrorCode(err) {
		case notices.EAlreadyPaid:
			// Another process may have recorded this very cart (same key,
			// same authorization): replay it and never void what it took.
			if prev, ierr := s.cfg.Store.Idempotency(ctx, cartScope, p.IdempotencyKey); ierr == nil && prev != nil && prev.RequestHash == hash {
				return s.replayCart(ctx, prev, hash)
			}
		case notices.EUnavailable:
			// May or may not have committed: keep the authorization for
			// the retry with the same key (see PayByCard).
			return nil, false, err
		}
		return nil, false, s.void(ctx, auth.ID, err)
	}
	s.capture(ctx, auth.ID, "capture failed after cart receipts", "receipts", strings.Join(notices.ReceiptIDs(saved), ","))
	return saved, false, nil
}

// replayCart answers a retried cart with the receipts of the first one.
func (s *Service) replayCart(ctx context.Context, prev *notices.Idempotent, hash string) ([]notices.Receipt, bool, error) {
	if prev.RequestHash != hash {
		return nil, false, notices.Errorf(notices.EIdempotencyConflict, "this Idempotency-Key was used for a different request")
	}
	var rs []notices.Receipt
	for _, id := range strings.Split(prev.ResourceID, ",") {
		r, err := s.cfg.Store.Receipt(ctx, id)
		if err != nil {
			return nil, false, err
		}
		rs = append(rs, r)
	}
	return rs, true, nil
}

// cartAmountChanged is the EAmountChanged error of a cart: what is due
// now for each of its fines, so the payer confirms the new total.
func cartAmountChanged(items []CartItem, dues []notices.AmountDue) error {
	type item struct {
		NAV       notices.NAV       `json:"noticeNumber"`
		Shown     int64             `json:"amountShownCents"`
		AmountDue notices.AmountDue `json:"amountDue"`
	}
	out := make([]item, len(items))
	for i := range items {
		out[i] = item{items[i].NAV, items[i].AmountCents, dues[i]}
	}
	return &notices.Error{Code: notices.EAmountChanged,
		Message: "The amount due for a fine of the cart has changed since it was shown; nothing was charged. Confirm the new amounts.",
		Details: map[string]any{"items": out}}
}
