package server_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

// TestReconciliationCSVForItalianExcel: with locale=it the export uses
// semicolons and decimal commas, as Excel set to Italian opens a file.
func TestReconciliationCSVForItalianExcel(t *testing.T) {
	e := newEnv(t, rome("2026-03-11 10:00:00"))
	e.payDue(navs(parkingFine(e, e.login("officer")))["reduced"])
	money := e.login("money")
	r := e.do("GET", "/api/v1/reconciliation?date=2026-03-11&locale=it", nil, "Authorization", money, "Accept", "text/csv")
	if r.status != 200 {
		t.Fatalf("CSV: %d %s", r.status, r.body)
	}
	rd := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.body, []byte("\xEF\xBB\xBF"))))
	rd.Comma = ';'
	rows, err := rd.ReadAll()
	if err != nil || len(rows) != 2 {
		t.Fatalf("rows %v, err %v", rows, err)
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	if got := rows[1][col["receiptAmount"]]; got != "29,40" {
		t.Errorf("receiptAmount = %q, want 29,40", got)
	}
	if r := e.do("GET", "/api/v1/reconciliation?date=2026-03-11&locale=xx", nil, "Authorization", money, "Accept", "text/csv"); r.status != 422 || !strings.Contains(string(r.body), "locale") {
		t.Errorf("unknown locale: %d %s", r.status, r.body)
	}
}
