package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// A payment of 00:00:30 on the 11th that its PSP dates on the 10th is
// matched in the 10th's reconciliation, from the next day's receipts
// (which are read only for such a line), and ?limit= keeps the first rows
// while the counts and totals keep every one.
func TestReconciliationMatchesAPaymentPastMidnightAndLimits(t *testing.T) {
	e := newEnv(t, rome("2026-03-10 09:00:00"))
	fines := e.fines(12)
	svc := e.payments()
	token := e.cardToken("4242424242424242")
	var own []notices.Receipt
	for i := range 10 {
		e.clock.Set(rome("2026-03-10 09:00:00").Add(time.Duration(i) * time.Minute))
		own = append(own, e.payByCard(svc, fines[i], token))
	}
	e.clock.Set(rome("2026-03-11 00:00:30"))
	late := e.payByCard(svc, fines[10], token)
	e.clock.Set(rome("2026-03-11 10:00:00"))
	e.payByCard(svc, fines[11], token) // named by no line of the 10th
	e.clock.Set(rome("2026-03-16 10:00:00"))
	money := e.login("money")

	l := lineFor(late)
	l.Date = day10
	lines := []notices.SettlementLine{lineFor(own[0]), lineFor(own[1]), l}
	if r := e.do("POST", "/api/v1/reconciliation/flows", flowXML(t, e.flow("2026-03-10SANDBOX-1", "SANDBOX", rome("2026-03-11 07:00:00"), lines)),
		"Authorization", money, "Content-Type", "application/xml"); r.status != 201 {
		t.Fatalf("upload the flow: %d %s", r.status, r.body)
	}
	r := e.do("GET", "/api/v1/reconciliation?date=2026-03-10", nil, "Authorization", money)
	if r.status != 200 {
		t.Fatalf("reconciliation: %d %s", r.status, r.body)
	}
	whole := r.json(t)
	counts := whole["counts"].(map[string]any)
	if counts["matched"] != 3.0 || counts["receipt_without_line"] != 8.0 || counts["line_without_receipt"] != 0.0 {
		t.Errorf("counts %v, want 3 matched (one from the next day) and 8 receipts without a line", counts)
	}
	found := false
	for _, it := range whole["items"].([]any) {
		m := it.(map[string]any)
		if m["iur"] == notices.ReceiptIUR(&late) {
			found = true
			if m["category"] != "matched" || m["receiptId"] != late.ID {
				t.Errorf("the line of the payment past midnight: %v, want matched to %s", m, late.ID)
			}
		}
	}
	if !found {
		t.Error("no row for the line of the payment past midnight")
	}

	r = e.do("GET", "/api/v1/reconciliation?date=2026-03-10&limit=4", nil, "Authorization", money)
	if r.status != 200 {
		t.Fatalf("limit=4: %d %s", r.status, r.body)
	}
	limited := r.json(t)
	items, all := limited["items"].([]any), whole["items"].([]any)
	if len(items) != 4 || len(all) != 12 {
		t.Fatalf("limit=4 gave %d rows of %d", len(items), len(all))
	}
	for i, it := range items {
		if it.(map[string]any)["receiptId"] != all[i].(map[string]any)["receiptId"] || it.(map[string]any)["category"] != "receipt_without_line" {
			t.Errorf("row %d: %v, want the whole answer's %v (problems first)", i, it, all[i])
		}
	}
	for _, k := range []string{"counts", "receipts", "settled", "balanced"} {
		if got, want := toJSON(t, limited[k]), toJSON(t, whole[k]); got != want {
			t.Errorf("%s with limit=4: %s, want %s", k, got, want)
		}
	}
	for _, q := range []string{"limit=0", "limit=x", "limit=10001"} {
		if r := e.do("GET", "/api/v1/reconciliation?date=2026-03-10&"+q, nil, "Authorization", money); r.status != 422 {
			t.Errorf("%s: %d %s", q, r.status, r.body)
		}
	}
}

func toJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
