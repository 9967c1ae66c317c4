package server_test

import (
	"strings"
	"testing"
)

func TestNoticeSaysWhichDayItsAmountIsFor(t *testing.T) {
	e := newEnv(t, rome("2026-11-07 18:00:00"))
	nav := navs(issueNightSpeeding(e, e.login("officer")))["reduced"]
	v := e.do("GET", "/api/v1/notices/"+nav, nil).json(t)
	due := v["amountDue"].(map[string]any)
	// The last day of the 30% window: the app says "last day today".
	if v["on"] != "2026-11-07" || due["payBy"] != "2026-11-07" || due["stage"] != "reduced" {
		t.Errorf("on = %v, amountDue = %v; want on = payBy = 2026-11-07, reduced", v["on"], due)
	}
	if v := e.do("GET", "/api/v1/notices/"+nav+"?on=2026-12-01", nil).json(t); v["on"] != "2026-12-01" {
		t.Errorf("on with ?on= = %v, want 2026-12-01", v["on"])
	}
}

func TestNoticeDeadlinesAsCalendar(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	nav := navs(issueNightSpeeding(e, e.login("officer")))["reduced"]
	r := e.do("GET", "/api/v1/notices/"+nav+"/deadlines.ics?lang=en", nil)
	if r.status != 200 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/calendar") {
		t.Fatalf("deadlines.ics: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	ics := string(r.body)
	if !strings.HasSuffix(ics, "END:VCALENDAR\r\n") || strings.Contains(strings.ReplaceAll(ics, "\r\n", ""), "\n") {
		t.Errorf("lines must end in CRLF:\n%q", ics)
	}
	for _, l := range strings.Split(strings.TrimSuffix(ics, "\r\n"), "\r\n") {
		if len(l) > 75 {
			t.Errorf("line of %d octets, want at most 75: %q", len(l), l)
		}
	}
	unfolded := strings.ReplaceAll(ics, "\r\n ", "")
	for _, want := range []string{
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\n",
		// 142-8 at night, contested on 2 Nov: 30% off until Sat 7 Nov, the
		// minimum until 2 Jan (1 Jan is a holiday), then half the maximum.
		"DTSTART;VALUE=DATE:20261107\r\nDTEND;VALUE=DATE:20261108\r\nSUMMARY:Fine: last day to pay €161.47 (30% discount)\r\n",
		"DTSTART;VALUE=DATE:20270102\r\nDTEND;VALUE=DATE:20270103\r\nSUMMARY:Fine: last day to pay €230.67 (minimum amount)\r\n",
		"After this day the amount rises to €230.67. Pay here: https://multe.example.it/p/" + nav,
		"URL:https://multe.example.it/p/" + nav + "\r\n",
		"TRIGGER:-PT15H\r\n",
	} {
		if !strings.Contains(unfolded, want) {
			t.Errorf("calendar lacks %q:\n%s", want, unfolded)
		}
	}
	if n := strings.Count(ics, "BEGIN:VEVENT"); n != 2 {
		t.Errorf("%d events, want 2", n)
	}

	e.clock.Set(rome("2026-11-08 09:00:00")) // the discount is over
	it := string(e.do("GET", "/api/v1/notices/"+nav+"/deadlines.ics", nil).body)
	if n := strings.Count(it, "BEGIN:VEVENT"); n != 1 || !strings.Contains(strings.ReplaceAll(it, "\r\n ", ""), "SUMMARY:Multa: ultimo giorno per pagare € 230\\,67 (importo ridotto)") {
		t.Errorf("after the discount, in Italian: %d events\n%s", n, it)
	}

	pay(e, nav, 23067, e.cardToken("4242424242424242"), "calendar-pay-1")
	if r := e.do("GET", "/api/v1/notices/"+nav+"/deadlines.ics", nil); r.status != 409 || r.code(t) != "already_paid" {
		t.Errorf("paid fine: %d %s, want 409 already_paid", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/notices/301000000000000000/deadlines.ics", nil); r.status == 200 {
		t.Errorf("unknown notice: %d, want an error", r.status)
	}
}

func TestUnknownPageIsHTMLForPeople(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	for _, tc := range []struct{ lang, want string }{
		{"it-IT,it;q=0.9,en;q=0.8", "Pagina non trovata"},
		{"", "Pagina non trovata"},
		{"de-DE,de;q=0.9", "Page not found"},
		{"en-GB", "Page not found"},
	} {
		r := e.do("GET", "/no/such/page", nil, "Accept", "text/html,application/xhtml+xml", "Accept-Language", tc.lang)
		if r.status != 404 || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), tc.want) {
			t.Errorf("Accept-Language %q: %d %s, want 404 HTML with %q", tc.lang, r.status, r.header.Get("Content-Type"), tc.want)
		}
		if !strings.Contains(string(r.body), `href="/assets/app.`) {
			t.Errorf("the page does not use the app's style sheet:\n%s", r.body)
		}
	}
	// Programs still get problem+json.
	if r := e.do("GET", "/no/such/page", nil); r.status != 404 || r.code(t) != "not_found" {
		t.Errorf("without Accept: text/html: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/nothing", nil, "Accept", "text/html"); r.status != 404 || r.code(t) != "not_found" {
		t.Errorf("an API path: %d %s", r.status, r.body)
	}
}
