package e2e

import (
	"strings"
	"testing"
	"time"
)

// TestPaperNoticeDoesNotOpenTheReceipt (issue 12 item 4): whoever holds
// only the notice number learns that and when it was paid, not the
// receipt; the receipt's link (the payer's) never shows the e-mail; staff
// still see which receipt settled the fine.
func TestPaperNoticeDoesNotOpenTheReceipt(t *testing.T) {
	s := start(t, "", "--rate-limit", "0")
	tok := s.login(t, "admin", s.Admin)
	nav := firstNAV(t, s.issue(t, tok, "AB123CD", "Via Torino 1, Milano"))
	rcpt := s.payNotice(t, nav, "mario.rossi@example.it")
	id, _ := rcpt["receiptId"].(string)

	v := s.call(t, "GET", "/api/v1/notices/"+nav, nil)
	p, _ := v.json(t)["payment"].(map[string]any)
	if p == nil || p["paidAt"] == nil || strings.Contains(string(v.body), id) {
		t.Errorf("public verify of a paid notice: %s\nwant when it was paid and no receipt id", v.body)
	}
	card := s.call(t, "POST", "/psp/v1/tokens", map[string]any{"number": "4242424242424242", "expMonth": 12, "expYear": time.Now().Year() + 3, "cvc": "123"})
	again := s.call(t, "POST", "/api/v1/notices/"+nav+"/payments", map[string]any{"amountCents": rcpt["amountCents"], "token": card.json(t)["token"]},
		"Idempotency-Key", idemKey("stranger"))
	if again.status != 409 || again.code(t) != "already_paid" || strings.Contains(string(again.body), id) {
		t.Errorf("a stranger paying the paid notice: %d %s\nwant already_paid without the receipt id", again.status, again.body)
	}
	r := s.call(t, "GET", "/api/v1/receipts/"+id, nil)
	if r.status != 200 || strings.Contains(string(r.body), "mario.rossi") {
		t.Errorf("the receipt by its link: %d %s\nwant it without the e-mail", r.status, r.body)
	}
	staff := s.call(t, "GET", "/api/v1/notices/"+nav, nil, "Authorization", "Bearer "+tok)
	if !strings.Contains(string(staff.body), id) {
		t.Errorf("staff verify does not name the receipt: %s", staff.body)
	}
}
