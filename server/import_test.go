package server_test

import (
	"strings"
	"testing"
)

// TestImportReportsEachRow: a camera export with good and bad rows issues
// the good ones and explains each bad one, by row number.
func TestImportReportsEachRow(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	bearer := e.login("officer")
	csv := strings.Join([]string{
		"place,plate,occurredAt,violationCode,lat,lon", // columns in any order
		"Viale Monza 120,AB123CD,2026-11-02T23:10:00+01:00,142-8,45.50,9.22",
		"Viale Monza 120,,2026-11-02T23:11:00+01:00,142-8,,",               // no plate
		"Viale Monza 120,EF456GH,yesterday,142-8,,",                        // bad time
		"Viale Monza 120,IJ789KL,2026-11-02T23:12:00+01:00,999-9,,",        // unknown violation
		`"Via Torino 12, Milano",MN012OP,2026-11-02T08:00:00+01:00,7-15,,`, // quoted comma
		"Viale Monza 120,QR345ST,2026-11-02T23:13:00+01:00,142-8,north,",   // bad latitude
	}, "\n")
	r := e.do("POST", "/api/v1/fines/import", []byte(csv), "Authorization", bearer, "Content-Type", "text/csv")
	if r.status != 200 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	body := r.json(t)
	if body["imported"] != 2.0 || body["failed"] != 4.0 {
		t.Fatalf("imported %v, failed %v; want 2 and 4: %s", body["imported"], body["failed"], r.body)
	}
	wantField := map[float64]string{3: "plate", 4: "occurredAt", 5: "violationCode", 7: "lat"}
	for _, row := range body["rows"].([]any) {
		m := row.(map[string]any)
		n := m["row"].(float64)
		if field, bad := wantField[n]; bad {
			errs, _ := m["errors"].([]any)
			if len(errs) == 0 || errs[0].(map[string]any)["field"] != field {
				t.Errorf("row %v: errors %v, want one about %s", n, m["errors"], field)
			}
			continue
		}
		if m["id"] == nil || m["reportNumber"] == nil {
			t.Errorf("row %v was not issued: %v", n, m)
		}
	}
	// Camera fines are deferred: issued, not yet notified, no fees, and the
	// night surcharge applies to the 23:10 speeding.
	page := e.do("GET", "/api/v1/fines?plate=AB123CD", nil, "Authorization", bearer).json(t)
	f := page["items"].([]any)[0].(map[string]any)
	if f["status"] != "issued" || f["night"] != true || f["lat"] != 45.5 {
		t.Errorf("imported fine = %v", f)
	}
	if r := e.do("POST", "/api/v1/fines/import", []byte("plate,place\nAB123CD,x"), "Authorization", bearer, "Content-Type", "text/csv"); r.status != 422 || r.code(t) != "validation_failed" {
		t.Errorf("missing columns: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/fines/import", []byte(csv), "Authorization", e.login("money"), "Content-Type", "text/csv"); r.status != 403 {
		t.Errorf("finance imports fines: %d", r.status)
	}
}

// TestImportItalianExportTwice: what an Italian office exports (BOM, ";",
// Italian headers, dd/mm/yyyy hh:mm, decimal commas, CRLF) imports; an
// unclosed quote refuses its own line only, with the right row numbers
// after it; the same file a second time creates nothing and reports each
// detection as a duplicate; the answer speaks Italian when asked to.
func TestImportItalianExportTwice(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	bearer := e.login("officer")
	csv := "\ufeffTarga;Codice violazione;Data/Ora;Luogo;Latitudine;Longitudine\r\n" +
		"AB123CD;142-8;02/11/2026 23:10;Viale Monza 120, Milano;45,5;9,22\r\n" +
		"EF456GH;7-15;02/11/2026 08:00;\"Via Torino 12\r\n" + // unclosed quote
		"IJ789KL;7-15;02/11/2026 08:05;Via Po 3;;\r\n" +
		"MN012OP;7-15;31/02/2026 08:05;Via Po 3;;\r\n" // no such day
	dry := e.do("POST", "/api/v1/fines/import?dryRun=true", []byte(csv), "Authorization", bearer, "Content-Type", "text/csv").json(t)
	if dry["separator"] != ";" || dry["valid"] != 2.0 || dry["imported"] != 0.0 {
		t.Fatalf("dry run = %v", dry)
	}
	if cols := dry["columns"].(map[string]any); cols["plate"] != "Targa" || cols["occurredAt"] != "Data/Ora" {
		t.Errorf("dry run columns = %v", cols)
	}
	if page := e.do("GET", "/api/v1/fines", nil, "Authorization", bearer).json(t); len(page["items"].([]any)) != 0 {
		t.Fatalf("a dry run saved fines: %v", page["items"])
	}
	outcome := func(body map[string]any) map[float64]string {
		got := map[float64]string{}
		for _, r := range body["rows"].([]any) {
			m := r.(map[string]any)
			s := m["status"].(string)
			if errs, _ := m["errors"].([]any); len(errs) > 0 {
				fe := errs[0].(map[string]any)
				s += " " + fe["field"].(string) + ": " + fe["message"].(string)
			}
			got[m["row"].(float64)] = s
		}
		return got
	}
	r := e.do("POST", "/api/v1/fines/import", []byte(csv), "Authorization", bearer, "Content-Type", "text/csv", "Accept-Language", "it-IT,it;q=0.9,en;q=0.8")
	first := outcome(r.json(t))
	want := map[float64]string{2: "imported", 3: "refused row: virgolette non chiuse su questa riga", 4: "imported",
		5: "refused occurredAt: deve essere gg/mm/aaaa hh:mm oppure data e ora RFC 3339 con fuso"}
	for row, w := range want {
		if first[row] != w {
			t.Errorf("first import, row %v: %q, want %q", row, first[row], w)
		}
	}
	page := e.do("GET", "/api/v1/fines?plate=AB123CD", nil, "Authorization", bearer).json(t)
	f := page["items"].([]any)[0].(map[string]any)
	if f["night"] != true || f["lat"] != 45.5 || f["lon"] != 9.22 {
		t.Errorf("imported fine = %v, want 23:10 Rome (night) at 45.5, 9.22", f)
	}
	second := e.do("POST", "/api/v1/fines/import", []byte(csv), "Authorization", bearer, "Content-Type", "text/csv").json(t)
	if second["imported"] != 0.0 || second["duplicates"] != 2.0 {
		t.Fatalf("second import: %v", second)
	}
	if got := outcome(second)[2]; !strings.HasPrefix(got, "duplicate row: already imported as report 2026/") {
		t.Errorf("second import, row 2: %q, want a duplicate naming the first report", got)
	}
}
