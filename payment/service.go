package payment

import (
	"context"
	"crypto/rand"
	"io"
	"log/slog"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
)

// Config wires the use cases to their ports. Store and Settings are
// required; Provider is needed by PayByCard only; the rest default to the
// system clock, crypto/rand and slog.Default.
type Config struct {
	Store    notices.FineStore // a whole notices.Store will do
	Provider psp.Provider
	Settings notices.Settings
	Now      func() time.Time
	Rand     io.Reader
	Logger   *slog.Logger
	// CaptureInBackground lets a card payment answer once its receipt is
	// committed, capturing the authorization on another goroutine: the
	// provider's durable write then leaves the payer's wait (one of three
	// in a row). It changes no outcome a crash can leave: a crash after
	// the commit and before the capture is durable leaves a receipt with
	// an uncaptured authorization whether or not the answer went out, and
	// a capture failure already leaves the receipt standing. Whoever reads
	// what captures change calls WaitCaptures first, and the process calls
	// it before closing the provider.
	CaptureInBackground bool
}

// Service runs the payment use cases. It is safe for concurrent use; one
// Service per process, so that its per-fine locks see every payer.
type Service struct {
	cfg      Config
	locks    fineLocks
	captures pendingCaptures
}

// New returns a Service with cfg's defaults filled in.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.Reader
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Service{cfg: cfg}
}

func (s *Service) now() time.Time { return s.cfg.Now().In(notices.Rome) }

// Quote returns the fine behind a NAV and what is due for it on the given
// day (the station's verify and activate, the app's verify). It answers
// for a paid or cancelled fine too: the caller decides what to say about
// those with Fine.Payable. Errors: ENoticeNotFound.
func (s *Service) Quote(ctx context.Context, nav notices.NAV, day notices.Date) (notices.Fine, notices.AmountDue, error) {
	f, err := s.cfg.Store.FineByNAV(ctx, nav)
	if err != nil {
		return notices.Fine{}, notices.AmountDue{}, err
	}
	return f, s.cfg.Settings.Calendar.Due(&f, day), nil
}

// AlreadyPaid is the EAlreadyPaid error naming the receipt that settled
// the fine, so a client can show it.
func AlreadyPaid(receiptID string) error {
	return &notices.Error{Code: notices.EAlreadyPaid, Message: "This fine is already paid.",
		Details: map[string]any{"receiptId": receiptID}}
}

// AmountChanged is the EAmountChanged error carrying what is due now, so
// the payer can confirm the new amount.
func AmountChanged(due notices.AmountDue) error {
	return &notices.Error{Code: notices.EAmountChanged,
		Message: "The amount due has changed since the notice was shown; confirm the new amount.",
		Details: map[string]any{"amountDue": due}}
}
