package server_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// A night speeding fine contested on the spot on Monday 2 November 2026:
// 142-8 at 23:30 has min 230.67 and max 925.33 (domain.md §6).
func issueNightSpeeding(e *env, bearer string) map[string]any {
	return e.issue(bearer, map[string]any{
		"plate": "fb 123 xy", "violationCode": "142-8", "occurredAt": "2026-11-02T23:30:00+01:00",
		"place": "Viale Fulvio Testi 42, Milano", "contestation": "immediate",
	})
}

func TestVerifyStagesAndAmounts(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	fine := issueNightSpeeding(e, e.login("officer"))
	if fine["reportNumber"] == "" || fine["status"] != "notified" || fine["plate"] != "FB123XY" {
		t.Fatalf("fine = %v", fine)
	}
	n := navs(fine)
	if len(n) != 2 || n["reduced"] == n["minimum"] {
		t.Fatalf("options = %v, want two distinct NAVs", n)
	}
	for _, tc := range []struct {
		on    string
		stage string
		cents float64
		payBy string
	}{
		{"2026-11-03", "reduced", 16147, "2026-11-07"},
		{"2026-11-07", "reduced", 16147, "2026-11-07"}, // 5th day after the contestation day
		{"2026-11-09", "minimum", 23067, "2027-01-02"}, // 8 Nov is a Sunday
		{"2027-01-02", "minimum", 23067, "2027-01-02"},
		{"2027-01-04", "increased", 46267, ""},
	} {
		for _, nav := range []string{n["reduced"], n["minimum"]} {
			r := e.do("GET", "/api/v1/notices/"+nav+"?on="+tc.on, nil)
			if r.status != 200 {
				t.Fatalf("verify %s on %s: %d %s", nav, tc.on, r.status, r.body)
			}
			due := r.json(t)["amountDue"].(map[string]any)
			if due["stage"] != tc.stage || due["cents"] != tc.cents || (due["payBy"] != nil && due["payBy"] != tc.payBy) {
				t.Errorf("on %s: amountDue = %v, want %s %v until %s", tc.on, due, tc.stage, tc.cents, tc.payBy)
			}
		}
	}
	// The NAV may be typed in groups.
	grouped := n["minimum"][:4] + " " + n["minimum"][4:8] + "-" + n["minimum"][8:]
	if r := e.do("GET", "/api/v1/notices/"+strings.ReplaceAll(grouped, " ", "%20"), nil); r.status != 200 {
		t.Errorf("grouped NAV: %d %s", r.status, r.body)
	}
	body := e.do("GET", "/api/v1/notices/"+n["reduced"], nil).json(t)
	if body["plateMasked"] != "FB••••Y" || body["option"] != "reduced" || body["status"] != "notified" {
		t.Errorf("verify view = %v", body)
	}
}

func TestVerifyErrors(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	fine := issueNightSpeeding(e, e.login("officer"))
	nav := navs(fine)["minimum"]
	for _, tc := range []struct {
		path, code string
		status     int
	}{
		{"/api/v1/notices/302032002700000252", "invalid_notice_number", 400},
		{"/api/v1/notices/12345", "invalid_notice_number", 400},
		{"/api/v1/notices/30203200270000025x", "invalid_notice_number", 400},
		{"/api/v1/notices/302032002700000251", "notice_not_found", 404},
		{"/api/v1/notices/" + nav + "?on=2026-02-30", "invalid_date", 400},
		{"/api/v1/notices/" + nav + "?on=tomorrow", "invalid_date", 400},
		{"/api/v1/notices/" + nav + "?fiscalCode=01199250159", "invalid_fiscal_code", 400},
		{"/api/v1/notices/" + nav + "?fiscalCode=00085240950", "notice_not_found", 404},
		{"/api/v1/nothing-here", "not_found", 404},
	} {
		r := e.do("GET", tc.path, nil)
		if r.status != tc.status || r.code(t) != tc.code {
			t.Errorf("GET %s = %d %s, want %d %s", tc.path, r.status, r.body, tc.status, tc.code)
		}
	}
	if r := e.do("DELETE", "/api/v1/violations", nil); r.status != 405 || r.code(t) != "method_not_allowed" {
		t.Errorf("DELETE violations = %d %s", r.status, r.body)
	}
}

