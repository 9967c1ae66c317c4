package server_test

import (
	"bytes"
	"strings"
	"testing"
)

// TestSearchExportCorrectBatch covers the back office's day: searching by
// part of a plate, report number and notice number; the unpaid list with
// today's amount; the CSV export with notice numbers as text; a
// supervisor's correction with its audit trail; a refused correction of a
// paid fine; and the batch print of many notices as one PDF.
func TestSearchExportCorrectBatch(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	officer := e.login("officer")
	fine := func(plate, at string) map[string]any {
		return e.issue(officer, map[string]any{"plate": plate, "violationCode": "7-15", "occurredAt": "2026-11-03T" + at + ":00+01:00",
			"place": "Via Torino 12", "contestation": "immediate"})
	}
	// Listed newest first: c, b, a.
	a, b, c := fine("AB123CD", "08:00"), fine("AB999ZZ", "08:10"), fine("XY123CD", "08:20")
	list := func(query string) []string {
		t.Helper()
		r := e.do("GET", "/api/v1/fines?"+query, nil, "Authorization", officer)
		if r.status != 200 {
			t.Fatalf("GET /api/v1/fines?%s: %d %s", query, r.status, r.body)
		}
		var plates []string
		for _, it := range r.json(t)["items"].([]any) {
			plates = append(plates, it.(map[string]any)["plate"].(string))
		}
		return plates
	}
	for query, want := range map[string]string{
		"q=ab123":                         "AB123CD",
		"q=123cd":                         "XY123CD AB123CD",
		"q=" + b["reportNumber"].(string): "AB999ZZ",
		"q=2026/2":                        "AB999ZZ", // leading zeros optional
		"q=2026/1000000":                  "",        // a big city's millionth fine of a year has seven digits
		"q=" + navs(c)["minimum"]:         "XY123CD",
		"q=" + navs(c)["minimum"] + "&status=paid": "",
		"unpaid=true&q=AB":                         "AB999ZZ AB123CD",
	} {
		if got := strings.Join(list(query), " "); got != want {
			t.Errorf("search %s = %q, want %q", query, got, want)
		}
	}
	if r := e.do("GET", "/api/v1/fines?q=a%2Fb", nil, "Authorization", officer); r.status != 422 || r.code(t) != "validation_failed" {
		t.Errorf("a search of punctuation: %d %s", r.status, r.body)
	}

	e.payDue(navs(a)["reduced"])
	if got := strings.Join(list("unpaid=true"), " "); got != "XY123CD AB999ZZ" {
		t.Errorf("unpaid after paying AB123CD = %q", got)
	}
	for _, query := range []string{"unpaid=true&status=paid", "unpaid=true&status=cancelled"} {
		if got := strings.Join(list(query), " "); got != "" {
			t.Errorf("%s = %q: nothing is unpaid and paid or cancelled", query, got)
		}
	}
	// Contested on the spot, the fines are notified, none only issued.
	if got := strings.Join(list("unpaid=true&status=issued"), " ") + "/" + strings.Join(list("unpaid=true&status=notified"), " "); got != "/XY123CD AB999ZZ" {
		t.Errorf("unpaid issued/notified = %q", got)
	}
	csv := e.do("GET", "/api/v1/fines.csv?locale=it&unpaid=true", nil, "Authorization", officer)
	if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") {
		t.Fatalf("export: %d %s", csv.status, csv.body)
	}
	lines := strings.Split(strings.TrimSpace(string(csv.body)), "\r\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "\ufeffreportNumber;plate;") {
		t.Fatalf("export lines = %q", lines)
	}
	if !strings.Contains(lines[2], `;"=""`+navs(b)["minimum"]+`""";`) || !strings.Contains(lines[2], ";29,40;2940;reduced;") || !strings.HasPrefix(lines[2], b["reportNumber"].(string)+";AB999ZZ;") {
		t.Errorf("export row of AB999ZZ = %q, want its notice number as =\"…\" text and 29,40 due", lines[2])
	}

	// Correction: supervisors only, with a reason; the old value is kept
	// and the trail names who did what.
	corr := map[string]any{"plate": "ab999zy", "reason": "plate typo"}
	if r := e.do("POST", "/api/v1/fines/"+b["id"].(string)+"/correction", corr, "Authorization", officer); r.status != 403 {
		t.Errorf("an officer corrects: %d", r.status)
	}
	super := e.login("super")
	r := e.do("POST", "/api/v1/fines/"+b["id"].(string)+"/correction", corr, "Authorization", super)
	if r.status != 200 || r.json(t)["plate"] != "AB999ZY" {
		t.Fatalf("correction: %d %s", r.status, r.body)
	}
	h := e.do("GET", "/api/v1/fines/"+b["id"].(string)+"/history", nil, "Authorization", officer).json(t)
	events := h["events"].([]any)
	if len(events) != 2 || events[0].(map[string]any)["by"] != "officer" || events[1].(map[string]any)["by"] != "super" {
		t.Errorf("history events = %v, want create by officer, update by super", events)
	}
	ch := h["corrections"].([]any)[0].(map[string]any)["changes"].([]any)[0].(map[string]any)
	if ch["old"] != "AB999ZZ" || ch["new"] != "AB999ZY" {
		t.Errorf("correction kept %v, want AB999ZZ → AB999ZY", ch)
	}
	r = e.do("POST", "/api/v1/fines/"+a["id"].(string)+"/correction", map[string]any{"place": "Via Roma 1", "reason": "wrong street"},
		"Authorization", super, "Accept-Language", "it")
	if r.status != 409 || r.code(t) != "already_paid" || !strings.Contains(r.json(t)["detail"].(string), "una multa pagata non si può correggere") {
		t.Errorf("correcting a paid fine: %d %s", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/fines/"+c["id"].(string)+"/correction", map[string]any{"plate": "XY123CD", "reason": "x"}, "Authorization", super)
	if r.status != 422 {
		t.Errorf("a correction that changes nothing: %d %s", r.status, r.body)
	}

	pdf := e.do("POST", "/api/v1/fines/notices.pdf", map[string]any{"ids": []string{a["id"].(string), b["id"].(string), c["id"].(string)}}, "Authorization", officer)
	if pdf.status != 200 || !bytes.HasPrefix(pdf.body, []byte("%PDF")) {
		t.Fatalf("batch print: %d %.200s", pdf.status, pdf.body)
	}
	if n := bytes.Count(pdf.body, []byte("/Type /Page\n")) + bytes.Count(pdf.body, []byte("/Type /Page ")) + bytes.Count(pdf.body, []byte("/Type /Page>")); n != 3 {
		t.Errorf("batch PDF has %d pages, want 3", n)
	}
	if r := e.do("POST", "/api/v1/fines/notices.pdf", map[string]any{"ids": []string{}}, "Authorization", officer); r.status != 422 {
		t.Errorf("empty batch: %d", r.status)
	}
	if r := e.do("POST", "/api/v1/fines/notices.pdf", map[string]any{"ids": []string{"nope"}}, "Authorization", officer); r.status != 404 {
		t.Errorf("unknown fine in a batch: %d", r.status)
	}
}
