package psp

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/multa/multa/notices"
)

// SandboxName is the sandbox's provider name, shown on receipts and used as
// the PSP identifier in flow ids.
const SandboxName = "SANDBOX"

// Test cards of the sandbox (see the HTTP contract). Any other valid card
// number is approved too, like the sandboxes of real acquirers.
const (
	CardApproved          = "4242424242424242"
	CardDeclined          = "4000000000000002"
	CardInsufficientFunds = "4000000000009995"
)

// Operation names passed to SandboxOptions.Fail. The ".after" names are
// asked after the operation has changed the sandbox's state: an error there
// models a response lost on the way back, the case idempotency keys exist
// for.
const (
	OpTokenize       = "tokenize"
	OpAuthorize      = "authorize"
	OpAuthorizeAfter = "authorize.after"
	OpCapture        = "capture"
	OpCaptureAfter   = "capture.after"
	OpRefund         = "refund"
	OpRefundAfter    = "refund.after"
	OpSettlement     = "settlement"
)

// Status is where an authorization is in its life.
type Status string

// Statuses of an authorization: authorized → captured → refunded, or
// authorized → voided when it is refunded before capture.
const (
	StatusAuthorized Status = "authorized"
	StatusCaptured   Status = "captured"
	StatusVoided     Status = "voided"
	StatusRefunded   Status = "refunded"
)

// CardRequest is what a payer types into the checkout; it goes to the
// provider only, never to the fines API.
type CardRequest struct {
	Number   string `json:"number"`
	ExpMonth int    `json:"expMonth"`
	ExpYear  int    `json:"expYear"`
	CVC      string `json:"cvc"`
	Holder   string `json:"holder,omitempty"`
}

// Token is a tokenized card: an opaque handle plus what may be shown of the
// card. It can be used many times, as it models a remembered card.
type Token struct {
	Token    string `json:"token"`
	Brand    string `json:"brand"`
	Last4    string `json:"last4"`
	ExpMonth int    `json:"expMonth"`
	ExpYear  int    `json:"expYear"`
}

// SandboxOptions configures a Sandbox. Every field may be left zero.
type SandboxOptions struct {
	// Now is the clock for expiry checks and capture days; time.Now when nil.
	Now func() time.Time
	// Rand is the source of token and authorization ids; crypto/rand when
	// nil. Tests pass a seeded reader for reproducible ids.
	Rand io.Reader
	// Fail, when set, is asked before (and, for the ".after" operations,
	// after) each operation with one of the Op names; a non-nil error is
	// returned to the caller as is. Tests use it to simulate an unavailable
	// or flaky provider; see Unavailable.
	Fail func(op string) error
	// Latency delays every Provider call, to simulate a slow provider and
	// test the caller's timeouts; a cancelled context ends the wait with a
	// psp_unavailable error.
	Latency time.Duration
	// Store, when set, keeps the sandbox's tokens and authorizations across
	// restarts: NewSandbox loads them, and every change is written before
	// it becomes visible. See OpenFileStore.
	Store SandboxStore
}

// Sandbox is an in-memory payment provider with test cards. It is safe for
// concurrent use. Card numbers are never kept, only their brand, last four
// digits, expiry and test behaviour.
type Sandbox struct {
	now     func() time.Time
	rand    io.Reader
	fail    func(string) error
	latency time.Duration
	store   SandboxStore

	// mu guards the maps and rand. It is NOT held while a record is
	// written to the store (which fsyncs, for a FileStore): holding it made
	// every payment queue behind every other payment's fsyncs. Instead a
	// change is prepared under mu, its keys are reserved in inflight, the
	// record is written without mu, and mu is taken again to publish it
	// (persist before visible). Whoever needs a reserved key waits for its
	// channel to close, so one authorization's records, and the claim of
	// one idempotency key, still reach the store one at a time and in order.
	mu       sync.Mutex
	tokens   map[string]tokenRecord
	auths    map[string]authRecord
	byKey    map[string]string        // idempotency key → authorization id
	inflight map[string]chan struct{} // reserved key → closed when its write ends
}

var _ Provider = (*Sandbox)(nil)

// behaviour is what the sandbox's issuer does with a card.
type behaviour string

const (
	approve      behaviour = "approve"
	decline      behaviour = "decline"
	insufficient behaviour = "insufficient_funds"
)

// tokenRecord is a stored token; its JSON form is the persisted one.
type tokenRecord struct {
	Brand     string    `json:"brand"`
	Last4     string    `json:"last4"`
	ExpMonth  int       `json:"expMonth"`
	ExpYear   int       `json:"expYear"`
	Behaviour behaviour `json:"behaviour"`
}

