package pwa_test

// The verbale's screens (issue 18) in a real Chromium: a camera fine with
// its owner, notified by PEC, seen by the driver with its appeal terms and
// the form to name the driver; the owner names the driver from the phone;
// the office finds the declaration in the Notifications tab, reviews it on
// the fine's page, and the points are listed for the registry. Its screens
// are saved as verbale-*.png (see screenshotsEnv), next to the journey's.
//
//	go test ./pwa -run 'BrowserVerbale' -v

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/multa/multa/notices"
)

func TestBrowserVerbale(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed: the browser test needs it (CI installs it in .ci/run)")
	}
	e := startEnv(t)
	// Not newShooter: that one clears the journey's NN-*.png screens.
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		dir = t.ArtifactDir()
	}
	dir, _ = filepath.Abs(dir)
	shots := &shooter{e: e, dir: dir}

	var id, nav string
	e.step("a camera fine with its owner, notified by PEC", func(t *testing.T) {
		tok := e.login("vigile")
		var fine struct {
			ID      string
			Options []struct{ Kind, NoticeNumber string }
		}
		req := map[string]any{"plate": "AB123CD", "violationCode": "142-8", "occurredAt": e.clock.Now().Add(-2 * time.Hour).Format(time.RFC3339),
			"place": "Viale Monza 12, Milano", "contestation": "deferred"}
		if st := e.api("POST", "/api/v1/fines", tok, req, &fine); st != 201 {
			t.Fatalf("issue: %d", st)
		}
		id, nav = fine.ID, fine.Options[0].NoticeNumber
		v := map[string]any{"vehicle": map[string]any{"type": "car", "make": "Fiat", "model": "Panda"}, "agents": []string{"PL-0042"}, "deferredReason": "camera",
			"owner": map[string]any{"kind": "person", "role": "owner", "name": "Rossi Mario", "fiscalCode": "RSSMRA80A01H501U",
				"address": "Via Roma 1, 20121 Milano", "pec": "mario.rossi@pec.example.it"}}
		if st := e.api("PUT", "/api/v1/fines/"+id+"/verbale", tok, v, nil); st != 200 {
			t.Fatalf("verbale: %d", st)
		}
		today := notices.DateOf(e.clock.Now()).String()
		if st := e.api("POST", "/api/v1/fines/"+id+"/notifications", tok, map[string]any{"recipient": "owner", "channel": "pec", "sentOn": today}, nil); st != 201 {
			t.Fatalf("send: %d", st)
		}
		if st := e.api("POST", "/api/v1/fines/"+id+"/notifications/1/outcome", tok, map[string]any{"outcome": "pec_delivered", "on": today, "evidence": "RdAC opec.42"}, nil); st != 200 {
			t.Fatalf("outcome: %d", st)
		}
	})

	e.step("the owner names the driver from the phone", func(t *testing.T) {
		phone := e.browser(chromium, t.TempDir(), "")
		defer phone.close()
		phone.do("open the notice", chromedp.Navigate(e.public+"/p/"+nav))
		phone.waitCheckout(nav)
		phone.do("the verbale's terms", chromedp.WaitVisible(chromedp.ID("name-driver")), chromedp.WaitVisible(chromedp.ID("verbale-terms")))
		if txt := phone.text("#verbale-card"); !strings.Contains(txt, "Prefetto") || !strings.Contains(txt, "Giudice di Pace") {
			t.Errorf("terms card = %q", txt)
		}
		if strings.Contains(phone.pageText(), "Rossi") {
			t.Error("the driver app shows the owner's name")
		}
		phone.do("scroll to the form", chromedp.ScrollIntoView(chromedp.ID("name-driver")))
		shots.take(phone, "verbale-driver-terms")
		phone.audit("driver verbale terms")
		phone.do("open the form", chromedp.Tap(chromedp.ID("name-driver-open")), chromedp.WaitVisible(chromedp.ID("name-driver-form")))
		phone.do("fill the driver",
			chromedp.SendKeys(chromedp.ID("nd-name"), "Bianchi Anna"),
			chromedp.SendKeys(chromedp.ID("nd-fiscalCode"), "RSSMRA80A01H501U"),
			chromedp.SendKeys(chromedp.ID("nd-address"), "Via Po 2, 10123 Torino"),
			chromedp.SendKeys(chromedp.ID("nd-licenceNumber"), "TO1234567X"),
			chromedp.SendKeys(chromedp.ID("nd-declaredBy"), "Rossi Mario"),
			chromedp.SendKeys(chromedp.ID("nd-ownerCode"), "00000000000"))
		phone.eval(`document.getElementById('nd-birthDate').value = '1990-05-03'`)
		phone.do("declare", chromedp.Tap(chromedp.ID("nd-declaration")))
		shots.take(phone, "verbale-driver-form")
		phone.audit("driver naming form")
		phone.do("send with another's code", chromedp.Tap(chromedp.ID("nd-submit")),
			until(`document.getElementById('nd-ownerCode').getAttribute('aria-invalid') === 'true'`, 20*time.Second))
		phone.eval(`document.getElementById('nd-ownerCode').value = ''`)
		phone.do("send with the owner's code", chromedp.SendKeys(chromedp.ID("nd-ownerCode"), "RSSMRA80A01H501U"), chromedp.Tap(chromedp.ID("nd-submit")),
			chromedp.WaitVisible(chromedp.CSS(`#name-driver[data-status="submitted"]`)))
		shots.take(phone, "verbale-driver-sent")
	})

	e.step("the office reviews the declaration", func(t *testing.T) {
		office := e.browser(chromium, t.TempDir(), "")
		defer office.close()
		office.do("sign in", chromedp.Navigate(e.public+"/office/"), chromedp.WaitVisible(chromedp.ID("login-username")),
			chromedp.SendKeys(chromedp.ID("login-username"), "vigile"),
			chromedp.SendKeys(chromedp.ID("login-password"), password),
			chromedp.Tap(chromedp.ID("login-submit")),
			chromedp.WaitVisible(chromedp.ID("tab-verbale")))
		office.do("the Notifications tab", chromedp.Tap(chromedp.ID("tab-verbale")), chromedp.WaitVisible(chromedp.ID("declarations-list")))
		shots.take(office, "verbale-office-notifications")
		office.audit("office notifications tab")
		office.do("open the fine", chromedp.Tap(chromedp.CSS(`#declarations-list [data-fine-id="`+id+`"]`)),
			chromedp.WaitVisible(chromedp.ID("verbale-summary")), chromedp.WaitVisible(chromedp.ID("ov-driver-accept")))
		if txt := office.text("#verbale-summary"); !strings.Contains(txt, "Rossi Mario") || !strings.Contains(txt, "PL-0042") {
			t.Errorf("verbale summary = %q", txt)
		}
		if txt := office.text("#attempts"); !strings.Contains(txt, "pec_delivered") {
			t.Errorf("notifications = %q", txt)
		}
		shots.take(office, "verbale-office-fine")
		office.audit("office fine with verbale")
		office.do("accept", chromedp.Tap(chromedp.ID("ov-driver-accept")),
			chromedp.WaitVisible(chromedp.CSS(`#driver-identification[data-status="accepted"]`)))
		var pts struct {
			Items []struct{ LicenceNumber string }
		}
		if st := e.api("GET", "/api/v1/licence-points", e.login("vigile"), nil, &pts); st != 200 || len(pts.Items) != 1 || pts.Items[0].LicenceNumber != "TO1234567X" {
			t.Errorf("licence points: %d %+v", st, pts)
		}
		office.do("edit the verbale", chromedp.Tap(chromedp.ID("verbale-edit")), chromedp.WaitVisible(chromedp.ID("verbale-form")))
		shots.take(office, "verbale-office-edit")
		office.audit("office verbale form")
	})
}
