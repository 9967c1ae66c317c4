// Package psp is the payment-provider port of Multa and its built-in
// sandbox.
//
// The fines API never sees card numbers: a payer's card becomes an opaque
// token at the provider, the server authorizes and captures that token for
// the amount due, and the provider later reports what it settled in a
// daily flow that the finance office reconciles against receipts. Provider
// is that contract; Sandbox is an in-memory implementation with test cards,
// used by the demo, by the end-to-end tests and by load tests, and a real
// acquirer is another adapter of the same interface.
//
// Errors are *notices.Error values with the stable codes below, so the HTTP
// adapter maps them to statuses in its one place.
package psp

import (
	"context"
	"errors"

	"github.com/multa/multa/notices"
)

// Error codes of the provider. They are part of the public API (clients
// branch on them), so never rename them. Suggested HTTP statuses, for the
// server's single mapping: invalid_card, invalid_expiry, card_expired,
// invalid_cvc and invalid_token 422; card_declined 402; psp_unavailable 502.
// The provider also returns notices.ENotFound (404),
// notices.EInvalidTransition (409), notices.EIdempotencyConflict (422) and
// notices.EValidation (422).
const (
	// EInvalidCard: the number fails Luhn, has the wrong length, or belongs
	// to a circuit the provider does not accept.
	EInvalidCard = "invalid_card"
	// EInvalidExpiry: the month is not 1–12, or the year is implausible.
	EInvalidExpiry = "invalid_expiry"
	// ECardExpired: the card's last valid month is before the current one.
	ECardExpired = "card_expired"
	// EInvalidCVC: the security code is not 3 or 4 digits.
	EInvalidCVC = "invalid_cvc"
	// ECardDeclined: the issuer refused the authorization. The error wraps
	// ErrInsufficientFunds when that is the reason.
	ECardDeclined = "card_declined"
	// EInvalidToken: the token is unknown to this provider.
	EInvalidToken = "invalid_token"
	// EUnavailable: the provider could not be reached or failed; the
	// caller may retry with the same idempotency key.
	EUnavailable = "psp_unavailable"
)

// ErrInsufficientFunds is wrapped by a card_declined error whose cause is a
// lack of funds, so callers can tell the payer something more useful
// without parsing messages: errors.Is(err, psp.ErrInsufficientFunds).
var ErrInsufficientFunds = errors.New("insufficient funds")

// AuthorizeRequest asks the provider to reserve an amount on a tokenized
// card.
type AuthorizeRequest struct {
	Token       string // from the provider's tokenization, never a card number
	AmountCents int64  // > 0
	Reference   string // the NAV being paid; its IUV appears in settlement lines
	// IdempotencyKey makes retries safe: the same key and request return the
	// same authorization instead of charging twice. The key is global to
	// the provider, so callers scope it (e.g. "payment:<nav>:<client key>").
	// Empty means no idempotency.
	IdempotencyKey string
}

// Authorization is a successful authorization. ID is what Capture and Refund
// take; TransactionID is what the receipt and the settlement flow show.
type Authorization struct {
	ID            string
	TransactionID string
	Brand         string
	Last4         string
}

// Provider is the port the server charges cards through.
type Provider interface {
	// Name identifies the provider on receipts and in flows.
	Name() string
	// Authorize reserves req.AmountCents on the card behind req.Token.
	// Errors: invalid_token, card_expired, card_declined,
	// idempotency_conflict (same key, different request), validation_failed,
	// psp_unavailable.
	Authorize(ctx context.Context, req AuthorizeRequest) (Authorization, error)
	// Capture takes the reserved money; capturing twice is a no-op.
	// Errors: not_found, invalid_transition (already voided or refunded).
	Capture(ctx context.Context, authID string) error
	// Refund voids an authorization that was not captured, or refunds one
	// that was; doing it twice is a no-op. Errors: not_found.
	Refund(ctx context.Context, authID string) error
	// Settlement returns the provider's settlement flow (pagoPA's
	// FlussoRiversamento, in the domain's model) of the payments captured
	// on day (Rome), addressed to creditor. Errors: not_found when nothing
	// was captured that day (a flow has at least one payment),
	// validation_failed, psp_unavailable.
	Settlement(ctx context.Context, day notices.Date, creditor notices.Creditor) (notices.SettlementFlow, error)
}
