package psp_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/psp"
)

// rome builds an instant from Rome wall-clock time.
var rome = testkit.Rome

func newSandbox(t *testing.T, opts psp.SandboxOptions) (*psp.Sandbox, *testkit.Clock) {
	t.Helper()
	c := testkit.NewClock(rome(2026, 11, 25, 10, 0))
	if opts.Now == nil {
		opts.Now = c.Now
	}
	if opts.Rand == nil {
		opts.Rand = rand.NewChaCha8([32]byte{1})
	}
	s, err := psp.NewSandbox(opts)
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

func tokenize(t *testing.T, s *psp.Sandbox, number string) psp.Token {
	t.Helper()
	tok, err := s.Tokenize(psp.CardRequest{Number: number, ExpMonth: 12, ExpYear: 2030, CVC: "123", Holder: "Mario Rossi"})
	if err != nil {
		t.Fatalf("Tokenize(%s): %v", number, err)
	}
	return tok
}

const nav = "302032002700000251"

func TestTestCards(t *testing.T) {
	s, _ := newSandbox(t, psp.SandboxOptions{})
	ctx := context.Background()
	tests := []struct {
		number       string
		code         string
		insufficient bool
	}{
		{psp.CardApproved, "", false},
		{"5555555555554444", "", false}, // any other valid card approves
		{psp.CardDeclined, psp.ECardDeclined, false},
		{psp.CardInsufficientFunds, psp.ECardDeclined, true},
	}
	for _, tt := range tests {
		tok := tokenize(t, s, tt.number)
		if tok.Last4 != tt.number[len(tt.number)-4:] || tok.ExpMonth != 12 || tok.ExpYear != 2030 {
			t.Errorf("%s: token = %+v", tt.number, tok)
		}
		if strings.Contains(tok.Token, tt.number) || strings.Contains(tok.Token, tt.number[:6]) {
			t.Errorf("%s: token %q reveals the card number", tt.number, tok.Token)
		}
		a, err := s.Authorize(ctx, psp.AuthorizeRequest{Token: tok.Token, AmountCents: 4200, Reference: nav})
		if got := notices.ErrorCode(err); got != tt.code {
			t.Errorf("%s: Authorize error = %v, want code %q", tt.number, err, tt.code)
			continue
		}
		if got := errors.Is(err, psp.ErrInsufficientFunds); got != tt.insufficient {
			t.Errorf("%s: errors.Is(err, ErrInsufficientFunds) = %v, want %v", tt.number, got, tt.insufficient)
		}
		if tt.insufficient && !strings.Contains(notices.ErrorMessage(err), "insufficient funds") {
			t.Errorf("%s: message %q does not say insufficient funds", tt.number, notices.ErrorMessage(err))
		}
		if tt.code == "" && (a.ID == "" || a.TransactionID == "" || a.Brand != tok.Brand || a.Last4 != tok.Last4) {
			t.Errorf("%s: authorization = %+v", tt.number, a)
		}
	}
}

func TestTokenizeErrors(t *testing.T) {
	s, _ := newSandbox(t, psp.SandboxOptions{})
	good := psp.CardRequest{Number: psp.CardApproved, ExpMonth: 12, ExpYear: 2030, CVC: "123"}
	tests := []struct {
		name   string
		change func(*psp.CardRequest)
		code   string
	}{
		{"luhn", func(r *psp.CardRequest) { r.Number = "4242424242424241" }, psp.EInvalidCard},
		{"short", func(r *psp.CardRequest) { r.Number = "4242" }, psp.EInvalidCard},
		{"expired", func(r *psp.CardRequest) { r.ExpMonth, r.ExpYear = 10, 2026 }, psp.ECardExpired},
		{"month", func(r *psp.CardRequest) { r.ExpMonth = 13 }, psp.EInvalidExpiry},
		{"cvc", func(r *psp.CardRequest) { r.CVC = "12" }, psp.EInvalidCVC},
		{"holder", func(r *psp.CardRequest) { r.Holder = strings.Repeat("x", 201) }, notices.EValidation},
		{"this month", func(r *psp.CardRequest) { r.ExpMonth, r.ExpYear = 11, 2026 }, ""},
	}
	for _, tt := range tests {
		req := good
		tt.change(&req)
		_, err := s.Tokenize(req)
		if got := notices.ErrorCode(err); got != tt.code {
			t.Errorf("%s: error = %v, want code %q", tt.name, err, tt.code)
		}
	}
}

// Tokens are random and reusable: the same card twice gives two tokens,
// each usable for many payments.
func TestTokensRandomAndReusable(t *testing.T) {
	s, _ := newSandbox(t, psp.SandboxOptions{Rand: nil})
	a, b := tokenize(t, s, psp.CardApproved), tokenize(t, s, psp.CardApproved)
	if a.Token == b.Token {
		t.Fatalf("two tokenizations gave the same token %q", a.Token)
	}
	for i := range 3 {
		if _, err := s.Authorize(context.Background(), psp.AuthorizeRequest{Token: a.Token, AmountCents: 100, Reference: nav}); err != nil {
			t.Fatalf("payment %d with a reused token: %v", i, err)
		}
	}
}

func TestAuthorizeErrors(t *testing.T) {
	s, c := newSandbox(t, psp.SandboxOptions{})
	ctx := context.Background()
	tok := tokenize(t, s, psp.CardApproved)
	tests := []struct {
		name string
		req  psp.AuthorizeRequest
		code string
	}{
		{"unknown token", psp.AuthorizeRequest{Token: "tok_nope", AmountCents: 100, Reference: nav}, psp.EInvalidToken},
		{"no token", psp.AuthorizeRequest{AmountCents: 100, Reference: nav}, psp.EInvalidToken},
		{"zero amount", psp.AuthorizeRequest{Token: tok.Token, Reference: nav}, notices.EValidation},
		{"negative amount", psp.AuthorizeRequest{Token: tok.Token, AmountCents: -1, Reference: nav}, notices.EValidation},
		{"no reference", psp.AuthorizeRequest{Token: tok.Token, AmountCents: 100}, notices.EValidation},
	}
	for _, tt := range tests {
		if _, err := s.Authorize(ctx, tt.req); notices.ErrorCode(err) != tt.code {
			t.Errorf("%s: error = %v, want code %q", tt.name, err, tt.code)
		}
	}
	// A remembered card that has expired since it was tokenized.
	c.Set(rome(2031, 1, 1, 0, 30))
	if _, err := s.Authorize(ctx, psp.AuthorizeRequest{Token: tok.Token, AmountCents: 100, Reference: nav}); notices.ErrorCode(err) != psp.ECardExpired {
		t.Errorf("expired remembered card: error = %v, want card_expired", err)
	}
}

func TestAuthorizeIdempotent(t *testing.T) {
	s, _ := newSandbox(t, psp.SandboxOptions{})
	ctx := context.Background()
	tok := tokenize(t, s, psp.CardApproved)
	req := psp.AuthorizeRequest{Token: tok.Token, AmountCents: 4200, Reference: nav, IdempotencyKey: "payment:k1"}
	first, err := s.Authorize(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Authorize(ctx, req)
	if err != nil || again != first {
		t.Errorf("replay = %+v, %v, want %+v", again, err, first)
	}
	// Even after capture, the same key answers the same authorization.
	if err := s.Capture(ctx, first.ID); err != nil {
		t.Fatal(err)
	}
	if again, err := s.Authorize(ctx, req); err != nil || again != first {
		t.Errorf("replay after capture = %+v, %v, want %+v", again, err, first)
	}
	other := req
	other.AmountCents = 4300
	if _, err := s.Authorize(ctx, other); notices.ErrorCode(err) != notices.EIdempotencyConflict {
		t.Errorf("same key, other amount: error = %v, want idempotency_conflict", err)
	}
	other = req
	other.IdempotencyKey = "payment:k2"
	if second, err := s.Authorize(ctx, other); err != nil || second.ID == first.ID || second.TransactionID == first.TransactionID {
		t.Errorf("another key = %+v, %v; want a new authorization", second, err)
	}
	// Without a key, every call is a new authorization.
	other.IdempotencyKey = ""
	x, _ := s.Authorize(ctx, other)
	y, _ := s.Authorize(ctx, other)
	if x.ID == y.ID {
		t.Errorf("two calls without a key gave the same authorization %q", x.ID)
	}
}

// Concurrent callers with one key get one authorization; with distinct keys
// distinct ones. Run with -race.
func TestAuthorizeConcurrent(t *testing.T) {
	s, _ := newSandbox(t, psp.SandboxOptions{Rand: nil})
	authorizeConcurrently(t, s)
}

// authorizeConcurrently has 40 goroutines authorize and capture, half of
// them with one shared idempotency key, and checks that the shared key
// gave one authorization. It returns the distinct authorization ids.
func authorizeConcurrently(t *testing.T, s *psp.Sandbox) map[string]bool {
	t.Helper()
	ctx := context.Background()
	tok := tokenize(t, s, psp.CardApproved)
	const n = 40
	ids := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			key := "shared"
			if i%2 == 1 {
				key = fmt.Sprintf("own-%d", i)
			}
			a, err := s.Authorize(ctx, psp.AuthorizeRequest{Token: tok.Token, AmountCents: 4200, Reference: nav, IdempotencyKey: key})
			ids[i], errs[i] = a.ID, err
			if err == nil {
				errs[i] = s.Capture(ctx, a.ID)
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("call %d: %v", i, errs[i])
		}
		if i%2 == 0 && ids[i] != ids[0] {
			t.Errorf("call %d with the shared key got %s, want %s", i, ids[i], ids[0])
		}
		seen[ids[i]] = true
	}
	if want := n/2 + 1; len(seen) != want {
		t.Errorf("got %d distinct authorizations, want %d", len(seen), want)
	}
	f, err := s.Settlement(ctx, notices.Date{Year: 2026, Month: 11, Day: 25}, notices.Creditor{FiscalCode: "01199250158"})
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Lines) != n/2+1 || f.DeclaredCents != int64(n/2+1)*4200 {
		t.Errorf("flow has %d lines, total %d; want %d lines, total %d", len(f.Lines), f.DeclaredCents, n/2+1, (n/2+1)*4200)
	}
	return seen
}

