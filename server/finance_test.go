package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// parkingFine issues a 7-15 parking fine contested on the spot at the
// env's current time: notified that day, no fees, €29.40 for 5 days.
func parkingFine(e *env, officer string) map[string]any {
	e.t.Helper()
	return e.issue(officer, map[string]any{
		"plate": "AB123CD", "violationCode": "7-15", "occurredAt": e.clock.Now().Add(-time.Minute).Format(time.RFC3339),
		"place": "Via Torino 12, Milano", "contestation": "immediate",
	})
}

// payDue pays a notice at what it costs now, through the public API as the
// app does (verify, then pay with a sandbox card), and returns the receipt.
func (e *env) payDue(nav string) map[string]any {
	e.t.Helper()
	v := e.do("GET", "/api/v1/notices/"+nav, nil)
	if v.status != 200 {
		e.t.Fatalf("verify %s: %d %s", nav, v.status, v.body)
	}
	cents := v.json(e.t)["amountDue"].(map[string]any)["cents"].(float64)
	r := e.do("POST", "/api/v1/notices/"+nav+"/payments",
		map[string]any{"amountCents": int64(cents), "token": e.cardToken("4242424242424242")},
		"Idempotency-Key", "finance-test-"+nav)
	if r.status != 201 {
		e.t.Fatalf("pay %s: %d %s", nav, r.status, r.body)
	}
	return r.json(e.t)
}

// recordOtherPSP records a payment taken by a PSP the server cannot ask
// for its flow (a bank counter, say): the receipt exists, and only an
// uploaded flow can settle it.
func (e *env) recordOtherPSP(fine map[string]any, tx string, cents int64) notices.Receipt {
	e.t.Helper()
	nav, _ := notices.ParseNAV(navs(fine)["reduced"])
	id, err := notices.NewID(nil)
	if err != nil {
		e.t.Fatal(err)
	}
	r, err := e.store.RecordPayment(context.Background(), notices.PaymentRecord{FineID: fine["id"].(string), Receipt: notices.Receipt{
		ID: id, NAV: nav, FineID: fine["id"].(string), Creditor: e.settings.Creditor, AmountCents: cents,
		SanctionCents: cents, Stage: notices.StageReduced, PaidAt: e.clock.Now(),
		PSP: notices.PSPRef{Name: "BANCA", TransactionID: tx},
	}})
	if err != nil {
		e.t.Fatal(err)
	}
	return r
}

func iuvOfNAV(nav string) string { return nav[1:] }