func pay(e *env, nav string, amount float64, token, key string) response {
	return e.do("POST", "/api/v1/notices/"+nav+"/payments",
		map[string]any{"amountCents": amount, "token": token}, "Idempotency-Key", key)
}

func TestPaymentExactlyOnceUnderConcurrency(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	fine := issueNightSpeeding(e, e.login("officer"))
	n := navs(fine)
	token := e.cardToken("4242424242424242")
	const payers = 50
	var wg sync.WaitGroup
	results := make([]response, payers)
	for i := 0; i < payers; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			nav := n["reduced"]
			if i%2 == 1 {
				nav = n["minimum"] // either option settles the same fine
			}
			key := fmt.Sprintf("payer-key-%02d", i%40) // some payers retry with the same key
			results[i] = pay(e, nav, 16147, token, key)
		}(i)
	}
	wg.Wait()
	created := 0
	var receiptID string
	for _, r := range results {
		switch {
		case r.status == 201 && r.header.Get("Idempotent-Replayed") == "":
			created++
			receiptID = r.json(t)["receiptId"].(string)
		case r.status == 201: // a replay of the winner's answer
		case r.status == 409 && r.code(t) == "already_paid":
		default:
			t.Errorf("unexpected answer %d %s", r.status, r.body)
		}
	}
	if created != 1 {
		t.Fatalf("%d payments created, want exactly 1", created)
	}
	for _, r := range results {
		if r.status == 409 && r.json(t)["receiptId"] != nil {
			t.Errorf("already_paid to an anonymous payer names receipt %v: the receipt is the payer's", r.json(t)["receiptId"])
		}
	}
	rc := e.do("GET", "/api/v1/receipts/"+receiptID, nil).json(t)
	if rc["amountCents"] != 16147.0 || rc["stage"] != "reduced" || rc["noticeNumber"] == "" {
		t.Errorf("receipt = %v", rc)
	}
	if v := e.do("GET", "/api/v1/notices/"+n["minimum"], nil, "Authorization", e.login("officer")).json(t); v["status"] != "paid" || v["payment"].(map[string]any)["receiptId"] != receiptID {
		t.Errorf("verify after payment = %v", v)
	}
}

func TestPaymentIdempotencyAndDecline(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	fine := issueNightSpeeding(e, e.login("officer"))
	nav := navs(fine)["reduced"]
	declined := e.cardToken("4000000000000002")
	if r := pay(e, nav, 16147, declined, "attempt-0001"); r.status != 402 || r.code(t) != "card_declined" || r.json(t)["reason"] != nil {
		t.Fatalf("declined card: %d %s", r.status, r.body)
	}
	if v := e.do("GET", "/api/v1/notices/"+nav, nil).json(t); v["status"] != "notified" {
		t.Fatalf("a decline changed the fine: %v", v)
	}
	poor := e.cardToken("4000000000009995")
	if r := pay(e, nav, 16147, poor, "attempt-0002"); r.status != 402 || r.code(t) != "card_declined" || r.json(t)["reason"] != "insufficient_funds" {
		t.Fatalf("insufficient funds: %d %s, want 402 card_declined with reason insufficient_funds", r.status, r.body)
	}
	good := e.cardToken("4242424242424242")
	first := pay(e, nav, 16147, good, "attempt-0003")
	if first.status != 201 {
		t.Fatalf("pay: %d %s", first.status, first.body)
	}
	again := pay(e, nav, 16147, good, "attempt-0003")
	if again.status != 201 || string(again.body) != string(first.body) || again.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("replay = %d %s, want the first answer", again.status, again.body)
	}
	if r := pay(e, nav, 16100, good, "attempt-0003"); r.status != 422 || r.code(t) != "idempotency_conflict" {
		t.Errorf("same key, other body: %d %s", r.status, r.body)
	}
	if r := pay(e, nav, 16147, good, "attempt-0004"); r.status != 409 || r.code(t) != "already_paid" {
		t.Errorf("second key after payment: %d %s", r.status, r.body)
	}
}

