package payment

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/mail"
	"strconv"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
)

// CardPayment is a payment from the app's checkout: the amount the payer
// was shown (the service charges its own amount, and refuses when they
// differ), the provider's card token, an optional e-mail for the receipt
// and the Idempotency-Key of the attempt.
type CardPayment struct {
	NAV            notices.NAV
	AmountCents    int64
	Token          string
	Email          string
	IdempotencyKey string
}

func (p *CardPayment) validate() error {
	var errs []notices.FieldError
	if p.AmountCents <= 0 {
		errs = append(errs, notices.FieldError{Field: "amountCents", Message: "the amount shown to the payer, in cents, is required"})
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

// PayByCard takes a card payment exactly once. The order matters: replay
// first (the same key and request answer the first receipt, replayed
// true; the same key with another request is EIdempotencyConflict), then
// the state and amount checks, then the card, then one store transaction
// that writes receipt, state and idempotency record together. Only after
// that commit is the card captured (in the background with
// Config.CaptureInBackground); a lost race voids it.
//
// Errors: ENoticeNotFound, EValidation, EAlreadyPaid (Details receiptId),
// EFineCancelled, EAmountChanged (Details amountDue), EIdempotencyConflict,
// and the provider's card errors.
func (s *Service) PayByCard(ctx context.Context, p CardPayment) (r notices.Receipt, replayed bool, err error) {
	if err := p.validate(); err != nil {
		return notices.Receipt{}, false, err
	}
	if s.cfg.Provider == nil {
		return notices.Receipt{}, false, &notices.Error{Code: notices.EInternal, Op: "payment.PayByCard", Message: "no payment provider is configured"}
	}
	// The fine and the key's stored answer in one read, before the lock;
	// read again under it only when a payer of this process released the
	// fine meanwhile (locks.go): then the first read may be stale.
	mark := s.locks.mark()
	f, prev, err := s.cfg.Store.FineByNAVWithIdempotency(ctx, p.NAV, paymentScopePrefix, p.IdempotencyKey)
	if err != nil {
		return notices.Receipt{}, false, err
	}
	unlock := s.locks.lock(f.ID)
	defer unlock()

	scope := paymentScopePrefix + f.ID
	hash := requestHash(string(p.NAV), strconv.FormatInt(p.AmountCents, 10), p.Token, p.Email)
	if s.locks.releasedSince(f.ID, mark) {
		if f, prev, err = s.cfg.Store.FineAndIdempotency(ctx, f.ID, scope, p.IdempotencyKey); prev == nil && err != nil {
			return notices.Receipt{}, false, err
		}
	}
	if prev != nil {
		return s.replay(ctx, prev, hash)
	}
	if err := f.Payable(); err != nil {
		if notices.ErrorCode(err) == notices.EAlreadyPaid {
			return notices.Receipt{}, false, AlreadyPaid(f.ReceiptID)
		}
		return notices.Receipt{}, false, err
	}
	now := s.now()
	due := s.cfg.Settings.Calendar.Due(&f, notices.DateOf(now))
	if p.AmountCents != due.Cents {
		return notices.Receipt{}, false, AmountChanged(due)
	}
	auth, err := s.cfg.Provider.Authorize(ctx, psp.AuthorizeRequest{
		Token: p.Token, AmountCents: due.Cents, Reference: string(p.NAV), IdempotencyKey: scope + ":" + p.IdempotencyKey,
	})
	if err != nil {
		return notices.Receipt{}, false, err
	}
	// A time-sortable id (48 bits of milliseconds, then 80 random bits:
	// as unguessable, and the receipt shows its time anyway) lands at the
	// end of the receipts bucket, so the payments of one group commit
	// share its last page instead of dirtying a random page each.
	rid, err := notices.NewTimeID(now, s.cfg.Rand)
	if err != nil {
		return notices.Receipt{}, false, s.void(ctx, auth.ID, err)
	}
	rcpt := notices.Receipt{
		ID: rid, NAV: p.NAV, FineID: f.ID, ReportNumber: f.ReportNumber, Creditor: s.cfg.Settings.Creditor,
		AmountCents: due.Cents, SanctionCents: due.SanctionCents, FeesCents: due.FeesCents, Stage: due.Stage,
		PaidAt: now, PSP: notices.PSPRef{Name: s.cfg.Provider.Name(), TransactionID: auth.TransactionID},
		Method: notices.CardMethod{Brand: auth.Brand, Last4: auth.Last4}, Email: p.Email,
		Channel: notices.PaidViaCheckout, ExpectedCents: due.Cents,
	}
	saved, err := s.cfg.Store.RecordPayment(ctx, notices.PaymentRecord{
		FineID: f.ID, Receipt: rcpt,
		Idempotency: &notices.Idempotent{Scope: scope, Key: p.IdempotencyKey, RequestHash: hash, ResourceID: rid, CreatedAt: now},
	})
	if err != nil {
		if notices.ErrorCode(err) == notices.EAlreadyPaid {
			// Another process may have recorded this very request (same
			// key, so the provider gave it the same authorization): replay
			// it, and never void what that payment captured.
			if prev, ierr := s.cfg.Store.Idempotency(ctx, scope, p.IdempotencyKey); ierr == nil && prev != nil && prev.RequestHash == hash {
				return s.replay(ctx, prev, hash)
			}
			return notices.Receipt{}, false, s.void(ctx, auth.ID, AlreadyPaid(saved.ID))
		}
		if notices.ErrorCode(err) == notices.EUnavailable {
			// The database went away mid-request: the payment may or may
			// not have committed. Keep the authorization: a retry with the
			// same key gets the same one from the provider, then either
			// replays the committed receipt or records it now, so the
			// payer is charged once either way.
			return notices.Receipt{}, false, err
		}
		return notices.Receipt{}, false, s.void(ctx, auth.ID, err)
	}
	s.capture(ctx, auth.ID, "capture failed after receipt", "receipt", rid)
	return saved, false, nil
}

// paymentScopePrefix starts the idempotency scope of a card payment: the
// scope is the prefix and the fine's id.
const paymentScopePrefix = "payment:"

// replay answers a retried request with the receipt of the first one, or
// refuses a different request that reuses the key.
func (s *Service) replay(ctx context.Context, prev *notices.Idempotent, hash string) (notices.Receipt, bool, error) {
	if prev.RequestHash != hash {
		return notices.Receipt{}, false, notices.Errorf(notices.EIdempotencyConflict, "this Idempotency-Key was used for a different request")
	}
	r, err := s.cfg.Store.Receipt(ctx, prev.ResourceID)
	if err != nil {
		return notices.Receipt{}, false, err
	}
	return r, true, nil
}

// void releases an authorization that will not become a payment and
// returns cause.
func (s *Service) void(ctx context.Context, authID string, cause error) error {
	if err := s.cfg.Provider.Refund(context.WithoutCancel(ctx), authID); err != nil {
		s.cfg.Logger.Error("void failed", "auth", authID, "err", err)
	}
	return cause
}

// requestHash binds an idempotency key to the request it was first used
// for. The parts and their order are those the server used before this
// package existed, so stored records still match their retries.
func requestHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}