func TestReconciliationDayWithEveryProblem(t *testing.T) {
	e := newEnv(t, rome("2026-03-10 09:00:00"))
	var sandboxPaid []map[string]any // receipts
	for i := 0; i < 3; i++ {
		e.clock.Set(rome(fmt.Sprintf("2026-03-10 %02d:15:00", 9+i)))
		sandboxPaid = append(sandboxPaid, e.payDue(navs(parkingFine(e, e.login("officer")))["reduced"]))
	}
	e.clock.Set(rome("2026-03-10 16:00:00"))
	officer := e.login("officer")
	missing := e.recordOtherPSP(parkingFine(e, officer), "BNK-0001", 2940)
	short := e.recordOtherPSP(parkingFine(e, officer), "BNK-0002", 2940)
	strangerIUV := "01999999999999999"
	a := sandboxPaid[0]

	upload := map[string]any{
		"id": "2026-03-10BANCA-0001", "psp": "BANCA", "settlementDate": "2026-03-10", "totalCents": 2840 + 5000 + 2940,
		"lines": []map[string]any{
			{"iuv": short.NAV.IUV(), "transactionId": "BNK-0002", "amountCents": 2840, "outcome": 0},
			{"iuv": strangerIUV, "transactionId": "BNK-0003", "amountCents": 5000, "outcome": 0},
			{"iuv": iuvOfNAV(a["noticeNumber"].(string)), "transactionId": a["psp"].(map[string]any)["transactionId"], "amountCents": 2940, "outcome": 0},
			{"iuv": "01888888888888888", "transactionId": "BNK-0004", "amountCents": 700, "outcome": 3},
		},
	}
	money := e.login("money")
	r := e.do("POST", "/api/v1/reconciliation/flows", upload, "Authorization", money)
	if r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	if got := r.json(t); got["count"] != 3.0 || got["amountCents"] != 10780.0 || r.header.Get("Location") != "/api/v1/reconciliation?date=2026-03-10" {
		t.Errorf("upload answer = %v, Location %q", got, r.header.Get("Location"))
	}

	r = e.do("GET", "/api/v1/reconciliation?date=2026-03-10", nil, "Authorization", money)
	if r.status != 200 {
		t.Fatalf("reconciliation: %d %s", r.status, r.body)
	}
	rec := r.json(t)
	wantNum := func(path string, got any, want float64) {
		t.Helper()
		if got != want {
			t.Errorf("%s = %v, want %v", path, got, want)
		}
	}
	receipts, settled := rec["receipts"].(map[string]any), rec["settled"].(map[string]any)
	wantNum("receipts.count", receipts["count"], 5)
	wantNum("receipts.amountCents", receipts["amountCents"], 5*2940)
	wantNum("settled.count", settled["count"], 6) // three sandbox lines, three executed uploaded lines
	wantNum("settled.amountCents", settled["amountCents"], 3*2940+2840+5000+2940)
	wantNum("matched", rec["matched"], 3)
	if rec["balanced"] != false || rec["date"] != "2026-03-10" {
		t.Errorf("balanced = %v, date = %v", rec["balanced"], rec["date"])
	}
	one := func(list string) map[string]any {
		t.Helper()
		items, _ := rec[list].([]any)
		if len(items) != 1 {
			t.Fatalf("%s = %v, want one item", list, rec[list])
		}
		return items[0].(map[string]any)
	}
	if m := one("missing"); m["receiptId"] != missing.ID || m["receiptAmountCents"] != 2940.0 {
		t.Errorf("missing = %v, want receipt %s", m, missing.ID)
	}
	if u := one("unexpected"); u["iuv"] != strangerIUV || u["settledAmountCents"] != 5000.0 || u["flowId"] != "2026-03-10BANCA-0001" {
		t.Errorf("unexpected = %v", u)
	}
	if m := one("mismatched"); m["receiptId"] != short.ID || m["reason"] != "amount" || m["differenceCents"] != -100.0 {
		t.Errorf("mismatched = %v, want %s one euro short", m, short.ID)
	}
	if d := one("duplicates"); d["receiptId"] != a["receiptId"] {
		t.Errorf("duplicate = %v, want receipt %v", d, a["receiptId"])
	}
	if v := one("revoked"); v["receiptId"] != nil || v["revokedAmountCents"] != 700.0 {
		t.Errorf("revoked = %v, want a refund of nothing of ours", v)
	}
	flows := rec["flows"].([]any)
	if len(flows) != 2 {
		t.Fatalf("flows = %v, want the sandbox's and the upload", flows)
	}
	sb, bank := flows[0].(map[string]any), flows[1].(map[string]any)
	if sb["id"] != "2026-03-10SANDBOX-0001" || sb["count"] != 3.0 || sb["amountCents"] != 3*2940.0 || sb["balanced"] != true {
		t.Errorf("sandbox flow = %v", sb)
	}
	if bank["id"] != "2026-03-10BANCA-0001" || bank["count"] != 3.0 || bank["amountCents"] != 10780.0 || bank["balanced"] != false || bank["revoked"] != 1.0 {
		t.Errorf("bank flow = %v", bank)
	}

	// The CSV has the same rows: one per receipt or line, adding up to
	// the same totals.
	r = e.do("GET", "/api/v1/reconciliation?date=2026-03-10", nil, "Authorization", money, "Accept", "text/csv")
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("CSV: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	if cd := r.header.Get("Content-Disposition"); cd != `attachment; filename="riconciliazione-2026-03-10.csv"` {
		t.Errorf("Content-Disposition = %q", cd)
	}
	body, ok := bytes.CutPrefix(r.body, []byte("\xEF\xBB\xBF"))
	if !ok {
		t.Error("the CSV does not start with a UTF-8 byte order mark")
	}
	if n, crlf := bytes.Count(body, []byte("\n")), bytes.Count(body, []byte("\r\n")); n != crlf || n == 0 {
		t.Errorf("%d line ends, %d of them CRLF", n, crlf)
	}
	rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v\n%s", err, body)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	for _, name := range []string{"status", "iuv", "receiptId", "transactionId", "receiptAmount", "receiptAmountCents", "settledAmount", "settledAmountCents"} {
		if _, ok := col[name]; !ok {
			t.Fatalf("CSV header %v lacks %s", rows[0], name)
		}
	}
	statuses := map[string]int{}
	var receiptSum, settledSum int64
	for _, row := range rows[1:] {
		statuses[row[col["status"]]]++
		for _, c := range []struct {
			euro, cents string
			sum         *int64
		}{{"receiptAmount", "receiptAmountCents", &receiptSum}, {"settledAmount", "settledAmountCents", &settledSum}} {
			if row[col[c.cents]] == "" {
				continue
			}
			n, err := strconv.ParseInt(row[col[c.cents]], 10, 64)
			if err != nil {
				t.Fatalf("%s = %q", c.cents, row[col[c.cents]])
			}
			if want := fmt.Sprintf("%d.%02d", n/100, n%100); row[col[c.euro]] != want {
				t.Errorf("%s = %q, want %q", c.euro, row[col[c.euro]], want)
			}
			*c.sum += n
		}
	}
	if want := map[string]int{"matched": 3, "missing": 1, "unexpected": 1, "mismatched": 1, "duplicate": 1, "revoked": 1}; fmt.Sprint(statuses) != fmt.Sprint(want) {
		t.Errorf("CSV statuses = %v, want %v", statuses, want)
	}
	if float64(receiptSum) != receipts["amountCents"] || float64(settledSum) != settled["amountCents"] {
		t.Errorf("CSV sums: receipts %d, settled %d; JSON %v, %v", receiptSum, settledSum, receipts["amountCents"], settled["amountCents"])
	}
}

