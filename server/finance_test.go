package server_test

import (
	"fmt"
	"testing"
	"time"
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
