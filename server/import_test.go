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