func TestReconciliationBalancedDayAndErrors(t *testing.T) {
	e := newEnv(t, rome("2026-03-11 10:00:00"))
	officer := e.login("officer")
	e.payDue(navs(parkingFine(e, officer))["reduced"])
	e.payDue(navs(parkingFine(e, officer))["minimum"]) // either option settles the fine
	money := e.login("money")

	rec := e.do("GET", "/api/v1/reconciliation?date=2026-03-11", nil, "Authorization", money).json(t)
	if rec["balanced"] != true || rec["matched"] != 2.0 || rec["settled"].(map[string]any)["amountCents"] != 5880.0 {
		t.Errorf("a day paid only through the sandbox: %v", rec)
	}
	// Yesterday by default: nothing happened, which balances.
	if rec := e.do("GET", "/api/v1/reconciliation", nil, "Authorization", money).json(t); rec["date"] != "2026-03-10" || rec["balanced"] != true {
		t.Errorf("default day: %v", rec)
	}
	for _, q := range []string{"date=2026-02-30", "date=11/03/2026", "date=2026-03-12"} {
		if r := e.do("GET", "/api/v1/reconciliation?"+q, nil, "Authorization", money); r.status != 400 || r.code(t) != "invalid_date" {
			t.Errorf("%s: %d %s, want 400 invalid_date", q, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/reconciliation?date=2026-03-11", nil, "Authorization", e.login("officer")); r.status != 403 {
		t.Errorf("officer: %d, want 403", r.status)
	}
	if r := e.do("GET", "/api/v1/reconciliation?date=2026-03-11", nil); r.status != 401 {
		t.Errorf("anonymous: %d, want 401", r.status)
	}
}

func TestReconciliationFlowUploadValidation(t *testing.T) {
	e := newEnv(t, rome("2026-03-11 10:00:00"))
	money := e.login("money")
	good := func() map[string]any {
		return map[string]any{"id": "2026-03-10BANCA-0001", "psp": "BANCA", "settlementDate": "2026-03-10",
			"lines": []map[string]any{{"iuv": "01000000000000123", "transactionId": "T1", "amountCents": 4200, "outcome": 0, "paidAt": "2026-03-10T10:00:00+01:00"}}}
	}
	line := func(f map[string]any) map[string]any { return f["lines"].([]map[string]any)[0] }
	tests := []struct {
		name   string
		change func(map[string]any)
		status int
		code   string
	}{
		{"unknown field", func(f map[string]any) { f["bank"] = "x" }, 422, "validation_failed"},
		{"unknown line field", func(f map[string]any) { line(f)["iur"] = "x" }, 422, "validation_failed"},
		{"no id", func(f map[string]any) { delete(f, "id") }, 422, "validation_failed"},
		{"IUV of 16 digits", func(f map[string]any) { line(f)["iuv"] = "0100000000000012" }, 422, "validation_failed"},
		{"fractional cents", func(f map[string]any) { line(f)["amountCents"] = 42.5 }, 422, "validation_failed"},
		{"amount as text", func(f map[string]any) { line(f)["amountCents"] = "4200" }, 422, "validation_failed"},
		{"zero amount", func(f map[string]any) { line(f)["amountCents"] = 0 }, 422, "validation_failed"},
		{"negative amount", func(f map[string]any) { line(f)["amountCents"] = -4200 }, 422, "validation_failed"},
		{"outcome 1", func(f map[string]any) { line(f)["outcome"] = 1 }, 422, "validation_failed"},
		{"no outcome", func(f map[string]any) { delete(line(f), "outcome") }, 422, "validation_failed"},
		{"total that does not add up", func(f map[string]any) { f["totalCents"] = 4201 }, 422, "validation_failed"},
		{"no lines", func(f map[string]any) { f["lines"] = []map[string]any{} }, 422, "validation_failed"},
		{"impossible date", func(f map[string]any) { f["settlementDate"] = "2026-02-30" }, 400, "invalid_date"},
		{"future date", func(f map[string]any) { f["settlementDate"] = "2026-03-12" }, 422, "validation_failed"},
		{"the sandbox's own flow id", func(f map[string]any) { f["id"] = "2026-03-10SANDBOX-0001" }, 409, "conflict"},
	}
	for _, tt := range tests {
		f := good()
		tt.change(f)
		r := e.do("POST", "/api/v1/reconciliation/flows", f, "Authorization", money)
		if r.status != tt.status || r.code(t) != tt.code {
			t.Errorf("%s: %d %s, want %d %s", tt.name, r.status, r.body, tt.status, tt.code)
		}
	}
	if flows, _ := e.store.Flows(context.Background(), notices.Date{Year: 2026, Month: 3, Day: 10}); len(flows) != 0 {
		t.Fatalf("rejected uploads were stored: %v", flows)
	}
	if r := e.do("POST", "/api/v1/reconciliation/flows", good(), "Authorization", money); r.status != 201 {
		t.Fatalf("good flow: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/reconciliation/flows", good(), "Authorization", money); r.status != 409 || r.code(t) != "conflict" {
		t.Errorf("same flow id again: %d %s, want 409 conflict", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/reconciliation/flows", []byte(`{"id":"x"}`), "Authorization", money, "Content-Type", "text/plain"); r.status != 415 {
		t.Errorf("text/plain: %d, want 415", r.status)
	}
	if r := e.do("POST", "/api/v1/reconciliation/flows", good(), "Authorization", e.login("officer")); r.status != 403 {
		t.Errorf("officer: %d, want 403", r.status)
	}
	rec := e.do("GET", "/api/v1/reconciliation?date=2026-03-10", nil, "Authorization", money).json(t)
	if u := rec["unexpected"].([]any); len(u) != 1 || rec["settled"].(map[string]any)["amountCents"] != 4200.0 {
		t.Errorf("after the upload: %v", rec)
	}
}

func TestStatsByHourWeekdayAndStage(t *testing.T) {
	e := newEnv(t, rome("2026-03-02 10:00:00")) // a Monday
	officer := e.login("officer")
	var fines []map[string]any
	for i := 0; i < 5; i++ {
		fines = append(fines, parkingFine(e, officer))
	}
	payAt := func(at string, fine map[string]any) {
		e.clock.Set(rome(at))
		e.payDue(navs(fine)["minimum"])
	}
	payAt("2026-03-02 10:05:00", fines[0]) // Monday 10h, reduced 29.40
	payAt("2026-03-03 23:30:00", fines[1]) // Tuesday 23h (22:30 UTC), reduced 29.40
	payAt("2026-03-12 08:15:00", fines[2]) // Thursday 8h, minimum 42.00
	payAt("2026-05-20 12:00:00", fines[3]) // Wednesday 12h, after 60 days: 173.00 / 2
	// fines[4] stays unpaid: today it costs 86.50.
	money := e.login("money")

	r := e.do("GET", "/api/v1/stats?from=2026-03-01&to=2026-05-31", nil, "Authorization", money)
	if r.status != 200 {
		t.Fatalf("stats: %d %s", r.status, r.body)
	}
	s := r.json(t)
	if s["payments"] != 4.0 || s["amountCents"] != 2940+2940+4200+8650.0 {
		t.Errorf("payments %v, amount %v", s["payments"], s["amountCents"])
	}
	counts := func(key string) []float64 {
		var out []float64
		for _, v := range s[key].([]any) {
			out = append(out, v.(map[string]any)["payments"].(float64))
		}
		return out
	}
	wantHours := make([]float64, 24)
	wantHours[8], wantHours[10], wantHours[12], wantHours[23] = 1, 1, 1, 1
	if got := counts("byHour"); fmt.Sprint(got) != fmt.Sprint(wantHours) {
		t.Errorf("byHour = %v, want %v", got, wantHours)
	}
	if got := counts("byWeekday"); fmt.Sprint(got) != fmt.Sprint([]float64{1, 1, 1, 1, 0, 0, 0}) {
		t.Errorf("byWeekday (Monday first) = %v", got)
	}
	if days := s["byDay"].([]any); len(days) != 92 || days[1].(map[string]any)["date"] != "2026-03-02" || days[1].(map[string]any)["amountCents"] != 2940.0 {
		t.Errorf("byDay: %d days, second %v", len(days), days[1])
	}
	stage := s["byStage"].(map[string]any)
	for name, want := range map[string][2]float64{"reduced": {2, 5880}, "minimum": {1, 4200}, "increased": {1, 8650}} {
		got := stage[name].(map[string]any)
		if got["payments"] != want[0] || got["amountCents"] != want[1] {
			t.Errorf("byStage.%s = %v, want %v", name, got, want)
		}
	}
	if o := s["outstanding"].(map[string]any); o["fines"] != 1.0 || o["amountCents"] != 8650.0 || o["on"] != "2026-05-20" {
		t.Errorf("outstanding = %v, want one fine at 86.50 on 2026-05-20", o)
	}

	// The default range is the thirty days to today.
	s = e.do("GET", "/api/v1/stats", nil, "Authorization", money).json(t)
	if s["from"] != "2026-04-21" || s["to"] != "2026-05-20" || s["payments"] != 1.0 || len(s["byDay"].([]any)) != 30 {
		t.Errorf("default range: from %v to %v, %v payments", s["from"], s["to"], s["payments"])
	}
	if r := e.do("GET", "/api/v1/stats", nil, "Authorization", e.login("root")); r.status != 200 {
		t.Errorf("admin: %d", r.status)
	}
	for _, q := range []string{"from=2026-13-01", "to=yesterday", "from=2026-05-01&to=2026-04-01", "from=2025-01-01&to=2026-05-20"} {
		if r := e.do("GET", "/api/v1/stats?"+q, nil, "Authorization", money); r.status != 400 || r.code(t) != "invalid_date" {
			t.Errorf("%s: %d %s, want 400 invalid_date", q, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/v1/stats", nil, "Authorization", officer); r.status != 401 && r.status != 403 {
		t.Errorf("officer: %d, want 403", r.status)
	}
}
