package e2e

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

var keySeq atomic.Int64

// idemKey returns a fresh Idempotency-Key.
func idemKey(prefix string) string {
	return fmt.Sprintf("%s-%d-%d", prefix, time.Now().UnixNano(), keySeq.Add(1))
}

// issue issues a fine contested on the spot (payable at once) as the
// holder of tok and returns it as the API answered.
func (s *service) issue(t *testing.T, tok, plate, place string) map[string]any {
	t.Helper()
	a := s.call(t, "POST", "/api/v1/fines", map[string]any{
		"plate": plate, "violationCode": "7-15", "occurredAt": time.Now().Add(-time.Hour).Format(time.RFC3339),
		"place": place, "contestation": "immediate",
	}, "Authorization", "Bearer "+tok, "Idempotency-Key", idemKey("fine"))
	if a.status != 201 {
		t.Fatalf("issue fine: %d %s", a.status, a.body)
	}
	return a.json(t)
}

// firstNAV is the notice number of the fine's first payment option.
func firstNAV(t *testing.T, fine map[string]any) string {
	t.Helper()
	opts, _ := fine["options"].([]any)
	if len(opts) == 0 {
		t.Fatalf("fine without options: %v", fine)
	}
	nav, _ := opts[0].(map[string]any)["noticeNumber"].(string)
	return nav
}

// payNotice pays what nav is due with the sandbox's good test card and
// returns the 201 answer (the receipt).
func (s *service) payNotice(t *testing.T, nav, email string) map[string]any {
	t.Helper()
	card := s.call(t, "POST", "/psp/v1/tokens", map[string]any{"number": "4242424242424242", "expMonth": 12, "expYear": time.Now().Year() + 3, "cvc": "123"})
	if card.status != 201 {
		t.Fatalf("tokenize: %d %s", card.status, card.body)
	}
	v := s.call(t, "GET", "/api/v1/notices/"+nav, nil)
	due := v.json(t)["amountDue"].(map[string]any)["cents"]
	body := map[string]any{"amountCents": due, "token": card.json(t)["token"]}
	if email != "" {
		body["email"] = email
	}
	a := s.call(t, "POST", "/api/v1/notices/"+nav+"/payments", body, "Idempotency-Key", idemKey("pay"))
	if a.status != 201 {
		t.Fatalf("pay %s: %d %s", nav, a.status, a.body)
	}
	return a.json(t)
}
