package server_test

import (
	"bytes"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// ownerRossi is the owner the registry names for the camera fines here.
var ownerRossi = map[string]any{
	"kind": "person", "role": "owner", "name": "Rossi Mario", "fiscalCode": "RSSMRA80A01H501U",
	"birthDate": "1980-01-01", "birthPlace": "Roma", "address": "Via Roma 1, 20121 Milano",
}

// cameraFine issues a 142-8 speeding photographed on Tue 1 Sep 2026.
func cameraFine(e *env) map[string]any {
	e.t.Helper()
	return e.issue(e.login("officer"), map[string]any{
		"plate": "AB123CD", "violationCode": "142-8", "occurredAt": "2026-09-01T10:00:00+02:00",
		"place": "Viale Monza 12, Milano", "contestation": "deferred",
	})
}

func (e *env) ok(r response, status int, what string) map[string]any {
	e.t.Helper()
	if r.status != status {
		e.t.Fatalf("%s: %d %s", what, r.status, r.body)
	}
	return r.json(e.t)
}

// TestVerbaleCameraFineThroughCompiutaGiacenza is the issue's black-box
// journey: a camera fine, its owner added when the registry answers, sent
// by post, deposited, perfected by compiuta giacenza ten days after the
// CAD; the driver sees (and a payment is charged) the new amounts and
// deadlines from the perfection day and not before; the owner names the
// driver from the driver app and the office records it.
func TestVerbaleCameraFineThroughCompiutaGiacenza(t *testing.T) {
	e := newEnv(t, rome("2026-09-01 10:30:00"))
	fine := cameraFine(e)
	id, nav := fine["id"].(string), navs(fine)["reduced"]

	// The verbale without an owner: the registry has not answered yet.
	off := e.login("officer")
	v := map[string]any{"vehicle": map[string]any{"type": "car", "make": "Fiat", "model": "Panda"}, "agents": []string{"PL-0042"}, "deferredReason": "camera"}
	e.ok(e.do("PUT", "/api/v1/fines/"+id+"/verbale", v, "Authorization", off), 200, "verbale without owner")
	bad := map[string]any{"vehicle": map[string]any{"type": "car"}, "statement": "not on the spot"}
	r := e.do("PUT", "/api/v1/fines/"+id+"/verbale", bad, "Authorization", off)
	if r.status != 422 || r.code(t) != "validation_failed" || !strings.Contains(string(r.body), "verbale.deferredReason") {
		t.Fatalf("invalid verbale: %d %s", r.status, r.body)
	}

	// 10 Sep: the owner is known; the 90 days run from today.
	e.clock.Set(rome("2026-09-10 09:00:00"))
	off = e.login("officer")
	v["owner"] = ownerRossi
	got := e.ok(e.do("PUT", "/api/v1/fines/"+id+"/verbale", v, "Authorization", off), 200, "owner added")
	if term := got["notificationTerm"].(map[string]any); term["due"] != "2026-12-09" || term["party"] != "resident" {
		t.Errorf("notificationTerm = %v, want resident by 2026-12-09", term)
	}
	terms := e.ok(e.do("GET", "/api/v1/notification-terms?within=100", nil, "Authorization", off), 200, "terms")
	if items := terms["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
		t.Errorf("approaching terms = %v", items)
	}

	// 15 Sep: sent by post. 20 Sep: the postal provider's file says the
	// envelope was deposited and the CAD sent on Fri 18 Sep.
	e.clock.Set(rome("2026-09-15 12:00:00"))
	off = e.login("officer")
	e.ok(e.do("POST", "/api/v1/fines/"+id+"/notifications", map[string]any{"recipient": "owner", "channel": "post", "sentOn": "2026-09-15", "evidence": "RR 6123 4567 8901"}, "Authorization", off), 201, "send")
	e.clock.Set(rome("2026-09-20 12:00:00"))
	off = e.login("officer")
	csv := "noticeNumber,outcome,on,collectedOn,evidence\n" +
		nav + ",post_deposited,2026-09-18,,CAD 6123 4567 8901\n" +
		"302032002700000251,post_delivered,2026-09-18,,x\n" + // no such notice
		nav + ",post_delivered,2026-13-01,,x\n" // bad date
	imp := e.ok(e.do("POST", "/api/v1/notification-outcomes/import", []byte(csv), "Authorization", off, "Content-Type", "text/csv"), 200, "import")
	if imp["applied"] != 1.0 || imp["failed"] != 2.0 {
		t.Fatalf("import = %v", imp)
	}
	row := imp["rows"].([]any)[0].(map[string]any)
	if row["notifiedOn"] != "2026-09-28" {
		t.Errorf("perfected on %v, want 2026-09-28 (10 days after the CAD)", row["notifiedOn"])
	}

	// 27 Sep: not yet perfected: the violation's own terms, no fees.
	for _, tc := range []struct {
		on, stage        string
		cents, fees      float64
		payBy, notified  string
		perfectsOn, term string
	}{
		{"2026-09-27", "minimum", 17300, 0, "2026-10-31", "", "2026-09-28", ""},
		// 28 Sep: 30% off plus €13.00 post until Sat 3 Oct; Prefetto and
		// 126-bis 60 days (Fri 27 Nov).
		{"2026-09-28", "reduced", 12110 + 1300, 1300, "2026-10-03", "2026-09-28", "", "2026-11-27"},
		{"2026-10-05", "minimum", 17300 + 1300, 1300, "2026-11-27", "2026-09-28", "", "2026-11-27"},
	} {
		e.clock.Set(rome(tc.on + " 10:00:00"))
		r := e.ok(e.do("GET", "/api/v1/notices/"+nav, nil), 200, "verify "+tc.on)
		due := r["amountDue"].(map[string]any)
		if due["stage"] != tc.stage || due["cents"] != tc.cents || due["feesCents"] != tc.fees || due["payBy"] != tc.payBy {
			t.Errorf("%s: amountDue = %v, want %s %v (fees %v) until %s", tc.on, due, tc.stage, tc.cents, tc.fees, tc.payBy)
		}
		if n, _ := r["notifiedOn"].(string); n != tc.notified {
			t.Errorf("%s: notifiedOn = %v, want %q", tc.on, r["notifiedOn"], tc.notified)
		}
		if p, _ := r["perfectsOn"].(string); p != tc.perfectsOn {
			t.Errorf("%s: perfectsOn = %v, want %q", tc.on, r["perfectsOn"], tc.perfectsOn)
		}
		if tc.term != "" {
			terms, _ := r["terms"].(map[string]any)
			nd, _ := r["nameDriver"].(map[string]any)
			if terms["prefetto"] != tc.term || terms["giudiceDiPace"] != "2026-10-28" || nd["until"] != tc.term || nd["points"] != 3.0 {
				t.Errorf("%s: terms = %v, nameDriver = %v", tc.on, terms, nd)
			}
		}
		for _, secret := range []string{"Rossi", "RSSMRA", "Via Roma", "PL-0042", "Panda"} {
			if strings.Contains(string(e.do("GET", "/api/v1/notices/"+nav, nil).body), secret) {
				t.Errorf("the public verify answer shows %q", secret)
			}
		}
	}

	// A payment made on the perfection day at the old amount is refused
	// with the new one, as the node would be answered.
	e.clock.Set(rome("2026-09-28 10:00:00"))
	r = pay(e, nav, 17300, e.cardToken("4242424242424242"), "verbale-key-0001")
	if r.status != 409 || r.code(t) != "amount_changed" {
		t.Fatalf("payment at the pre-notification amount: %d %s", r.status, r.body)
	}
	if d := r.json(t)["amountDue"].(map[string]any); d["cents"] != 13410.0 {
		t.Errorf("amount_changed carries %v, want 13410", d)
	}

	// 5 Oct: the owner names the driver from the driver app.
	e.clock.Set(rome("2026-10-05 10:00:00"))
	decl := map[string]any{
		"driver": map[string]any{"name": "Bianchi Anna", "fiscalCode": "RSSMRA80A01H501U", "birthDate": "1990-05-03",
			"address": "Via Po 2, 10123 Torino", "licenceNumber": "TO1234567X", "licenceCategory": "B"},
		"declaredBy": "Rossi Mario", "ownerCode": "00000000000", "declaration": true,
	}
	if r := e.do("POST", "/api/v1/notices/"+nav+"/driver", decl); r.status != 403 || r.code(t) != "owner_mismatch" {
		t.Fatalf("declaration with another's code: %d %s", r.status, r.body)
	}
	decl["ownerCode"] = "rssmra80a01h501u"
	e.ok(e.do("POST", "/api/v1/notices/"+nav+"/driver", decl), 202, "declaration")
	if r := e.do("POST", "/api/v1/notices/"+nav+"/driver", decl); r.status != 409 {
		t.Errorf("second declaration: %d %s", r.status, r.body)
	}
	off = e.login("officer")
	list := e.ok(e.do("GET", "/api/v1/driver-identifications", nil, "Authorization", off), 200, "declarations")
	if items := list["items"].([]any); len(items) != 1 || items[0].(map[string]any)["owner"] != "Rossi Mario" {
		t.Fatalf("declarations awaiting review = %v", items)
	}
	rev := e.ok(e.do("POST", "/api/v1/fines/"+id+"/driver-identification/review", map[string]any{"accept": true}, "Authorization", off), 200, "review")
	if off := rev["verbale"].(map[string]any)["offender"].(map[string]any); off["licenceNumber"] != "TO1234567X" {
		t.Errorf("offender after review = %v", off)
	}
	pts := e.ok(e.do("GET", "/api/v1/licence-points", nil, "Authorization", off), 200, "points")
	if items := pts["items"].([]any); len(items) != 1 || items[0].(map[string]any)["points"] != 3.0 || items[0].(map[string]any)["source"] != "named" {
		t.Errorf("licence points = %v", items)
	}
	if r := e.ok(e.do("GET", "/api/v1/notices/"+nav, nil), 200, "verify"); r["nameDriver"].(map[string]any)["status"] != "accepted" {
		t.Errorf("driver app sees nameDriver = %v", r["nameDriver"])
	}

	// The printed notice carries the verbale, with the named driver.
	pdf := e.do("GET", "/api/v1/fines/"+id+"/notice.pdf", nil, "Authorization", off)
	if pdf.status != 200 {
		t.Fatalf("notice.pdf: %d %s", pdf.status, pdf.body)
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf.body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	text := strings.Join(strings.Fields(string(out)), " ")
	for _, s := range []string{"VERBALE DI ACCERTAMENTO", "PL-0042", "Fiat Panda", "Bianchi Anna", "TO1234567X", "Rossi Mario",
		"apparecchiatura omologata", "Notificato il 28/09/2026", "AVVISO DI PAGAMENTO"} {
		if !strings.Contains(text, s) {
			t.Errorf("notice.pdf lacks %q", s)
		}
	}

	// An administrator (accounts, not fines) prints the payment notice
	// without the verbale's personal data.
	adminPDF := e.do("GET", "/api/v1/fines/"+id+"/notice.pdf", nil, "Authorization", e.login("root"))
	cmd = exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(adminPDF.body)
	if out, err := cmd.Output(); err != nil || adminPDF.status != 200 || strings.Contains(string(out), "Rossi") || !strings.Contains(string(out), "AVVISO DI PAGAMENTO") {
		t.Errorf("admin's notice.pdf: %d %v, shows the owner: %v", adminPDF.status, err, strings.Contains(string(out), "Rossi"))
	}

	// Personal data: officers see it, finance does not.
	if f := e.ok(e.do("GET", "/api/v1/fines/"+id, nil, "Authorization", e.login("money")), 200, "finance view"); f["verbale"] != nil || f["notifications"] != nil {
		t.Errorf("finance sees personal data: %v", f["verbale"])
	}
	if f := e.ok(e.do("GET", "/api/v1/fines/"+id, nil, "Authorization", off), 200, "officer view"); f["verbale"] == nil || len(f["notifications"].([]any)) != 1 {
		t.Errorf("officer view lacks the verbale: %v", f)
	}
}

// TestLateNotificationIsVoidUntilDecided: a verbale not sent within 90
// days is flagged by the sweep, cannot be paid, and is payable again only
// after a supervisor lifts the flag.
func TestLateNotificationIsVoidUntilDecided(t *testing.T) {
	e := newEnv(t, rome("2026-09-01 10:30:00"))
	fine := cameraFine(e)
	id, nav := fine["id"].(string), navs(fine)["minimum"]
	v := map[string]any{"vehicle": map[string]any{"type": "car"}, "deferredReason": "camera", "owner": ownerRossi}
	e.ok(e.do("PUT", "/api/v1/fines/"+id+"/verbale", v, "Authorization", e.login("officer")), 200, "verbale")

	e.clock.Set(rome("2026-11-30 18:00:00")) // the last day
	sup := e.login("super")
	if r := e.ok(e.do("POST", "/api/v1/notification-terms/sweep", nil, "Authorization", sup), 200, "sweep"); len(r["flagged"].([]any)) != 0 {
		t.Fatalf("flagged on the last day: %v", r)
	}
	e.clock.Set(rome("2026-12-01 08:00:00"))
	sup = e.login("super")
	if r := e.ok(e.do("POST", "/api/v1/notification-terms/sweep", nil, "Authorization", sup), 200, "sweep"); len(r["flagged"].([]any)) != 1 {
		t.Fatalf("sweep after the term = %v", r)
	}
	if r := e.ok(e.do("GET", "/api/v1/notices/"+nav, nil), 200, "verify"); r["void"] != true {
		t.Errorf("verify of a void fine: void = %v", r["void"])
	}
	r := pay(e, nav, 17300, e.cardToken("4242424242424242"), "void-key-00001")
	if r.status != 409 || r.code(t) != "fine_void" {
		t.Fatalf("paying a void fine: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/fines/"+id+"/void-decision", map[string]any{"decision": "lift", "note": "x"}, "Authorization", e.login("officer")); r.status != 403 {
		t.Errorf("an officer decided: %d", r.status)
	}
	e.ok(e.do("POST", "/api/v1/fines/"+id+"/void-decision", map[string]any{"decision": "lift", "note": "the registry answered on 2 Sep"}, "Authorization", sup), 200, "lift")
	if r := pay(e, nav, 34700, e.cardToken("4242424242424242"), "void-key-00002"); r.status != 201 { // half the maximum after 60 days
		t.Errorf("payment after the flag was lifted: %d %s", r.status, r.body)
	}
}

// TestDriverPenaltyInOneStep: when 60 days pass after the notification
// with nobody named, the office issues the art. 126-bis c.2 fine once.
func TestDriverPenaltyInOneStep(t *testing.T) {
	e := newEnv(t, rome("2026-09-01 10:30:00"))
	fine := cameraFine(e)
	id := fine["id"].(string)
	off := e.login("officer")
	v := map[string]any{"vehicle": map[string]any{"type": "car"}, "deferredReason": "camera", "owner": ownerRossi}
	e.ok(e.do("PUT", "/api/v1/fines/"+id+"/verbale", v, "Authorization", off), 200, "verbale")
	e.clock.Set(rome("2026-09-02 10:00:00"))
	off = e.login("officer")
	e.ok(e.do("POST", "/api/v1/fines/"+id+"/notifications", map[string]any{"recipient": "owner", "channel": "pec", "sentOn": "2026-09-02", "address": "rossi@pec.example.it"}, "Authorization", off), 201, "send")
	e.ok(e.do("POST", "/api/v1/fines/"+id+"/notifications/1/outcome", map[string]any{"outcome": "pec_delivered", "on": "2026-09-02", "evidence": "RdAC <opec.1@pec.example.it>"}, "Authorization", off), 200, "outcome")
	if r := e.do("POST", "/api/v1/fines/"+id+"/driver-penalty", nil, "Authorization", off); r.status != 409 {
		t.Fatalf("penalty before the term: %d %s", r.status, r.body)
	}
	e.clock.Set(rome("2026-11-02 09:00:00")) // 2 Sep + 60 = Sun 1 Nov → Mon 2 Nov
	off = e.login("officer")
	if r := e.do("POST", "/api/v1/fines/"+id+"/driver-penalty", nil, "Authorization", off); r.status != 409 {
		t.Fatalf("penalty on the last day: %d %s", r.status, r.body)
	}
	e.clock.Set(rome("2026-11-03 09:00:00"))
	off = e.login("officer")
	overdue := e.ok(e.do("GET", "/api/v1/driver-identifications?status=overdue", nil, "Authorization", off), 200, "overdue")
	if len(overdue["items"].([]any)) != 1 {
		t.Fatalf("overdue = %v", overdue)
	}
	p := e.ok(e.do("POST", "/api/v1/fines/"+id+"/driver-penalty", nil, "Authorization", off), 201, "penalty")
	if p["violation"].(map[string]any)["code"] != "126bis-2" || p["plate"] != "AB123CD" || p["verbale"].(map[string]any)["owner"].(map[string]any)["name"] != "Rossi Mario" {
		t.Errorf("penalty fine = %v", p)
	}
	if r := e.do("POST", "/api/v1/fines/"+id+"/driver-penalty", nil, "Authorization", off); r.status != 409 {
		t.Errorf("second penalty: %d %s", r.status, r.body)
	}
}

// TestSweepRunsOnATimer: the server flags late fines by itself, without
// anyone pressing the supervisors' button.
func TestSweepRunsOnATimer(t *testing.T) {
	e := newEnv(t, rome("2026-09-01 10:30:00"))
	fine := cameraFine(e)
	v := map[string]any{"vehicle": map[string]any{"type": "car"}, "deferredReason": "camera", "owner": ownerRossi}
	e.ok(e.do("PUT", "/api/v1/fines/"+fine["id"].(string)+"/verbale", v, "Authorization", e.login("officer")), 200, "verbale")
	e.clock.Set(rome("2026-12-01 08:00:00"))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.srv.RunNotificationSweep(ctx, time.Hour); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for e.do("GET", "/api/v1/notices/"+navs(fine)["minimum"], nil).json(t)["void"] != true {
		if time.Now().After(deadline) {
			t.Fatal("the timed sweep did not flag the late fine")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	<-done
}
