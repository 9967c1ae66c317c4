package pwa_test

// The end-to-end journey of issue 5 in a real Chromium: an officer issues a
// fine in the back office, a driver scans its QR with the phone's camera and
// pays, pays a second fine with one tap on the remembered card, reads the
// receipts offline, meets a declined card and an amount that changed while
// the checkout was open. Every screen is saved as a PNG (see screenshotsEnv).
// Each part is a named step (a subtest), so a failure names its part:
//
//	go test ./pwa -run 'BrowserJourney' -v
//
// The harness (server, front door, browser tabs, screenshots) is in
// browser_harness_test.go.

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/multa/multa/notices"
)

func TestBrowserJourney(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser journey takes ~10 s; skipped with -short")
	}
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed (no chromium on PATH, no /usr/bin/chromium): " +
			"the browser journey needs it — CI installs it with apt-get install chromium (.ci/run)")
	}
	started := time.Now()
	e := startEnv(t)
	shots := newShooter(e)

	// What the steps hand on to the next ones: the fines (A issued in the
	// office, B to D by the API), the phone and its receipts.
	var (
		navA, navB, navC, navD     string
		fineA, fineB, fineC, fineD noticeView
		phoneDir, camA, camB       string
		phone                      *tab
		rcA, rcB                   string
	)

	e.step("officer issues a fine in the back office", func(t *testing.T) {
		// ---- 1. The officer issues a fine in the back office. ----
		officer := e.browser(chromium, t.TempDir(), "")
		officer.do("open the back office", chromedp.Navigate(e.public+"/office/"), chromedp.WaitVisible(chromedp.ID("login-username")))
		officer.expectItalian()
		shots.take(officer, "01-office-login")
		officer.audit("office sign-in")
		officer.do("sign in",
			chromedp.SendKeys(chromedp.ID("login-username"), "vigile"),
			chromedp.SendKeys(chromedp.ID("login-password"), password),
			chromedp.Tap(chromedp.ID("login-submit")),
			chromedp.WaitVisible(chromedp.ID("fine-plate")))
		if who := officer.text("#whoami"); !strings.Contains(who, "vigile") || !strings.Contains(who, "Agente") {
			t.Errorf("#whoami = %q, want the officer's name and role, in Italian", who)
		}
		// The Users tab is for admins only: for anyone else its button is not
		// in the DOM at all (not merely hidden).
		if got := officer.eval(`[...document.querySelectorAll('#tabs [role=tab]')].map((b) => b.id).join(' ')`); got != "tab-issue tab-fines tab-verbale tab-reviews" {
			t.Errorf("the officer's tabs are %q, want %q (no tab-users)", got, "tab-issue tab-fines tab-verbale tab-reviews")
		}
		officer.do("fill the new fine",
			chromedp.SendKeys(chromedp.ID("fine-plate"), "ab123cd"),
			// The catalogue is searched by words of the description, as an
			// officer on the street would, and the option is tapped.
			chromedp.SendKeys(chromedp.ID("fine-violation"), "sosta oltre"),
			chromedp.WaitVisible(chromedp.CSS(`#fine-violation-list [data-code="7-15"]`)),
			chromedp.Tap(chromedp.CSS(`#fine-violation-list [data-code="7-15"]`)),
			chromedp.SendKeys(chromedp.ID("fine-place"), "Via Torino 12, Milano"),
			chromedp.Tap(chromedp.ID("fine-contest-immediate")))
		if got := officer.eval(`document.getElementById('fine-plate').value`); got != "AB123CD" {
			t.Errorf("plate field = %q, want it upper-cased as typed: AB123CD", got)
		}
		if got := officer.eval(`document.getElementById('fine-violation').dataset.code || ''`); got != "7-15" {
			t.Fatalf("violation picked = %q, want 7-15", got)
		}
		shots.take(officer, "02-office-new-fine")
		officer.audit("office new fine")
		officer.do("issue the fine",
			chromedp.Tap(chromedp.ID("fine-submit")),
			chromedp.WaitVisible(chromedp.ID("notice-view")),
			until(`(() => { const i = document.getElementById('notice-qr'); return i.complete && i.naturalWidth > 0; })()`, 30*time.Second))
		var optionNAVs []string
		officer.evalInto(`[...document.querySelectorAll('#notice-options [data-nav]')].map((e) => e.dataset.nav)`, &optionNAVs)
		if len(optionNAVs) != 2 {
			t.Fatalf("the notice shows %d payment options %v, want 2 (reduced and minimum)", len(optionNAVs), optionNAVs)
		}
		navA = optionNAVs[0]
		if src := officer.eval(`document.getElementById('notice-qr').getAttribute('src')`); !strings.Contains(src, navA) || !strings.Contains(src, "kind=link") {
			t.Errorf("notice QR src = %q, want the link QR of %s", src, navA)
		}
		shots.take(officer, "03-office-notice-qr")
		officer.audit("office notice")
		officer.close()

		fineA = e.notice(navA)
		if fineA.Status != "notified" || fineA.AmountDue.Stage != "reduced" || fineA.Place != "Via Torino 12, Milano" {
			t.Fatalf("the fine issued in the office: status %q, stage %q, place %q; want notified, reduced, the place typed",
				fineA.Status, fineA.AmountDue.Stage, fineA.Place)
		}
	})

	e.step("admin manages the users", func(t *testing.T) { adminUsers(t, e, chromium, shots) })

	e.step("supervisor issues three more fines", func(t *testing.T) {
		// The other fines of the journey come from the API, issued by the
		// supervisor: B is scanned and paid with one tap, C meets a declined
		// card, D changes amount while its checkout is open.
		sup := e.login("capo")
		navB = e.issue(sup, "BC234DE", "158-5")
		navC = e.issue(sup, "CD345EF", "7-15")
		navD = e.issue(sup, "DE456FG", "7-15")
		fineB, fineC, fineD = e.notice(navB), e.notice(navC), e.notice(navD)
	})

	// The fake camera plays a file fixed when the browser starts, so each
	// scan is a browser session of its own over one profile directory: the
	// same phone, with its remembered card, receipts and service worker,
	// opened again after the app was closed. Both outlive the steps.
	phoneDir = t.TempDir()
	camA = writeY4M(t, e.qrPNG(navA, "link"))   // what the office screen shows
	camB = writeY4M(t, e.qrPNG(navB, "pagopa")) // the pagoPA QR of a printed notice

	e.step("driver scans and pays with the card form", func(t *testing.T) {
		// ---- 2 and 7. First load, scan, pay with the card form. ----
		e.front.reset()
		phone = e.browser(chromium, phoneDir, camA)
		phone.do("open the driver app", chromedp.Navigate(e.public+"/"), chromedp.WaitVisible(chromedp.ID("scan-btn")))
		phone.expectItalian()
		firstLoad := phone.firstLoadBytes()
		if firstLoad > browserFirstLoadBudget {
			t.Errorf("first load of the driver app transferred %d bytes (icons excluded), budget %d", firstLoad, browserFirstLoadBudget)
		}
		phone.waitServiceWorker()
		t.Logf("first load: %d bytes in the page (icons excluded; budget %d); %d bytes and %d requests at the server including the service worker's precache",
			firstLoad, browserFirstLoadBudget, e.front.stats().bytes, e.front.stats().requests)
		shots.take(phone, "04-driver-home")
		phone.audit("home")
		if off := phone.eval(`String(document.getElementById('offline').hidden)`); off != "true" {
			t.Errorf("online, the offline banner shows (hidden = %s)", off)
		}

		// Scan uploads wait at the front door until the scanner is on screen,
		// so that its screenshot is not a race with the decoder.
		e.front.holdScans()
		phone.do("open the scanner", chromedp.Tap(chromedp.ID("scan-btn")), chromedp.WaitVisible(chromedp.ID("scan-video")))
		hasNative := phone.eval(`String('BarcodeDetector' in window)`) == "true"
		if !hasNative {
			// Chromium on Linux has no BarcodeDetector: the app must send
			// camera frames to /api/v1/scan.
			e.front.waitScans(t, 1, 60*time.Second)
		}
		phone.do("see the camera", until(`document.getElementById('scan-video').readyState >= 2`, 30*time.Second))
		shots.take(phone, "05-driver-scan")
		e.front.releaseScans()
		phone.waitCheckout(navA)
		if hasNative {
			t.Logf("this Chromium has BarcodeDetector: the QR was read on the device, not through /api/v1/scan")
		} else if n := e.front.stats().scans; n < 1 {
			t.Errorf("%d frames reached /api/v1/scan, want at least one", n)
		}
		phone.expectText("#amount-due", euro(fineA.AmountDue.Cents))
		phone.expectText("#notice-place", "Via Torino 12, Milano")
		if plate := phone.text("#notice-plate"); !strings.HasPrefix(plate, "AB") || strings.Contains(plate, "123") {
			t.Errorf("#notice-plate = %q, want AB123CD masked", plate)
		}
		shots.take(phone, "06-driver-checkout")
		phone.audit("checkout")
		phone.do("open the card form", chromedp.Tap(chromedp.ID("pay-btn")), chromedp.WaitVisible(chromedp.ID("card-form")))
		phone.audit("card form") // empty: the placeholders are measured too
		phone.fillCard(cardOK, true)
		shots.take(phone, "07-driver-card-form")
		phone.do("pay with the form", chromedp.Tap(chromedp.ID("card-submit")), chromedp.WaitVisible(chromedp.ID("receipt")))
		rcA = phone.checkReceipt(e, navA, fineA.AmountDue.Cents)
		shots.take(phone, "08-driver-receipt")
		phone.audit("receipt")
		if n := e.notice(navA); n.Status != "paid" || n.Payment == nil || n.Payment.ReceiptID != rcA {
			t.Errorf("after paying, the API says status %q, payment %+v; want paid with receipt %s", n.Status, n.Payment, rcA)
		}
		saved := phone.localStorage()
		var card struct{ Token, Brand, Last4 string }
		if err := json.Unmarshal([]byte(saved["multa.card"]), &card); err != nil || card.Token == "" || card.Last4 != "4242" {
			t.Errorf("remembered card = %q (%v), want a token ending 4242", saved["multa.card"], err)
		}
		for k, v := range saved {
			if strings.Contains(v, cardOK) || strings.Contains(v, "4242 4242") {
				t.Errorf("localStorage %s holds the card number: %s", k, v)
			}
		}
		phone.close()
	})

	e.step("driver pays the second fine with one tap", func(t *testing.T) {
		// ---- 3. The second fine: scan, and pay with exactly one tap. ----
		phone = e.browser(chromium, phoneDir, camB)
		phone.do("open the app again", chromedp.Navigate(e.public+"/"), chromedp.WaitVisible(chromedp.ID("scan-btn")))
		phone.do("scan the second fine", chromedp.Tap(chromedp.ID("scan-btn")))
		phone.waitCheckout(navB)
		phone.expectText("#amount-due", euro(fineB.AmountDue.Cents))
		phone.expectText("#pay-btn", euro(fineB.AmountDue.Cents))
		phone.expectText("#pay-btn", "Visa ••4242")
		// The page records whether a card form ever shows up from now on.
		phone.eval(`(() => {
			window.__cardFormSeen = !!document.getElementById('card-form');
			new MutationObserver(() => { if (document.getElementById('card-form')) window.__cardFormSeen = true; })
				.observe(document.documentElement, { childList: true, subtree: true });
			return 'ok';
		})()`)
		// One tap means no scrolling: on a 390×844 phone the whole button
		// is inside the first screen, and it says what it will charge.
		var box struct{ Top, Bottom, ScrollY, Height float64 }
		phone.evalInto(`(() => { const r = document.getElementById('pay-btn').getBoundingClientRect();
			return { Top: r.top, Bottom: r.bottom, ScrollY: window.scrollY, Height: window.innerHeight }; })()`, &box)
		if box.ScrollY != 0 || box.Top < 0 || box.Bottom > box.Height || box.Height > phoneH {
			t.Errorf("pay button at %.0f–%.0f px (scrolled %.0f) in a %.0f px viewport: want it whole in the first screen",
				box.Top, box.Bottom, box.ScrollY, box.Height)
		}
		phone.expectText("#forget-card", "4242")
		shots.take(phone, "09-driver-one-tap")
		before := e.front.stats()
		phone.do("pay with one tap", chromedp.Tap(chromedp.ID("pay-btn")), chromedp.WaitVisible(chromedp.ID("receipt")))
		after := e.front.stats()
		if n := after.payments - before.payments; n != 1 {
			t.Errorf("one tap sent %d POSTs to /payments, want exactly 1", n)
		}
		if n := after.tokens - before.tokens; n != 0 {
			t.Errorf("one tap sent %d card tokenizations, want none: the remembered token pays", n)
		}
		if seen := phone.eval(`String(window.__cardFormSeen)`); seen != "false" {
			t.Errorf("the card form appeared during the one-tap payment (seen = %s)", seen)
		}
		rcB = phone.checkReceipt(e, navB, fineB.AmountDue.Cents)
		shots.take(phone, "10-driver-receipt-one-tap")
	})

	e.step("receipts offline", func(t *testing.T) {
		// ---- 4. Offline: the receipts are still there. ----
		phone.waitServiceWorker()
		phone.setOffline(true)
		quiet := e.front.stats().requests
		phone.do("open My receipts offline", chromedp.Navigate(e.public+"/receipts"), chromedp.WaitVisible(chromedp.ID("receipt-list")))
		var listed []string
		phone.evalInto(`[...document.querySelectorAll('#receipt-list [data-receipt-id]')].map((e) => e.dataset.receiptId)`, &listed)
		if want := []string{rcB, rcA}; strings.Join(listed, ",") != strings.Join(want, ",") {
			t.Errorf("offline, My receipts lists %v, want %v (newest first)", listed, want)
		}
		// The app says it is offline (navigator.onLine, set by the emulation).
		phone.do("see the offline banner", chromedp.WaitVisible(chromedp.ID("offline")))
		phone.expectText("#offline", "offline")
		shots.take(phone, "11-driver-offline-receipts")
		phone.audit("receipts offline")
		phone.do("open a receipt offline",
			chromedp.Tap(chromedp.CSS(fmt.Sprintf(`#receipt-list [data-receipt-id="%s"]`, rcA))),
			chromedp.WaitVisible(chromedp.ID("receipt")))
		phone.expectText("#receipt-amount", euro(fineA.AmountDue.Cents))
		phone.expectText("#rc-id", rcA)
		shots.take(phone, "12-driver-offline-receipt")
		phone.audit("receipt offline")
		// The PDF and sharing need the network: disabled, and the screen says why.
		var actions struct {
			PDFHref, ShareEnabled, Note bool
			PDFDisabled                 string
		}
		phone.evalInto(`(() => {
			const pdf = document.getElementById('receipt-pdf');
			return { PDFHref: pdf.hasAttribute('href'), PDFDisabled: pdf.getAttribute('aria-disabled') || '',
				ShareEnabled: !document.getElementById('receipt-share').disabled,
				Note: !document.getElementById('receipt-offline').hidden };
		})()`, &actions)
		if actions.PDFHref || actions.PDFDisabled != "true" || actions.ShareEnabled || !actions.Note {
			t.Errorf("offline receipt: PDF link href %v aria-disabled %q, share enabled %v, offline note shown %v; want no href, disabled, share disabled, the note",
				actions.PDFHref, actions.PDFDisabled, actions.ShareEnabled, actions.Note)
		}
		if n := e.front.stats().requests - quiet; n != 0 {
			t.Errorf("%d requests reached the server while the phone was offline, want 0: %v", n, e.front.stats().paths[quiet:])
		}
		phone.setOffline(false)
		// Back online, without a reload: the banner goes, the actions come back.
		phone.do("come back online", until(`document.getElementById('offline').hidden &&
			document.getElementById('receipt-pdf').hasAttribute('href') &&
			!document.getElementById('receipt-share').disabled &&
			document.getElementById('receipt-offline').hidden`, 45*time.Second))
	})

	e.step("keyboard only and a declined card", func(t *testing.T) {
		// ---- 5. Keyboard only, and a declined card: nothing paid, the
		// remembered card offered again. Home → type the notice number → pay,
		// with Tab and Enter alone. ----
		phone.do("open the home page", chromedp.Navigate(e.public+"/"), chromedp.WaitVisible(chromedp.ID("type-btn")))
		phone.tabTo("type-btn")
		phone.expectFocus("#type-btn", true)
		phone.do("Enter on 'type the notice number'", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("nav-input")))
		if phone.eval(`String(document.activeElement.id === 'nav-input')`) != "true" {
			// On a touch screen the app does not focus the field (no keyboard
			// popping up unasked): the heading has focus, without a ring.
			phone.expectFocus("main h1", false)
			phone.tabTo("nav-input")
		}
		phone.do("type the third notice number", chromedp.KeyEvent(groups(navC)))
		shots.take(phone, "13-driver-enter-number")
		phone.do("Enter to continue", chromedp.KeyEvent(kb.Enter))
		phone.waitCheckout(navC)
		// Focus follows the checkout's heading once the notice has loaded.
		phone.expectFocus("#checkout h1", false)
		phone.expectText("#pay-btn", "Visa ••4242")
		phone.tabTo("use-other-card")
		phone.expectFocus("#use-other-card", true)
		phone.do("Enter on 'use another card'", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("card-form")))
		phone.expectFocus("#card-number", true)
		// While the form is open, the remembered card is one tap away.
		phone.expectText("#use-saved-card", "Visa ••4242")
		exp := fmt.Sprintf("12/%02d", (time.Now().Year()+3)%100)
		phone.do("type the declined card", chromedp.KeyEvent(cardDeclined+kb.Tab+exp+kb.Tab+"123"+kb.Tab+"MARIO ROSSI"))
		if got := phone.eval(`document.getElementById('card-name').value + ' ' + document.getElementById('card-exp').value`); got != "MARIO ROSSI "+exp {
			t.Fatalf("after typing with Tab between fields: name and expiry %q, want %q", got, "MARIO ROSSI "+exp)
		}
		before := e.front.stats()
		phone.do("Enter to pay with the declined card", chromedp.KeyEvent(kb.Enter),
			until(`(document.getElementById('pay-status') || {}).textContent.includes('rifiutata')`, 45*time.Second),
			chromedp.WaitVisible(chromedp.ID("pay-btn")))
		phone.expectText("#pay-status", "Carta rifiutata")
		if phone.eval(`String(!!document.getElementById('receipt'))`) != "false" {
			t.Errorf("a receipt is shown after a declined card")
		}
		if n := e.front.stats().payments - before.payments; n != 1 {
			t.Errorf("the declined card sent %d POSTs to /payments, want 1", n)
		}
		// The remembered card is offered again, with focus, and another card
		// is still one tap away; the empty form is gone.
		phone.expectText("#pay-btn", euro(fineC.AmountDue.Cents))
		phone.expectText("#pay-btn", "Visa ••4242")
		phone.do("see 'use another card'", chromedp.WaitVisible(chromedp.ID("use-other-card")))
		if phone.eval(`String(!!document.getElementById('card-form'))`) != "false" {
			t.Errorf("after another card was declined, the card form still shows instead of the remembered card")
		}
		phone.expectFocus("#pay-btn", true)
		shots.take(phone, "14-driver-declined")
		phone.audit("declined")
		if n := e.notice(navC); n.Status != "notified" || n.Payment != nil {
			t.Errorf("after a declined card the API says status %q, payment %+v; want notified and unpaid", n.Status, n.Payment)
		}
		if c := phone.localStorage()["multa.card"]; !strings.Contains(c, `"last4":"4242"`) {
			t.Errorf("after a declined other card, the remembered card is %s, want the Visa ••4242 still", c)
		}
		// Choosing another card again starts afresh: the old "declined" goes.
		phone.tabTo("use-other-card")
		phone.do("Enter on 'use another card' after the decline", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("card-form")))
		if msg := phone.eval(`document.getElementById('pay-status').textContent.trim()`); msg != "" {
			t.Errorf("after choosing another card the old message stays: %q", msg)
		}
		phone.tabTo("use-saved-card")
		phone.do("Enter on 'pay with the remembered card'", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("pay-btn")))
		phone.expectFocus("#pay-btn", true)
		before = e.front.stats()
		phone.do("Enter to pay with the remembered card", chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(chromedp.ID("receipt")))
		if after := e.front.stats(); after.payments-before.payments != 1 || after.tokens != before.tokens {
			t.Errorf("paying with the remembered card after a decline: %d POSTs to /payments and %d tokenizations, want 1 and 0",
				after.payments-before.payments, after.tokens-before.tokens)
		}
		phone.checkReceipt(e, navC, fineC.AmountDue.Cents)
		// The heading "Payment complete" has focus for screen readers, without a ring.
		phone.expectFocus("#receipt h1", false)
	})

	e.step("the amount changes while the checkout is open", func(t *testing.T) {
		// ---- 6. The amount changes while the checkout is open. ----
		phone.do("open the fourth notice from its link", chromedp.Navigate(e.public+"/p/"+navD))
		phone.waitCheckout(navD)
		phone.expectText("#amount-due", euro(fineD.AmountDue.Cents))
		phone.expectText("#checkout .due .chip", "scontato del 30%")
		shots.take(phone, "15-driver-checkout-reduced")
		phone.audit("checkout, reduced stage")
		// The test owns the server's clock: move it to the first day after the
		// reduced period.
		payBy, err := time.ParseInLocation("2006-01-02", fineD.AmountDue.PayBy, notices.Rome)
		if err != nil {
			t.Fatalf("payBy of the reduced stage: %v", err)
		}
		e.clock.Set(payBy.AddDate(0, 0, 1).Add(10 * time.Hour))
		later := e.notice(navD).AmountDue
		if later.Stage != "minimum" || later.Cents <= fineD.AmountDue.Cents {
			t.Fatalf("after the reduced period the API asks %d cents (%s), want more than %d at the minimum stage", later.Cents, later.Stage, fineD.AmountDue.Cents)
		}
		before := e.front.stats()
		phone.do("tap pay at the old amount", chromedp.Tap(chromedp.ID("pay-btn")),
			until(`(document.getElementById('pay-status') || {}).textContent.includes('cambiato')`, 45*time.Second))
		phone.expectText("#pay-status", euro(later.Cents))
		phone.expectText("#amount-due", euro(later.Cents))
		phone.expectText("#pay-btn", euro(later.Cents))
		// The label of the stage follows the amount: no "30% discount" on 42 €.
		phone.expectText("#checkout .due .chip", "Importo ridotto (minimo), entro 60 giorni")
		if n := e.notice(navD); n.Status != "notified" || n.Payment != nil {
			t.Errorf("after amount_changed the API says status %q, payment %+v; want unpaid", n.Status, n.Payment)
		}
		shots.take(phone, "16-driver-amount-changed")
		phone.audit("amount changed")
		phone.do("pay the new amount", chromedp.Tap(chromedp.ID("pay-btn")), chromedp.WaitVisible(chromedp.ID("receipt")))
		if n := e.front.stats().payments - before.payments; n != 2 {
			t.Errorf("the amount change took %d POSTs to /payments, want 2 (409 then 201)", n)
		}
		phone.checkReceipt(e, navD, later.Cents)
		shots.take(phone, "17-driver-receipt-new-amount")
		phone.close()
	})

	e.step("a driver from abroad reads the fine in German and French", func(t *testing.T) {
		nav := e.issue(e.login("capo"), "D123AB", "7-15")
		visitor := e.browser(chromium, t.TempDir(), "")
		defer visitor.close()
		visitor.do("open the notice", chromedp.Navigate(e.public+"/p/"+nav))
		visitor.waitCheckout(nav)
		choose := func(l string) {
			visitor.eval(`(() => { const s = document.getElementById('lang-select'); s.value = '` + l + `';
				s.dispatchEvent(new Event('change', { bubbles: true })); return 'ok'; })()`)
			visitor.waitCheckout(nav)
		}
		choose("de")
		visitor.expectText("#checkout .due .label", "Heute fällig")
		visitor.expectText("#pay-btn", "bezahlen")
		if l := visitor.eval(`document.documentElement.lang`); l != "de" {
			t.Errorf("html lang = %q after choosing Deutsch, want de", l)
		}
		visitor.audit("checkout in German")
		shots.take(visitor, "19-driver-checkout-german")
		choose("fr")
		visitor.expectText("#checkout .due .label", "À payer aujourd'hui")
		visitor.expectText("#pay-btn", "Payer")
		// The choice is kept on the phone for the next visit.
		visitor.do("reload", chromedp.Reload())
		visitor.waitCheckout(nav)
		visitor.expectText("#checkout h1", "Avis de paiement")
		shots.take(visitor, "20-driver-checkout-french")
	})

	t.Logf("journey done in %s; screenshots in %s", time.Since(started).Round(100*time.Millisecond), shots.dir)
}