// authRecord is a stored authorization; its JSON form is the persisted one.
type authRecord struct {
	ID             string    `json:"id"`
	TransactionID  string    `json:"transactionId"`
	Token          string    `json:"token"`
	AmountCents    int64     `json:"amountCents"`
	Reference      string    `json:"reference"`
	IdempotencyKey string    `json:"idempotencyKey,omitempty"`
	Brand          string    `json:"brand"`
	Last4          string    `json:"last4"`
	Status         Status    `json:"status"`
	AuthorizedAt   time.Time `json:"authorizedAt"`
	CapturedAt     time.Time `json:"capturedAt,omitzero"`
	RefundedAt     time.Time `json:"refundedAt,omitzero"`
}

func (a authRecord) authorization() Authorization {
	return Authorization{ID: a.ID, TransactionID: a.TransactionID, Brand: a.Brand, Last4: a.Last4}
}

// Keys of persisted records: a prefix and the token or authorization id.
const (
	tokenPrefix = "token:"
	authPrefix  = "auth:"
	idemPrefix  = "idem:" // reserved in inflight only, never stored
)

// NewSandbox returns a sandbox provider, loading its earlier state from
// opts.Store when one is given.
func NewSandbox(opts SandboxOptions) (*Sandbox, error) {
	s := &Sandbox{
		now: opts.Now, rand: opts.Rand, fail: opts.Fail, latency: opts.Latency, store: opts.Store,
		tokens: map[string]tokenRecord{},
		auths:  map[string]authRecord{},
		byKey:  map[string]string{},

		inflight: map[string]chan struct{}{},
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.rand == nil {
		s.rand = rand.Reader
	}
	if s.store != nil {
		if err := s.store.Each(s.load); err != nil {
			return nil, &notices.Error{Code: notices.EInternal, Op: "psp.NewSandbox", Err: err}
		}
	}
	return s, nil
}

// load restores one persisted record.
func (s *Sandbox) load(key string, value []byte) error {
	switch {
	case strings.HasPrefix(key, tokenPrefix):
		var t tokenRecord
		if err := json.Unmarshal(value, &t); err != nil {
			return fmt.Errorf("record %q: %w", key, err)
		}
		s.tokens[strings.TrimPrefix(key, tokenPrefix)] = t
	case strings.HasPrefix(key, authPrefix):
		var a authRecord
		if err := json.Unmarshal(value, &a); err != nil {
			return fmt.Errorf("record %q: %w", key, err)
		}
		s.auths[a.ID] = a
		if a.IdempotencyKey != "" {
			s.byKey[a.IdempotencyKey] = a.ID
		}
	default:
		return fmt.Errorf("unknown record %q", key)
	}
	return nil
}

// Unavailable returns the error a provider gives when it cannot serve op;
// tests return it from SandboxOptions.Fail.
func Unavailable(op string) error {
	return &notices.Error{Code: EUnavailable, Op: "psp." + op, Message: "The payment provider is not available; please try again."}
}

// Name returns SandboxName.
func (s *Sandbox) Name() string { return SandboxName }

// Tokenize validates a card and returns a reusable token for it. Errors:
// invalid_card, invalid_expiry, card_expired, invalid_cvc,
// validation_failed (holder too long), psp_unavailable.
func (s *Sandbox) Tokenize(req CardRequest) (Token, error) {
	if err := s.check(OpTokenize); err != nil {
		return Token{}, err
	}
	digits, brand, err := NormalizeCardNumber(req.Number)
	if err != nil {
		return Token{}, err
	}
	year, err := CheckExpiry(req.ExpMonth, req.ExpYear, s.now())
	if err != nil {
		return Token{}, err
	}
	if err := CheckCVC(req.CVC); err != nil {
		return Token{}, err
	}
	if len(req.Holder) > 200 {
		return Token{}, notices.Errorf(notices.EValidation, "the card holder's name is too long")
	}
	rec := tokenRecord{Brand: brand, Last4: digits[len(digits)-4:], ExpMonth: req.ExpMonth, ExpYear: year, Behaviour: approve}
	switch digits {
	case CardDeclined:
		rec.Behaviour = decline
	case CardInsufficientFunds:
		rec.Behaviour = insufficient
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	id, err := s.newID("tok_")
	if err != nil {
		return Token{}, err
	}
	if err := s.persist(rec, func() { s.tokens[id] = rec }, tokenPrefix+id); err != nil {
		return Token{}, err
	}
	return Token{Token: id, Brand: rec.Brand, Last4: rec.Last4, ExpMonth: rec.ExpMonth, ExpYear: rec.ExpYear}, nil
}

// maxAmountCents bounds a single payment (one billion euro) so that no sum
// of a day's payments can overflow int64.
const maxAmountCents = 100_000_000_000

// Authorize reserves an amount on a tokenized card; see Provider. The
// sandbox remembers only successful authorizations under their idempotency
// key: a decline is recomputed on a retry, and a transient failure (Fail,
// Latency) does not poison the key.
func (s *Sandbox) Authorize(ctx context.Context, req AuthorizeRequest) (Authorization, error) {
	const op = "psp.Authorize"
	if err := s.enter(ctx, OpAuthorize); err != nil {
		return Authorization{}, err
	}
	switch {
	case req.Token == "":
		return Authorization{}, &notices.Error{Code: EInvalidToken, Op: op, Message: "a card token is required"}
	case req.AmountCents <= 0 || req.AmountCents > maxAmountCents:
		return Authorization{}, &notices.Error{Code: notices.EValidation, Op: op, Message: "the amount must be positive and at most one billion euro"}
	case req.Reference == "" || len(req.Reference) > 64:
		return Authorization{}, &notices.Error{Code: notices.EValidation, Op: op, Message: "a reference of at most 64 characters is required"}
	case len(req.IdempotencyKey) > 512:
		return Authorization{}, &notices.Error{Code: notices.EValidation, Op: op, Message: "the idempotency key is too long"}
	}
	a, err := s.authorize(req)
	if err != nil {
		return Authorization{}, err
	}
	if err := s.check(OpAuthorizeAfter); err != nil {
		return Authorization{}, err
	}
	return a, nil
}

func (s *Sandbox) authorize(req AuthorizeRequest) (Authorization, error) {
	const op = "psp.Authorize"
	s.mu.Lock()
	defer s.mu.Unlock()
	// A concurrent Authorize with the same key may be writing its record:
	// wait for it, then find its authorization (or, if its write failed,
	// claim the key ourselves). The key stays reserved until we publish.
	idemKey := ""
	if req.IdempotencyKey != "" {
		idemKey = idemPrefix + req.IdempotencyKey
		s.await(idemKey)
	}
	if id, ok := s.byKey[req.IdempotencyKey]; ok && req.IdempotencyKey != "" {
		a := s.auths[id]
		if a.Token != req.Token || a.AmountCents != req.AmountCents || a.Reference != req.Reference {
			return Authorization{}, &notices.Error{Code: notices.EIdempotencyConflict, Op: op,
				Message: "this idempotency key was used for a different authorization"}
		}
		return a.authorization(), nil
	}
	t, ok := s.tokens[req.Token]
	if !ok {
		return Authorization{}, &notices.Error{Code: EInvalidToken, Op: op, Message: "the card token is not known; please enter the card again"}
	}
	now := s.now()
	if _, err := CheckExpiry(t.ExpMonth, t.ExpYear, now); err != nil {
		return Authorization{}, err
	}
	switch t.Behaviour {
	case decline:
		return Authorization{}, &notices.Error{Code: ECardDeclined, Op: op, Message: "The card was declined."}
	case insufficient:
		return Authorization{}, &notices.Error{Code: ECardDeclined, Op: op,
			Message: "The card was declined: insufficient funds.", Err: ErrInsufficientFunds}
	}
	id, err := s.newID("auth_")
	if err != nil {
		return Authorization{}, err
	}
	// "sbx" and 32 hex digits: 35 characters, the most an IUR may have in
	// a settlement flow (stText35), where the transaction id is the IUR.
	tx, err := s.newID("sbx")
	if err != nil {
		return Authorization{}, err
	}
	a := authRecord{
		ID: id, TransactionID: tx, Token: req.Token, AmountCents: req.AmountCents,
		Reference: req.Reference, IdempotencyKey: req.IdempotencyKey,
		Brand: t.Brand, Last4: t.Last4, Status: StatusAuthorized, AuthorizedAt: now,
	}
	keys := []string{authPrefix + id}
	if idemKey != "" {
		keys = append(keys, idemKey)
	}
	err = s.persist(a, func() {
		s.auths[id] = a
		if req.IdempotencyKey != "" {
			s.byKey[req.IdempotencyKey] = id
		}
	}, keys...)
	if err != nil {
		return Authorization{}, err
	}
	return a.authorization(), nil
}

// Capture takes the money of an authorization; see Provider.
func (s *Sandbox) Capture(ctx context.Context, authID string) error {
	if err := s.enter(ctx, OpCapture); err != nil {
		return err
	}
	err := s.transition(authID, "psp.Capture", func(a *authRecord, now time.Time) (bool, error) {
		switch a.Status {
		case StatusCaptured:
			return false, nil
		case StatusAuthorized:
			a.Status, a.CapturedAt = StatusCaptured, now
			return true, nil
		}
		return false, notices.Errorf(notices.EInvalidTransition, "a %s authorization cannot be captured", a.Status)
	})
	if err != nil {
		return err
	}
	return s.check(OpCaptureAfter)
}

// Refund voids or refunds an authorization; see Provider.
func (s *Sandbox) Refund(ctx context.Context, authID string) error {
	if err := s.enter(ctx, OpRefund); err != nil {
		return err
	}
	err := s.transition(authID, "psp.Refund", func(a *authRecord, now time.Time) (bool, error) {
		switch a.Status {
		case StatusAuthorized:
			a.Status, a.RefundedAt = StatusVoided, now
			return true, nil
		case StatusCaptured:
			a.Status, a.RefundedAt = StatusRefunded, now
			return true, nil
		}
		return false, nil // already voided or refunded
	})
	if err != nil {
		return err
	}
	return s.check(OpRefundAfter)
}

// transition applies change to a copy of an authorization and, when it
// reports a change, persists the copy before making it visible. It first
// waits for a write of the same authorization in flight, so that it
// changes the latest state and its record lands after that one.
func (s *Sandbox) transition(authID, op string, change func(*authRecord, time.Time) (bool, error)) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.await(authPrefix + authID)
	a, ok := s.auths[authID]
	if !ok {
		return &notices.Error{Code: notices.ENotFound, Op: op, Message: "no such authorization"}
	}
	changed, err := change(&a, s.now())
	if err != nil {
		if e, ok := err.(*notices.Error); ok {
			e.Op = op
		}
		return err
	}
	if !changed {
		return nil
	}
	return s.persist(a, func() { s.auths[a.ID] = a }, authPrefix+a.ID)
}

// Status returns the state of an authorization, so tests can check that the
// server voided or refunded what it had to. Errors: not_found.
func (s *Sandbox) Status(authID string) (Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, ok := s.auths[authID]
	if !ok {
		return "", &notices.Error{Code: notices.ENotFound, Op: "psp.Status", Message: "no such authorization"}
	}
	return a.Status, nil
}

// Settlement returns the flow of the payments captured on day (Rome); see
// Provider. The sandbox settles once a day, so there is one flow per day,
// with id "<YYYY-MM-DD>SANDBOX-0001" in the style of pagoPA flow ids,
// regulated (transferred) on the next weekday by a credit transfer whose
// reference is "SANDBOX-<YYYYMMDD>". A payment refunded after capture
// stays in its capture day's flow with outcome 3 (revoked) and does not
// count in the total; a voided one never appears. The flow's time
// (dataOraFlusso) is that of the latest capture or refund it reports, so
// the same state always gives the same flow, and a refund after
// publication gives a later revision, as a PSP would publish one. Lines
// are ordered by capture time, then transaction id. The IUR of a line is
// the transaction id, which Multa's receipts show.
func (s *Sandbox) Settlement(ctx context.Context, day notices.Date, creditor notices.Creditor) (notices.SettlementFlow, error) {
	const op = "psp.Settlement"
	if err := s.enter(ctx, OpSettlement); err != nil {
		return notices.SettlementFlow{}, err
	}
	if day.IsZero() {
		return notices.SettlementFlow{}, &notices.Error{Code: notices.EValidation, Op: op, Message: "a settlement day is required"}
	}
	compact := strings.ReplaceAll(day.String(), "-", "")
	f := notices.SettlementFlow{ID: day.String() + SandboxName + "-0001", RegulationID: SandboxName + "-" + compact,
		RegulationDate: nextWeekday(day), PSP: SandboxName, PSPName: "Multa sandbox PSP", Creditor: creditor.FiscalCode,
		CreditorName: creditor.Name}
	type line struct {
		notices.SettlementLine
		at time.Time
		tx string
	}
	var lines []line
	s.mu.Lock()
	for _, a := range s.auths {
		if a.CapturedAt.IsZero() || notices.DateOf(a.CapturedAt) != day {
			continue
		}
		l := line{SettlementLine: notices.SettlementLine{IUV: iuv(a.Reference), IUR: a.TransactionID, TransferIndex: 1,
			AmountCents: a.AmountCents, Outcome: notices.OutcomeExecuted, Date: day}, at: a.CapturedAt, tx: a.TransactionID}
		if f.FlowTime.Before(a.CapturedAt) {
			f.FlowTime = a.CapturedAt
		}
		if a.Status == StatusRefunded {
			l.Outcome = notices.OutcomeRevoked
			if f.FlowTime.Before(a.RefundedAt) {
				f.FlowTime = a.RefundedAt
			}
		}
		lines = append(lines, l)
	}
	s.mu.Unlock()
	if len(lines) == 0 {
		return notices.SettlementFlow{}, &notices.Error{Code: notices.ENotFound, Op: op, Message: fmt.Sprintf("the sandbox captured no payment on %s", day)}
	}
	slices.SortFunc(lines, func(a, b line) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.tx, b.tx)
	})
	f.Lines = make([]notices.SettlementLine, len(lines))
	for i, l := range lines {
		f.Lines[i] = l.SettlementLine
	}
	f.FlowTime = f.FlowTime.In(notices.Rome).Truncate(time.Millisecond)
	f.DeclaredCount, f.DeclaredCents = len(f.Lines), f.PaidCents()
	return f, nil
}

