package server_test

import (
	"testing"
)

// Anyone with a notice number can learn its receipt id from verify, so a
// receipt read by id shows the payment, not who paid; the payer gets the
// whole receipt once, in the answer to their payment.
func TestReceiptByIDHidesThePayer(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	nav := navs(issueNightSpeeding(e, e.login("officer")))["reduced"]
	paid := e.do("POST", "/api/v1/notices/"+nav+"/payments",
		map[string]any{"amountCents": 16147, "token": e.cardToken("4242424242424242"), "email": "m.rossi@example.it"},
		"Idempotency-Key", "public-receipt-1")
	if paid.status != 201 || paid.json(t)["email"] != "m.rossi@example.it" {
		t.Fatalf("pay: %d %s", paid.status, paid.body)
	}
	// A stranger holding the notice learns it is paid, not the receipt.
	if p := e.do("GET", "/api/v1/notices/"+nav, nil).json(t)["payment"].(map[string]any); p["receiptId"] != nil || p["paidAt"] == nil {
		t.Errorf("public verify of a paid notice: %v, want paidAt and no receiptId", p)
	}
	id := paid.json(t)["receiptId"].(string)
	r := e.do("GET", "/api/v1/receipts/"+id, nil)
	if r.status != 200 || r.json(t)["amountCents"] != 16147.0 {
		t.Fatalf("receipt: %d %s", r.status, r.body)
	}
	if _, shown := r.json(t)["email"]; shown {
		t.Errorf("the receipt by id shows the payer's e-mail: %s", r.body)
	}
}
