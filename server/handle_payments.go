package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/mail"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
)

// paymentRequest is what the app sends to pay: the amount it showed the
// payer and the provider's card token. The server charges its own amount.
type paymentRequest struct {
	AmountCents *int64 `json:"amountCents"`
	Token       string `json:"token"`
	Email       string `json:"email,omitempty"`
}

func (r *paymentRequest) validate() error {
	var errs []notices.FieldError
	if r.AmountCents == nil || *r.AmountCents <= 0 {
		errs = append(errs, notices.FieldError{Field: "amountCents", Message: "the amount shown to the payer, in cents, is required"})
	}
	if r.Token == "" || len(r.Token) > 200 {
		errs = append(errs, notices.FieldError{Field: "token", Message: "a payment token from the provider is required"})
	}
	if r.Email != "" {
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email || len(r.Email) > 254 {
			errs = append(errs, notices.FieldError{Field: "email", Message: "not a valid e-mail address"})
		}
	}
	if len(errs) > 0 {
		return &notices.ValidationError{Fields: errs}
	}
	return nil
}

// idempotencyKey reads and checks the Idempotency-Key header.
func idempotencyKey(c *fiber.Ctx, required bool) (string, error) {
	k := c.Get("Idempotency-Key")
	if k == "" && !required {
		return "", nil
	}
	if len(k) < 8 || len(k) > 128 {
		return "", errStatus(fiber.StatusBadRequest, codeInvalidIdempotencyKey, "An Idempotency-Key header of 8 to 128 characters is required.")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return "", errStatus(fiber.StatusBadRequest, codeInvalidIdempotencyKey, "The Idempotency-Key must be printable ASCII.")
		}
	}
	return strings.Clone(k), nil
}

func requestHash(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// pay takes a payment exactly once. The order matters: replay first, then
// the state and amount checks, then the card, then one transaction that
// writes payment, receipt, state and idempotent answer together. Only
// after that commit is the card captured; a lost race voids it.
func (s *Server) pay(c *fiber.Ctx) error {
	nav, err := notices.ParseNAV(c.Params("nav"))
	if err != nil {
		return err
	}
	key, err := idempotencyKey(c, true)
	if err != nil {
		return err
	}
	var req paymentRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	if err := req.validate(); err != nil {
		return err
	}
	ctx := c.UserContext()
	f, err := s.cfg.Store.FineByNAV(ctx, nav)
	if err != nil {
		return err
	}
	unlock := s.locks.lock(f.ID)
	defer unlock()

	scope := "payment:" + f.ID
	hash := requestHash(string(nav), jsonInt(*req.AmountCents), req.Token, req.Email)
	if prev, err := s.cfg.Store.Idempotency(ctx, scope, key); err != nil {
		return err
	} else if prev != nil {
		return s.replay(c, prev, hash)
	}
	if f, err = s.cfg.Store.Fine(ctx, f.ID); err != nil { // fresh, under the lock
		return err
	}
	if err := f.Payable(); err != nil {
		return s.notPayable(c, &f, err)
	}
	now := s.now()
	due := s.cfg.Settings.Calendar.Due(&f, notices.DateOf(now))
	if *req.AmountCents != due.Cents {
		return &coded{status: fiber.StatusConflict, code: notices.EAmountChanged,
			msg:   "The amount due has changed since the notice was shown; confirm the new amount.",
			extra: map[string]any{"amountDue": due}}
	}
	auth, err := s.cfg.Provider.Authorize(ctx, psp.AuthorizeRequest{
		Token: req.Token, AmountCents: due.Cents, Reference: string(nav), IdempotencyKey: scope + ":" + key,
	})
	if err != nil {
		return err
	}
	rid, err := notices.NewID(s.cfg.Rand)
	if err != nil {
		return s.void(c, auth.ID, err)
	}
	rcpt := notices.Receipt{
		ID: rid, NAV: nav, FineID: f.ID, ReportNumber: f.ReportNumber, Creditor: s.cfg.Settings.Creditor,
		AmountCents: due.Cents, SanctionCents: due.SanctionCents, FeesCents: due.FeesCents, Stage: due.Stage,
		PaidAt: now, PSP: notices.PSPRef{Name: s.cfg.Provider.Name(), TransactionID: auth.TransactionID},
		Method: notices.CardMethod{Brand: auth.Brand, Last4: auth.Last4}, Email: req.Email,
	}
	body, err := json.Marshal(rcpt)
	if err != nil {
		return s.void(c, auth.ID, err)
	}
	saved, err := s.cfg.Store.RecordPayment(ctx, notices.PaymentRecord{
		FineID: f.ID, Receipt: rcpt,
		Idempotency: &notices.Idempotent{Scope: scope, Key: key, RequestHash: hash, Status: fiber.StatusCreated, Body: body, CreatedAt: now},
	})
	if err != nil {
		_ = s.cfg.Provider.Refund(ctx, auth.ID)
		if code := notices.ErrorCode(err); code == notices.EAlreadyPaid {
			return alreadyPaid(saved.ID)
		}
		return err
	}
	if err := s.cfg.Provider.Capture(ctx, auth.ID); err != nil {
		// The receipt stands: the payer was authorised and the fine is
		// settled. Reconciliation reports the missing settlement line.
		s.log.Error("capture failed after receipt", "receipt", rid, "auth", auth.ID, "err", err)
	}
	s.metrics.paid(rcpt)
	c.Set(fiber.HeaderLocation, "/api/v1/receipts/"+rid)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).Type("json").Send(body)
}

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }

// replay answers a retried request with the stored first answer, or
// refuses a different request that reuses the key.
func (s *Server) replay(c *fiber.Ctx, prev *notices.Idempotent, hash string) error {
	if prev.RequestHash != hash {
		return notices.Errorf(notices.EIdempotencyConflict, "this Idempotency-Key was used for a different request")
	}
	c.Set("Idempotent-Replayed", "true")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(prev.Status).Type("json").Send(prev.Body)
}

func (s *Server) notPayable(c *fiber.Ctx, f *notices.Fine, err error) error {
	if notices.ErrorCode(err) == notices.EAlreadyPaid {
		return alreadyPaid(f.ReceiptID)
	}
	return err
}

func alreadyPaid(receiptID string) error {
	return &coded{status: fiber.StatusConflict, code: notices.EAlreadyPaid,
		msg: "This fine is already paid.", extra: map[string]any{"receiptId": receiptID}}
}

// void releases an authorisation that will not become a payment.
func (s *Server) void(c *fiber.Ctx, authID string, cause error) error {
	if err := s.cfg.Provider.Refund(c.UserContext(), authID); err != nil {
		s.log.Error("void failed", "auth", authID, "err", err)
	}
	return cause
}