// nextWeekday is the sandbox's bank transfer day for payments of day: the
// next Monday to Friday (it knows no holidays).
func nextWeekday(day notices.Date) notices.Date {
	d := day.AddDays(1)
	for d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
		d = d.AddDays(1)
	}
	return d
}

// iuv returns the IUV of a NAV reference, or the reference itself when it
// is not a NAV, so that a foreign reference still shows up in the flow.
func iuv(ref string) string {
	if n, err := notices.ParseNAV(ref); err == nil {
		return n.IUV()
	}
	return ref
}

// enter runs the checks common to every Provider call: a live context, the
// simulated latency and the injected failure.
func (s *Sandbox) enter(ctx context.Context, op string) error {
	if err := ctx.Err(); err != nil {
		return &notices.Error{Code: EUnavailable, Op: "psp." + op, Message: "The payment provider did not answer in time.", Err: err}
	}
	if s.latency > 0 {
		t := time.NewTimer(s.latency)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return &notices.Error{Code: EUnavailable, Op: "psp." + op, Message: "The payment provider did not answer in time.", Err: ctx.Err()}
		}
	}
	return s.check(op)
}

// check asks the injected Fail hook, if any.
func (s *Sandbox) check(op string) error {
	if s.fail == nil {
		return nil
	}
	return s.fail(op)
}