// adminUsers: the admin opens the Users tab, creates an account, disables
// the officer (through the confirm step), and is refused, with the server's
// reason shown, when disabling the last enabled admin. The API then
// confirms the new account and the disabled officer. It runs after the
// officer's part of the journey, which no longer needs that account.
func adminUsers(t *testing.T, e *env, chromium string, shots *shooter) {
	t.Helper()
	admin := e.browser(chromium, t.TempDir(), "")
	defer admin.close()
	admin.do("open the back office as admin", chromedp.Navigate(e.public+"/office/"), chromedp.WaitVisible(chromedp.ID("login-username")))
	admin.do("sign in as admin",
		chromedp.SendKeys(chromedp.ID("login-username"), "admin"),
		chromedp.SendKeys(chromedp.ID("login-password"), password),
		chromedp.Tap(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("tab-users")))
	admin.do("open the Users tab", chromedp.Tap(chromedp.ID("tab-users")),
		chromedp.WaitVisible(chromedp.CSS(`#users-list [data-username="vigile"]`)))
	admin.do("fill the new user",
		chromedp.SendKeys(chromedp.ID("user-new-name"), "ragioniere"),
		chromedp.SendKeys(chromedp.ID("user-new-password"), "bilancio comunale 2026"))
	if got := admin.eval(`(() => { const s = document.getElementById('user-new-role'); s.value = 'finance'; return s.value; })()`); got != "finance" {
		t.Fatalf("the role select took %q, want finance", got)
	}
	admin.do("create the user", chromedp.Tap(chromedp.ID("user-new-submit")),
		chromedp.WaitVisible(chromedp.CSS(`#users-list [data-username="ragioniere"]`)))
	admin.expectText("#users-status", "Utente ragioniere creato.")
	admin.do("ask to disable the officer", chromedp.Tap(chromedp.CSS(`#users-list [data-username="vigile"] .user-toggle`)),
		chromedp.WaitVisible(chromedp.CSS(`#users-list [data-username="vigile"] .user-confirm`)))
	admin.do("confirm", chromedp.Tap(chromedp.CSS(`#users-list [data-username="vigile"] .user-confirm`)),
		chromedp.WaitVisible(chromedp.CSS(`#users-list [data-username="vigile"][data-disabled="true"]`)))
	admin.expectText("#users-status", "Utente vigile disattivato.")
	shots.take(admin, "18-office-users")
	admin.audit("office users")

	// The last enabled admin cannot disable itself: the 409's detail shows.
	admin.do("try to disable the only admin", chromedp.Tap(chromedp.CSS(`#users-list [data-username="admin"] .user-toggle`)),
		chromedp.Tap(chromedp.CSS(`#users-list [data-username="admin"] .user-confirm`)),
		chromedp.WaitVisible(chromedp.CSS(`#users-status .note-error`)))
	if got := admin.text("#users-status"); !strings.Contains(got, "ultimo amministratore attivo") { // the server answers in the browser's Italian
		t.Errorf("#users-status = %q, want the server's last-admin detail", got)
	}

	var users []struct {
		Username, Role string
		Disabled       bool
	}
	if st := e.api("GET", "/api/v1/users", e.login("admin"), nil, &users); st != 200 {
		t.Fatalf("GET /api/v1/users as admin: %d", st)
	}
	got := map[string]string{}
	for _, u := range users {
		got[u.Username] = fmt.Sprintf("%s disabled=%t", u.Role, u.Disabled)
	}
	for name, want := range map[string]string{"ragioniere": "finance disabled=false", "vigile": "officer disabled=true", "admin": "admin disabled=false"} {
		if got[name] != want {
			t.Errorf("after the Users tab, the API has %s as %q, want %q", name, got[name], want)
		}
	}
}