func TestCaptureRefundTransitions(t *testing.T) {
	ctx := context.Background()
	type step struct {
		op     string // "capture" or "refund"
		code   string
		status psp.Status
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"capture", []step{{"capture", "", psp.StatusCaptured}, {"capture", "", psp.StatusCaptured}}},
		{"void", []step{{"refund", "", psp.StatusVoided}, {"refund", "", psp.StatusVoided}, {"capture", notices.EInvalidTransition, psp.StatusVoided}}},
		{"refund", []step{{"capture", "", psp.StatusCaptured}, {"refund", "", psp.StatusRefunded}, {"refund", "", psp.StatusRefunded}, {"capture", notices.EInvalidTransition, psp.StatusRefunded}}},
	}
	for _, tt := range tests {
		s, _ := newSandbox(t, psp.SandboxOptions{})
		tok := tokenize(t, s, psp.CardApproved)
		a, err := s.Authorize(ctx, psp.AuthorizeRequest{Token: tok.Token, AmountCents: 100, Reference: nav})
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := s.Status(a.ID); st != psp.StatusAuthorized {
			t.Fatalf("%s: new authorization is %s", tt.name, st)
		}
		for i, st := range tt.steps {
			var err error
			if st.op == "capture" {
				err = s.Capture(ctx, a.ID)
			} else {
				err = s.Refund(ctx, a.ID)
			}
			if got := notices.ErrorCode(err); got != st.code {
				t.Errorf("%s step %d (%s): error = %v, want code %q", tt.name, i, st.op, err, st.code)
			}
			if got, _ := s.Status(a.ID); got != st.status {
				t.Errorf("%s step %d (%s): status = %s, want %s", tt.name, i, st.op, got, st.status)
			}
		}
	}
	s, _ := newSandbox(t, psp.SandboxOptions{})
	for name, err := range map[string]error{
		"capture": s.Capture(ctx, "auth_nope"),
		"refund":  s.Refund(ctx, "auth_nope"),
	} {
		if notices.ErrorCode(err) != notices.ENotFound {
			t.Errorf("%s of an unknown authorization: %v, want not_found", name, err)
		}
	}
	if _, err := s.Status("auth_nope"); notices.ErrorCode(err) != notices.ENotFound {
		t.Errorf("Status of an unknown authorization: %v, want not_found", err)
	}
}