func TestPaymentAtMidnightOfTheFifthDay(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	bearer := e.login("officer")
	a, b := navs(issueNightSpeeding(e, bearer))["reduced"], navs(issueNightSpeeding(e, bearer))["reduced"]
	token := e.cardToken("4242424242424242")

	e.clock.Set(rome("2026-11-07 23:59:00")) // the 5th day, a Saturday
	if r := pay(e, a, 16147, token, "late-evening-1"); r.status != 201 {
		t.Fatalf("at 23:59 on the 5th day: %d %s", r.status, r.body)
	}
	e.clock.Set(rome("2026-11-08 00:00:00"))
	r := pay(e, b, 16147, token, "just-too-late-1")
	if r.status != 409 || r.code(t) != "amount_changed" {
		t.Fatalf("at 00:00 the next day: %d %s", r.status, r.body)
	}
	due := r.json(t)["amountDue"].(map[string]any)
	if due["cents"] != 23067.0 || due["stage"] != "minimum" {
		t.Errorf("new amountDue = %v", due)
	}
	if r := pay(e, b, 23067, token, "just-too-late-2"); r.status != 201 {
		t.Errorf("paying the new amount: %d %s", r.status, r.body)
	}
}

func TestCancelledFineCannotBePaid(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	fine := issueNightSpeeding(e, e.login("officer"))
	id := fine["id"].(string)
	if r := e.do("POST", "/api/v1/fines/"+id+"/cancellation", map[string]string{"reason": "wrong plate"}, "Authorization", e.login("officer")); r.status != 403 || r.code(t) != "forbidden" {
		t.Fatalf("officer cancels: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/fines/"+id+"/cancellation", map[string]string{"reason": "wrong plate"}, "Authorization", e.login("super")); r.status != 200 {
		t.Fatalf("supervisor cancels: %d %s", r.status, r.body)
	}
	r := pay(e, navs(fine)["reduced"], 16147, e.cardToken("4242424242424242"), "after-cancel")
	if r.status != 410 || r.code(t) != "fine_cancelled" {
		t.Errorf("pay cancelled: %d %s", r.status, r.body)
	}
}

func TestRolesAndAnonymousAccess(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	for _, path := range []string{"/api/v1/fines", "/api/v1/users", "/api/v1/ledger", "/api/v1/admin/backup"} {
		if r := e.do("GET", path, nil); r.status != 401 || r.code(t) != "unauthorized" {
			t.Errorf("anonymous GET %s = %d %s", path, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/users", nil, "Authorization", e.login("officer")); r.status != 403 {
		t.Errorf("officer lists users: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/fines", map[string]any{}, "Authorization", e.login("money")); r.status != 403 {
		t.Errorf("finance issues a fine: %d", r.status)
	}
}

func TestIssueIdempotentRetry(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	bearer := e.login("officer")
	req := map[string]any{"plate": "AB123CD", "violationCode": "7-15", "occurredAt": "2026-11-03T08:40:00+01:00",
		"place": "Via Torino 12", "contestation": "deferred"}
	a := e.do("POST", "/api/v1/fines", req, "Authorization", bearer, "Idempotency-Key", "officer-retry-1")
	b := e.do("POST", "/api/v1/fines", req, "Authorization", bearer, "Idempotency-Key", "officer-retry-1")
	if a.status != 201 || b.status != 201 || a.json(t)["id"] != b.json(t)["id"] {
		t.Fatalf("retry created another fine: %s / %s", a.body, b.body)
	}
	page := e.do("GET", "/api/v1/fines?plate=AB123CD", nil, "Authorization", bearer).json(t)
	if items := page["items"].([]any); len(items) != 1 {
		t.Errorf("%d fines for the plate, want 1", len(items))
	}
	req["place"] = "Via Padova 1"
	if r := e.do("POST", "/api/v1/fines", req, "Authorization", bearer, "Idempotency-Key", "officer-retry-1"); r.status != 422 || r.code(t) != "idempotency_conflict" {
		t.Errorf("same key, other fine: %d %s", r.status, r.body)
	}
}

func TestListNotifyAndCursor(t *testing.T) {
	e := newEnv(t, rome("2026-11-20 09:00:00"))
	bearer := e.login("officer")
	for i := 0; i < 7; i++ {
		e.issue(bearer, map[string]any{"plate": fmt.Sprintf("ZZ%03dAA", i), "violationCode": "158-5",
			"occurredAt": fmt.Sprintf("2026-11-%02dT10:00:00+01:00", 10+i), "place": "Corso Lodi 14", "contestation": "deferred"})
	}
	seen := map[string]bool{}
	cursor := ""
	for pages := 0; ; pages++ {
		r := e.do("GET", "/api/v1/fines?status=issued&limit=3&cursor="+cursor, nil, "Authorization", bearer)
		if r.status != 200 {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		page := r.json(t)
		for _, it := range page["items"].([]any) {
			seen[it.(map[string]any)["id"].(string)] = true
		}
		cursor, _ = page["nextCursor"].(string)
		if cursor == "" || pages > 5 {
			break
		}
	}
	if len(seen) != 7 {
		t.Errorf("listed %d distinct fines, want 7", len(seen))
	}
	page := e.do("GET", "/api/v1/fines?limit=1", nil, "Authorization", bearer).json(t)
	fine := page["items"].([]any)[0].(map[string]any)
	if fine["plate"] != "ZZ006AA" {
		t.Errorf("newest first: got %v", fine["plate"])
	}
	id := fine["id"].(string)
	r := e.do("POST", "/api/v1/fines/"+id+"/notification", map[string]any{"notifiedOn": "2026-11-18", "channel": "post"}, "Authorization", bearer)
	if r.status != 200 || r.json(t)["feesCents"] != 1300.0 || r.json(t)["status"] != "notified" {
		t.Fatalf("notify: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/fines/"+id+"/notification", map[string]any{"notifiedOn": "2026-11-19", "channel": "pec"}, "Authorization", bearer); r.status != 409 || r.code(t) != "invalid_transition" {
		t.Errorf("notify twice: %d %s", r.status, r.body)
	}
	due := e.do("GET", "/api/v1/fines/"+id, nil, "Authorization", bearer).json(t)["amountDue"].(map[string]any)
	// notified Wed 18 Nov; day 5 is Mon 23 Nov: 42.00×0.7 + 13.00.
	if due["cents"] != 2940.0+1300 || due["payBy"] != "2026-11-23" {
		t.Errorf("amountDue after notification = %v", due)
	}
}

func TestStoreUnchangedByMalformedInput(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	bearer := e.login("officer")
	fine := issueNightSpeeding(e, bearer)
	nav, id := navs(fine)["reduced"], fine["id"].(string)
	before, err := e.store.LedgerHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	good := `{"plate":"AB123CD","violationCode":"7-15","occurredAt":"2026-11-03T08:00:00+01:00","place":"Via Torino","contestation":"deferred"}`
	huge := `{"plate":"` + strings.Repeat("A", 70<<10) + `"}`
	cases := []struct {
		name, method, path, body, ct, code string
		status                             int
		headers                            []string
	}{
		{"bad json", "POST", "/api/v1/fines", `{"plate":`, "application/json", "invalid_json", 400, nil},
		{"wrong type", "POST", "/api/v1/fines", `{"plate":12}`, "application/json", "validation_failed", 422, nil},
		{"unknown field", "POST", "/api/v1/fines", strings.Replace(good, `"plate"`, `"plat":"x","plate"`, 1), "application/json", "validation_failed", 422, nil},
		{"two objects", "POST", "/api/v1/fines", good + good, "application/json", "invalid_json", 400, nil},
		{"huge body", "POST", "/api/v1/fines", huge, "application/json", "payload_too_large", 413, nil},
		{"not json", "POST", "/api/v1/fines", good, "text/plain", "unsupported_media_type", 415, nil},
		{"bad date", "POST", "/api/v1/fines", strings.Replace(good, "2026-11-03T08:00:00+01:00", "2026-13-03T08:00:00+01:00", 1), "application/json", "validation_failed", 422, nil},
		{"no offset", "POST", "/api/v1/fines", strings.Replace(good, "+01:00", "", 1), "application/json", "validation_failed", 422, nil},
		{"future", "POST", "/api/v1/fines", strings.Replace(good, "2026-11-03", "2027-11-03", 1), "application/json", "validation_failed", 422, nil},
		{"unknown violation", "POST", "/api/v1/fines", strings.Replace(good, "7-15", "999-1", 1), "application/json", "validation_failed", 422, nil},
		{"bad plate", "POST", "/api/v1/fines", strings.Replace(good, "AB123CD", "AB<script>", 1), "application/json", "validation_failed", 422, nil},
		{"compressed", "POST", "/api/v1/fines", good, "application/json", "unsupported_media_type", 415, []string{"Content-Encoding", "gzip"}},
		{"pay without key", "POST", "/api/v1/notices/" + nav + "/payments", `{"amountCents":16147,"token":"x"}`, "application/json", "invalid_idempotency_key", 400, nil},
		{"pay short key", "POST", "/api/v1/notices/" + nav + "/payments", `{"amountCents":16147,"token":"x"}`, "application/json", "invalid_idempotency_key", 400, []string{"Idempotency-Key", "short"}},
		{"pay bad nav", "POST", "/api/v1/notices/123/payments", `{"amountCents":16147,"token":"x"}`, "application/json", "invalid_notice_number", 400, []string{"Idempotency-Key", "a-long-key-1"}},
		{"pay string amount", "POST", "/api/v1/notices/" + nav + "/payments", `{"amountCents":"16147","token":"x"}`, "application/json", "validation_failed", 422, []string{"Idempotency-Key", "a-long-key-2"}},
		{"pay negative", "POST", "/api/v1/notices/" + nav + "/payments", `{"amountCents":-5,"token":"x"}`, "application/json", "validation_failed", 422, []string{"Idempotency-Key", "a-long-key-3"}},
		{"pay fake token", "POST", "/api/v1/notices/" + nav + "/payments", `{"amountCents":16147,"token":"tok_forged"}`, "application/json", "invalid_token", 422, []string{"Idempotency-Key", "a-long-key-4"}},
		{"pay float", "POST", "/api/v1/notices/" + nav + "/payments", `{"amountCents":161.47,"token":"x"}`, "application/json", "validation_failed", 422, []string{"Idempotency-Key", "a-long-key-5"}},
		{"notify bad date", "POST", "/api/v1/fines/" + id + "/notification", `{"notifiedOn":"03/11/2026","channel":"post"}`, "application/json", "validation_failed", 422, nil},
		{"notify bad channel", "POST", "/api/v1/fines/" + id + "/notification", `{"notifiedOn":"2026-11-03","channel":"pigeon"}`, "application/json", "invalid_transition", 409, nil},
		{"cancel unknown fine", "POST", "/api/v1/fines/nope/cancellation", `{"reason":"x"}`, "application/json", "forbidden", 403, nil},
		{"list bad limit", "GET", "/api/v1/fines?limit=0", "", "", "validation_failed", 422, nil},
		{"list bad status", "GET", "/api/v1/fines?status=lost", "", "", "validation_failed", 422, nil},
		{"list bad cursor", "GET", "/api/v1/fines?cursor=%%%", "", "", "validation_failed", 422, nil},
		{"scan garbage", "POST", "/api/v1/scan", "not an image", "image/jpeg", "unsupported_image", 415, nil},
		{"scan empty", "POST", "/api/v1/scan", "", "image/jpeg", "invalid_image", 422, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := append([]string{"Authorization", bearer}, tc.headers...)
			if tc.ct != "" {
				h = append(h, "Content-Type", tc.ct)
			}
			var body any
			if tc.body != "" {
				body = []byte(tc.body)
			}
			r := e.do(tc.method, tc.path, body, h...)
			if r.status != tc.status || r.code(t) != tc.code {
				t.Errorf("%d %s, want %d %s", r.status, r.body, tc.status, tc.code)
			}
		})
	}
	after, err := e.store.LedgerHead(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("malformed requests changed the store: ledger %d → %d entries", before.Size, after.Size)
	}
}