// newID returns prefix plus 128 random bits in hex: unguessable, so that
// nobody can capture or refund another payer's authorization. Call with
// s.mu held, as the injected Rand need not be safe for concurrent use.
func (s *Sandbox) newID(prefix string) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(s.rand, b[:]); err != nil {
		return "", &notices.Error{Code: notices.EInternal, Op: "psp.newID", Err: err}
	}
	if prefix == "tok_" {
		return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
	}
	return prefix + hex.EncodeToString(b[:]), nil
}

// await returns once no write of key is in flight. Called with s.mu held,
// which it releases while waiting; it returns with s.mu held and the key
// free, so the caller may reserve it before releasing s.mu again.
func (s *Sandbox) await(key string) {
	for {
		ch, ok := s.inflight[key]
		if !ok {
			return
		}
		s.mu.Unlock()
		<-ch
		s.mu.Lock()
	}
}

// persist writes v to the store under keys[0] and, once it is durable,
// runs publish to make the change visible. Called with s.mu held and
// every key free (see await); it reserves the keys, releases s.mu during
// the write so that other payments proceed (and share the store's fsync),
// and returns with s.mu held. Without a store, publish runs at once.
func (s *Sandbox) persist(v any, publish func(), keys ...string) error {
	if s.store == nil {
		publish()
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return &notices.Error{Code: notices.EInternal, Op: "psp.put", Err: err}
	}
	done := make(chan struct{})
	for _, k := range keys {
		s.inflight[k] = done
	}
	s.mu.Unlock()
	err = s.store.Put(keys[0], b)
	s.mu.Lock()
	for _, k := range keys {
		delete(s.inflight, k)
	}
	close(done)
	if err != nil {
		return &notices.Error{Code: EUnavailable, Op: "psp.put", Message: "The payment provider is not available; please try again.", Err: err}
	}
	publish()
	return nil
}