func TestSettlement(t *testing.T) {
	s, c := newSandbox(t, psp.SandboxOptions{})
	ctx := context.Background()
	tok := tokenize(t, s, psp.CardApproved)
	pay := func(ref string, cents int64, at time.Time, capture bool) psp.Authorization {
		t.Helper()
		c.Set(at)
		a, err := s.Authorize(ctx, psp.AuthorizeRequest{Token: tok.Token, AmountCents: cents, Reference: ref})
		if err != nil {
			t.Fatal(err)
		}
		if capture {
			if err := s.Capture(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		return a
	}
	const nav2 = "301000000000000144"
	// 24 November, 23:59 in Rome: the day before.
	before := pay(nav, 1000, rome(2026, 11, 24, 23, 59), true)
	// 25 November: 00:10 Rome is still 24 November in UTC.
	early := pay(nav, 4200, rome(2026, 11, 25, 0, 10), true)
	late := pay(nav2, 17300, rome(2026, 11, 25, 23, 50), true)
	refunded := pay(nav, 8700, rome(2026, 11, 25, 12, 0), true)
	voided := pay(nav, 500, rome(2026, 11, 25, 12, 30), false)
	uncaptured := pay(nav, 600, rome(2026, 11, 25, 13, 0), false)
	c.Set(rome(2026, 11, 26, 9, 0)) // refunded the next day: still in the 25th's flow, revoked
	if err := s.Refund(ctx, refunded.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.Refund(ctx, voided.ID); err != nil {
		t.Fatal(err)
	}
	_ = uncaptured

	day := notices.Date{Year: 2026, Month: 11, Day: 25}
	milano := notices.Creditor{FiscalCode: "01199250158", Name: "Comune di Milano"}
	f, err := s.Settlement(ctx, day, milano)
	if err != nil {
		t.Fatal(err)
	}
	if f.ID != "2026-11-25SANDBOX-0001" || f.PSP != psp.SandboxName || f.RegulationDate != day.AddDays(1) ||
		f.RegulationID != "SANDBOX-20261125" || f.Creditor != milano.FiscalCode || f.CreditorName != milano.Name {
		t.Errorf("flow header = %+v", f)
	}
	// The flow's time is its latest event: the refund of the 26th.
	if !f.FlowTime.Equal(rome(2026, 11, 26, 9, 0)) {
		t.Errorf("flow time %v, want the refund's", f.FlowTime)
	}
	want := []notices.SettlementLine{
		{IUV: nav[1:], IUR: early.TransactionID, TransferIndex: 1, AmountCents: 4200, Outcome: notices.OutcomeExecuted, Date: day},
		{IUV: nav[1:], IUR: refunded.TransactionID, TransferIndex: 1, AmountCents: 8700, Outcome: notices.OutcomeRevoked, Date: day},
		{IUV: nav2[1:], IUR: late.TransactionID, TransferIndex: 1, AmountCents: 17300, Outcome: notices.OutcomeExecuted, Date: day},
	}
	if fmt.Sprint(f.Lines) != fmt.Sprint(want) {
		t.Errorf("flow lines =\n%+v, want\n%+v", f.Lines, want)
	}
	if f.DeclaredCents != 4200+17300 || f.DeclaredCount != 3 {
		t.Errorf("declared %d cents in %d lines, want %d in 3 (revoked lines excluded from the total)", f.DeclaredCents, f.DeclaredCount, 4200+17300)
	}
	if err := f.Validate(); err != nil {
		t.Errorf("the sandbox's flow is not valid: %v", err)
	}
	// The same state gives the same flow.
	g, _ := s.Settlement(ctx, day, milano)
	if fmt.Sprint(g) != fmt.Sprint(f) {
		t.Errorf("second call differs:\n%v\n%v", g, f)
	}
	prev, _ := s.Settlement(ctx, day.AddDays(-1), milano)
	if len(prev.Lines) != 1 || prev.Lines[0].IUR != before.TransactionID || prev.DeclaredCents != 1000 {
		t.Errorf("flow of the 24th = %+v", prev)
	}
	// A day without payments has no flow.
	if _, err := s.Settlement(ctx, day.AddDays(5), milano); notices.ErrorCode(err) != notices.ENotFound {
		t.Errorf("empty day: %v, want not_found", err)
	}
	if _, err := s.Settlement(ctx, notices.Date{}, milano); notices.ErrorCode(err) != notices.EValidation {
		t.Errorf("zero day: %v, want validation_failed", err)
	}
	_, _ = voided, uncaptured
}

// Fail injects faults: before an operation nothing changes; after it, the
// state is kept and a retry with the same key finds the authorization.
func TestFaultInjection(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	failing := map[string]bool{}
	fail := func(op string) error {
		mu.Lock()
		defer mu.Unlock()
		if failing[op] {
			return psp.Unavailable(op)
		}
		return nil
	}
	set := func(op string, on bool) { mu.Lock(); failing[op] = on; mu.Unlock() }
	s, _ := newSandbox(t, psp.SandboxOptions{Fail: fail})

	set(psp.OpTokenize, true)
	if _, err := s.Tokenize(psp.CardRequest{Number: psp.CardApproved, ExpMonth: 1, ExpYear: 2030, CVC: "123"}); notices.ErrorCode(err) != psp.EUnavailable {
		t.Errorf("tokenize while failing: %v", err)
	}
	set(psp.OpTokenize, false)
	tok := tokenize(t, s, psp.CardApproved)
	req := psp.AuthorizeRequest{Token: tok.Token, AmountCents: 4200, Reference: nav, IdempotencyKey: "k"}

	set(psp.OpAuthorize, true)
	if _, err := s.Authorize(ctx, req); notices.ErrorCode(err) != psp.EUnavailable {
		t.Errorf("authorize while failing: %v", err)
	}
	set(psp.OpAuthorize, false)

	set(psp.OpAuthorizeAfter, true) // the answer is lost after the authorization
	if _, err := s.Authorize(ctx, req); notices.ErrorCode(err) != psp.EUnavailable {
		t.Errorf("authorize with a lost answer: %v", err)
	}
	set(psp.OpAuthorizeAfter, false)
	a, err := s.Authorize(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Authorize(ctx, req)
	if err != nil || a != b {
		t.Errorf("retries gave %+v and %+v, %v", a, b, err)
	}

	set(psp.OpCapture, true)
	if err := s.Capture(ctx, a.ID); notices.ErrorCode(err) != psp.EUnavailable {
		t.Errorf("capture while failing: %v", err)
	}
	if st, _ := s.Status(a.ID); st != psp.StatusAuthorized {
		t.Errorf("a failed capture changed the status to %s", st)
	}
	set(psp.OpCapture, false)
	set(psp.OpCaptureAfter, true)
	if err := s.Capture(ctx, a.ID); notices.ErrorCode(err) != psp.EUnavailable {
		t.Errorf("capture with a lost answer: %v", err)
	}
	if st, _ := s.Status(a.ID); st != psp.StatusCaptured {
		t.Errorf("capture with a lost answer: status %s, want captured", st)
	}
	set(psp.OpCaptureAfter, false)
	if err := s.Capture(ctx, a.ID); err != nil {
		t.Errorf("retried capture: %v", err)
	}

	set(psp.OpSettlement, true)
	if _, err := s.Settlement(ctx, notices.Date{Year: 2026, Month: 11, Day: 25}, notices.Creditor{}); notices.ErrorCode(err) != psp.EUnavailable {
		t.Errorf("settlement while failing: %v", err)
	}
}

func TestLatency(t *testing.T) {
	s, _ := newSandbox(t, psp.SandboxOptions{Latency: time.Hour})
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := s.Authorize(ctx, psp.AuthorizeRequest{Token: "tok_x", AmountCents: 1, Reference: nav})
	if notices.ErrorCode(err) != psp.EUnavailable || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("slow provider: error = %v, want psp_unavailable wrapping DeadlineExceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the wait ignored the context for %v", d)
	}
	fast, _ := newSandbox(t, psp.SandboxOptions{Latency: 30 * time.Millisecond})
	start = time.Now()
	if err := fast.Refund(context.Background(), "auth_x"); notices.ErrorCode(err) != notices.ENotFound {
		t.Errorf("refund: %v", err)
	}
	if d := time.Since(start); d < 30*time.Millisecond {
		t.Errorf("latency of %v, want at least 30ms", d)
	}
}
