package pwa_test

import (
	"bytes"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/multa/multa/fdr"
	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
)

// raw sends a request with a raw body and returns the status and body.
func (e *env) raw(method, path, bearer, contentType string, body []byte, headers ...string) (int, []byte) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.backend+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// payByCard pays a notice's amount due through the API with a sandbox card.
func (e *env) payByCard(nav string) {
	e.t.Helper()
	var tok struct{ Token string }
	if st := e.api("POST", "/psp/v1/tokens", "", map[string]any{"number": "4242424242424242", "expMonth": 12, "expYear": e.clock.Now().Year() + 3, "cvc": "123"}, &tok); st != 201 {
		e.t.Fatalf("token: %d", st)
	}
	v := e.notice(nav)
	body, _ := json.Marshal(map[string]any{"amountCents": v.AmountDue.Cents, "token": tok.Token})
	if st, b := e.raw("POST", "/api/v1/notices/"+nav+"/payments", "", "application/json", body, "Idempotency-Key", "recon-"+nav); st != 201 {
		e.t.Fatalf("pay %s: %d %s", nav, st, b)
	}
}

// TestBrowserReconciliationUpload: finance drops a settlement flow and a
// bank statement on the dashboard at once, and the day's reconciliation
// shows every category with the same count as the API.
func TestBrowserReconciliationUpload(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed: CI installs it (.ci/run)")
	}
	e := startEnv(t)
	officer := e.login("vigile")
	paid := []string{e.issue(officer, "AB123CD", "7-15"), e.issue(officer, "BC234DE", "7-15")}
	standIn := e.issue(officer, "CD345EF", "7-15")
	for _, nav := range paid {
		e.payByCard(nav)
	}
	admin := e.login("admin")
	today := notices.DateOf(e.clock.Now()).String()

	// The sandbox's flow of today, with a stand-in payment of the third
	// fine, a payment that is no notice of ours, and a wrong total.
	st, body := e.raw("GET", "/api/v1/reconciliation/psp-flow?date="+today, admin, "", nil)
	if st != 200 {
		t.Fatalf("psp-flow: %d %s", st, body)
	}
	f, err := fdr.DecodeXML(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	sn, err := notices.ParseNAV(standIn)
	if err != nil {
		t.Fatal(err)
	}
	day := notices.DateOf(e.clock.Now())
	f.Lines = append(f.Lines,
		notices.SettlementLine{IUV: sn.IUV(), IUR: "STANDIN-1", TransferIndex: 1, AmountCents: e.notice(standIn).AmountDue.Cents, Outcome: notices.OutcomeStandIn, Date: day},
		notices.SettlementLine{IUV: "01999999999999999", IUR: "OTHER-1", TransferIndex: 1, AmountCents: 700, Outcome: notices.OutcomeExecuted, Date: day})
	f.DeclaredCount, f.DeclaredCents = len(f.Lines), f.PaidCents()-100
	var flowXML bytes.Buffer
	if err := fdr.EncodeXML(&flowXML, &f); err != nil {
		t.Fatal(err)
	}
	statement := fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"><BkToCstmrStmt><GrpHdr><MsgId>M</MsgId><CreDtTm>%[1]sT20:00:00</CreDtTm></GrpHdr>
<Stmt><Id>STMT-%[1]s</Id><Acct><Id><IBAN>IT60X0542811101000000123456</IBAN></Id></Acct>
<Ntry><Amt Ccy="EUR">250.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts><Cd>BOOK</Cd></Sts><BookgDt><Dt>%[1]s</Dt></BookgDt><AcctSvcrRef>RENT</AcctSvcrRef><BkTxCd/></Ntry>
</Stmt></BkToCstmrStmt></Document>`, today)

	e.step("finance drops a flow and a statement and sees the day reconciled", func(t *testing.T) {
		b := e.browser(chromium, t.TempDir(), "")
		defer b.close()
		b.do("sign in as admin", chromedp.Navigate(e.public+"/office/"), chromedp.WaitVisible(chromedp.ID("login-username")),
			chromedp.SendKeys(chromedp.ID("login-username"), "admin"),
			chromedp.SendKeys(chromedp.ID("login-password"), password),
			chromedp.Tap(chromedp.ID("login-submit")),
			chromedp.WaitVisible(chromedp.ID("tab-dashboard")))
		b.do("open the dashboard", chromedp.Tap(chromedp.ID("tab-dashboard")), chromedp.WaitVisible(chromedp.ID("recon-drop")))
		files, _ := json.Marshal([]map[string]string{
			{"name": f.ID + ".xml", "type": "application/xml", "text": flowXML.String()},
			{"name": "estratto-conto.xml", "type": "application/xml", "text": statement},
		})
		// Both files in one drop, as from a file manager.
		b.eval(`(() => {
			const dt = new DataTransfer();
			for (const f of ` + string(files) + `) dt.items.add(new File([f.text], f.name, { type: f.type }));
			const zone = document.getElementById('recon-drop');
			zone.dispatchEvent(new DragEvent('dragover', { dataTransfer: dt, bubbles: true, cancelable: true }));
			zone.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
			return '';
		})()`)
		b.do("wait for both uploads", chromedp.WaitVisible(`#recon-upload-msg li[data-kind="ok"] + li[data-kind="ok"]`))
		b.do("check the day", chromedp.SetValue(chromedp.ID("recon-date"), today), chromedp.Click(chromedp.ID("recon-check")),
			chromedp.WaitVisible(`#recon-facts dd[data-key="stand_in"]`))
		// The result may still be the one of a check started by the
		// upload: wait until the counts are those of the API.
		var rec struct {
			Counts map[string]int `json:"counts"`
		}
		if st := e.api("GET", "/api/v1/reconciliation?date="+today, admin, nil, &rec); st != 200 {
			t.Fatalf("API: %d", st)
		}
		want := map[string]int{"matched": 2, "stand_in": 1, "line_without_receipt": 1, "flow_total_differs": 1, "bank_pending": 1, "credit_without_flow": 1}
		for k, n := range want {
			if rec.Counts[k] != n {
				t.Errorf("API %s = %d, want %d", k, rec.Counts[k], n)
			}
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			var shown map[string]string
			b.evalInto(`Object.fromEntries([...document.querySelectorAll('#recon-facts dd[data-key]')].map((d) => [d.dataset.key, d.textContent]))`, &shown)
			var diff []string
			for k, n := range rec.Counts {
				if shown[k] != fmt.Sprint(n) {
					diff = append(diff, fmt.Sprintf("%s: shown %q, API %d", k, shown[k], n))
				}
			}
			if len(diff) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the dashboard disagrees with the API: %s", strings.Join(diff, "; "))
			}
			time.Sleep(200 * time.Millisecond)
		}
		// A period (yesterday and today) counts the same: nothing else happened.
		yesterday := day.AddDays(-1).String()
		b.do("check a period", chromedp.SetValue(chromedp.ID("recon-date"), yesterday), chromedp.SetValue(chromedp.ID("recon-to"), today),
			chromedp.Click(chromedp.ID("recon-check")), chromedp.WaitVisible(`#recon-facts dd[data-key="stand_in"]`))
		var period struct {
			From, To string
			Counts   map[string]int `json:"counts"`
		}
		if st := e.api("GET", "/api/v1/reconciliation?from="+yesterday+"&to="+today, admin, nil, &period); st != 200 || period.From != yesterday || period.To != today {
			t.Fatalf("period: %d %+v", st, period)
		}
		for k, n := range period.Counts {
			if n != rec.Counts[k] {
				t.Errorf("the period counts %s %d, the day %d", k, n, rec.Counts[k])
			}
			if got := b.text(`#recon-facts dd[data-key="` + k + `"]`); got != fmt.Sprint(n) {
				t.Errorf("dashboard period %s = %q, want %d", k, got, n)
			}
		}
		b.expectText(`#recon-problems li[data-category="stand_in"]`, "stand-in")
		b.expectText(`#recon-problems li[data-category="flow_total_differs"]`, "dichiara")
		b.audit("dashboard-reconciliation")
		b.do("open the stand-in fine", chromedp.Click(`#recon-problems li[data-category="stand_in"] .dash-fine`), chromedp.WaitVisible(chromedp.ID("fine-payments")))
		b.expectText("#fine-payments", "stand-in")
	})
}

