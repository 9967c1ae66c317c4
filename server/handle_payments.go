package server

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/payment"
)

// paymentRequest is what the app sends to pay: the amount it showed the
// payer and the provider's card token. The server charges its own amount;
// the payment use case checks the fields.
type paymentRequest struct {
	AmountCents int64  `json:"amountCents"`
	Token       string `json:"token"`
	Email       string `json:"email,omitempty"`
}

// idempotencyKey reads and checks the Idempotency-Key header.
func idempotencyKey(c *fiber.Ctx, required bool) (string, error) {
	k := c.Get("Idempotency-Key")
	if k == "" && !required {
		return "", nil
	}
	if len(k) < 8 || len(k) > 128 {
		return "", errCode(codeInvalidIdempotencyKey, "An Idempotency-Key header of 8 to 128 characters is required.")
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return "", errCode(codeInvalidIdempotencyKey, "The Idempotency-Key must be printable ASCII.")
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

// pay takes a card payment exactly once through the payment use case; a
// retry with the same Idempotency-Key gets the first receipt again, marked
// Idempotent-Replayed.
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
	r, replayed, err := s.payments.PayByCard(c.UserContext(), payment.CardPayment{
		NAV: nav, AmountCents: req.AmountCents, Token: req.Token, Email: req.Email, IdempotencyKey: key,
	})
	if notices.ErrorCode(err) == notices.EAlreadyPaid && !s.staffCaller(c) {
		// The use case names the receipt that settled the fine; a
		// stranger paying the same notice must not learn it (it opens the
		// payer's receipt). A retry with the payer's own key replays the
		// receipt instead.
		return errCode(notices.EAlreadyPaid, "This notice is already paid; the receipt is with whoever paid it.")
	}
	if err != nil {
		return err
	}
	if replayed {
		c.Set("Idempotent-Replayed", "true")
	} else {
		s.metrics.paid(r)
	}
	c.Set(fiber.HeaderLocation, "/api/v1/receipts/"+r.ID)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Status(fiber.StatusCreated).JSON(r)
}