// TestBrowserReconciliationOfADayThreeWays is issue 11's "done when" in
// the dashboard: the day of 1,000 receipts (testkit.BuildReconDay), its
// flows (one of them zipped with a revision) and the bank statement are
// dropped on the dashboard at once, and every category shows the count
// the day must have, which is also the API's.
func TestBrowserReconciliationOfADayThreeWays(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser; skipped with -short")
	}
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed: CI installs it (.ci/run)")
	}
	e := startEnv(t)
	// A Tuesday a week or more ago, with no holiday from it to Thursday:
	// its receipts are long past their settlement window.
	cal := e.kit.Settings.Calendar
	d := notices.DateOf(time.Now()).AddDays(-7)
	for d.Weekday() != time.Tuesday || cal.IsHoliday(d) || cal.IsHoliday(d.AddDays(1)) || cal.IsHoliday(d.AddDays(2)) {
		d = d.AddDays(-1)
	}
	day := testkit.BuildReconDay(t, e.kit.Store, e.kit.Sandbox, e.kit.Settings, e.clock, d)
	e.clock.Set(time.Now()) // back to the browser's time
	admin := e.login("admin")

	e.step("finance drops the day's flows, a zip and the statement, and every category is counted", func(t *testing.T) {
		b := e.browser(chromium, t.TempDir(), "")
		defer b.close()
		b.do("sign in as admin", chromedp.Navigate(e.public+"/office/"), chromedp.WaitVisible(chromedp.ID("login-username")),
			chromedp.SendKeys(chromedp.ID("login-username"), "admin"),
			chromedp.SendKeys(chromedp.ID("login-password"), password),
			chromedp.Tap(chromedp.ID("login-submit")),
			chromedp.WaitVisible(chromedp.ID("tab-dashboard")))
		b.do("open the dashboard", chromedp.Tap(chromedp.ID("tab-dashboard")), chromedp.WaitVisible(chromedp.ID("recon-drop")))
		type file struct{ Name, Type, B64 string }
		var files []file
		for _, u := range day.Uploads {
			files = append(files, file{u.Name, u.ContentType, base64.StdEncoding.EncodeToString(u.Body)})
		}
		js, _ := json.Marshal(files)
		b.eval(`(() => {
			const dt = new DataTransfer();
			for (const f of ` + string(js) + `) {
				const bin = atob(f.B64), bytes = new Uint8Array(bin.length);
				for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
				dt.items.add(new File([bytes], f.Name, { type: f.Type }));
			}
			document.getElementById('recon-drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
			return '';
		})()`)
		// One line per flow (the sandbox's, three in the zip) and one for the statement.
		deadline := time.Now().Add(60 * time.Second)
		for {
			var ok, bad int
			b.evalInto(`[document.querySelectorAll('#recon-upload-msg li[data-kind="ok"]').length, document.querySelectorAll('#recon-upload-msg li[data-kind="error"]').length]`, &[]*int{&ok, &bad})
			if bad > 0 {
				t.Fatalf("an upload failed: %s", b.text("#recon-upload-msg"))
			}
			if ok == 5 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("uploads: %s", b.text("#recon-upload-msg"))
			}
			time.Sleep(250 * time.Millisecond)
		}
		b.do("check the day", chromedp.SetValue(chromedp.ID("recon-date"), d.String()), chromedp.Click(chromedp.ID("recon-check")),
			chromedp.WaitVisible(`#recon-facts dd[data-key="matched"]`))
		var rec struct {
			Counts   map[string]int `json:"counts"`
			Receipts struct{ Count int }
		}
		if st := e.api("GET", "/api/v1/reconciliation?date="+d.String(), admin, nil, &rec); st != 200 {
			t.Fatalf("API: %d", st)
		}
		if rec.Receipts.Count != day.Receipts {
			t.Errorf("API receipts %d, want %d", rec.Receipts.Count, day.Receipts)
		}
		deadline = time.Now().Add(15 * time.Second)
		for {
			var shown map[string]string
			b.evalInto(`Object.fromEntries([...document.querySelectorAll('#recon-facts dd[data-key]')].map((d) => [d.dataset.key, d.textContent]))`, &shown)
			var diff []string
			for _, c := range notices.Categories {
				want := day.Want[c]
				if shown[string(c)] != fmt.Sprint(want) || rec.Counts[string(c)] != want {
					diff = append(diff, fmt.Sprintf("%s: dashboard %q, API %d, want %d", c, shown[string(c)], rec.Counts[string(c)], want))
				}
			}
			if len(diff) == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("counts:\n%s", strings.Join(diff, "\n"))
			}
			time.Sleep(250 * time.Millisecond)
		}
		// The CSV of the day counts the same.
		st, csvBody := e.raw("GET", "/api/v1/reconciliation?date="+d.String(), admin, "", nil, "Accept", "text/csv")
		if st != 200 {
			t.Fatalf("CSV: %d", st)
		}
		cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvBody, []byte("\uFEFF"))))
		cr.Comma = ';'
		rows, err := cr.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		got := map[notices.ReconCategory]int{}
		for _, row := range rows[1:] {
			got[notices.ReconCategory(row[len(row)-1])]++
		}
		for _, c := range notices.Categories {
			if got[c] != day.Want[c] {
				t.Errorf("CSV: %s = %d, want %d", c, got[c], day.Want[c])
			}
		}
		// With MULTA_SCREENSHOTS set, the README's picture of it (the
		// journey's numbered pictures in that folder are left alone).
		if dir := os.Getenv(screenshotsEnv); dir != "" {
			buf, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "dashboard-reconciliation.png"), buf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if n := b.eval(`String(document.querySelectorAll('#recon-problems li').length)`); n != "10" {
			t.Errorf("%s problem rows listed, want 10 (every row but the matched ones)", n)
		}

		// UniCredit's flow was sent to the wrong office: finance withdraws
		// it from its row, with a reason; its payments are then unsettled.
		row := `#recon-problems li[data-category="flow_not_credited"]`
		b.do("withdraw UniCredit's flow", chromedp.Click(row+` .dash-withdraw`), chromedp.WaitVisible(row+` .dash-withdraw-form input`),
			chromedp.SendKeys(row+` .dash-withdraw-form input`, "inviato all'ufficio sbagliato"),
			chromedp.Click(row+` .dash-withdraw-form button[type="submit"]`))
		deadline = time.Now().Add(15 * time.Second)
		for b.text(`#recon-facts dd[data-key="receipt_without_line"]`) != "303" {
			if time.Now().After(deadline) {
				t.Fatalf("after the withdrawal: receipt_without_line %q, want 303", b.text(`#recon-facts dd[data-key="receipt_without_line"]`))
			}
			time.Sleep(250 * time.Millisecond)
		}
		var hist struct {
			Revisions []struct {
				Withdrawal *struct{ Reason, By string }
			}
		}
		if st := e.api("GET", "/api/v1/reconciliation/flows/"+d.String()+"UNCRITMMXXX-9", admin, nil, &hist); st != 200 || len(hist.Revisions) != 1 ||
			hist.Revisions[0].Withdrawal == nil || hist.Revisions[0].Withdrawal.Reason != "inviato all'ufficio sbagliato" || hist.Revisions[0].Withdrawal.By != "admin" {
			t.Errorf("history: %d %+v", st, hist)
		}
	})
}
