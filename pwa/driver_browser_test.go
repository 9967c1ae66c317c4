package pwa_test

// The driver's side of issue 14 in a real Chromium at 390×844: an officer
// takes a photo with the phone's camera (Chromium's fake camera) while
// issuing; the driver finds the plate's fines with the report number as
// proof, sees the photo, and pays two fines with one authorization,
// getting a receipt for each; a request for review in autotutela is
// answered by the office and the driver reads the answer. Screenshots go
// where the journey's go (driver-*.png).
//
//	go test ./pwa -run 'BrowserDriver' -v

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// scenePNG is what the fake camera films: a grey street scene, enough for
// a photo (Y4M frames carry luma only).
func scenePNG(t *testing.T) []byte {
	img := image.NewGray(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			img.SetGray(x, y, color.Gray{uint8((x/20+y/20)%2*120 + 60)})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestBrowserDriverFines(t *testing.T) {
	if testing.Short() {
		t.Skip("browser test; skipped with -short")
	}
	chromium := findChromium()
	if chromium == "" {
		t.Skip("chromium is not installed: CI installs it (.ci/run)")
	}
	e := startEnv(t)
	shots := newShooter(e)
	const plate = "FT100AA"
	var (
		fineID, report, navA, navB, navR string
		sup                              string
	)
	type fineJSON struct {
		ReportNumber string `json:"reportNumber"`
		Status       string `json:"status"`
		Photos       []struct {
			N      int    `json:"n"`
			SHA256 string `json:"sha256"`
		} `json:"photos"`
		Options []struct{ Kind, NoticeNumber string }
	}

	e.step("officer issues a fine with a photo from the camera", func(t *testing.T) {
		officer := e.browser(chromium, t.TempDir(), writeY4M(t, scenePNG(t)))
		defer officer.close()
		officer.do("sign in", chromedp.Navigate(e.public+"/office/"), chromedp.WaitVisible(chromedp.ID("login-username")),
			chromedp.SendKeys(chromedp.ID("login-username"), "vigile"),
			chromedp.SendKeys(chromedp.ID("login-password"), password),
			chromedp.Tap(chromedp.ID("login-submit")),
			chromedp.WaitVisible(chromedp.ID("fine-plate")))
		officer.do("fill the fine",
			chromedp.SendKeys(chromedp.ID("fine-plate"), plate),
			chromedp.SendKeys(chromedp.ID("fine-violation"), "sosta oltre"),
			chromedp.WaitVisible(chromedp.CSS(`#fine-violation-list [data-code="7-15"]`)),
			chromedp.Tap(chromedp.CSS(`#fine-violation-list [data-code="7-15"]`)),
			chromedp.SendKeys(chromedp.ID("fine-place"), "Via Dante 3, Milano"),
			chromedp.Tap(chromedp.ID("fine-contest-immediate")))
		officer.do("open the camera and shoot",
			chromedp.ScrollIntoView(chromedp.ID("fine-camera-open")),
			chromedp.Tap(chromedp.ID("fine-camera-open")),
			until(`document.getElementById('fine-camera').videoWidth > 0`, 20*time.Second),
			chromedp.Tap(chromedp.ID("fine-shutter")),
			until(`(() => { const i = document.querySelector('#fine-shots img'); return !!i && i.complete && i.naturalWidth > 0; })()`, 20*time.Second))
		shots.take(officer, "driver-01-office-camera")
		officer.audit("office new fine with a photo")
		officer.do("issue the fine", chromedp.Tap(chromedp.ID("fine-submit")), chromedp.WaitVisible(chromedp.ID("notice-view")))
		if live := officer.eval(`(() => { const v = document.getElementById('fine-camera'); return String(!!(v && v.srcObject && v.srcObject.getTracks().some((t) => t.readyState === 'live'))); })()`); live != "false" {
			t.Errorf("the camera is still on after the fine was issued")
		}
		fineID = officer.eval(`document.getElementById('notice-view').dataset.fineId`)
		sup = e.login("capo")
		var f fineJSON
		if st := e.api("GET", "/api/v1/fines/"+fineID, sup, nil, &f); st != 200 {
			t.Fatalf("GET fine: %d", st)
		}
		if len(f.Photos) != 1 || len(f.Photos[0].SHA256) != 64 {
			t.Fatalf("the fine's photos = %+v, want the one the officer took", f.Photos)
		}
		report, navA = f.ReportNumber, f.Options[0].NoticeNumber
		navB = e.issue(sup, plate, "158-5")
		navR = e.issue(sup, "RV200BB", "7-15")
	})

	phoneDir := t.TempDir()
	e.step("driver finds the plate's fines with a proof and sees the photo", func(t *testing.T) {
		phone := e.browser(chromium, phoneDir, "")
		defer phone.close()
		phone.do("open My fines", chromedp.Navigate(e.public+"/"), chromedp.WaitVisible(chromedp.ID("plate-btn")),
			chromedp.Tap(chromedp.ID("plate-btn")), chromedp.WaitVisible(chromedp.ID("plate-input")))
		phone.do("a wrong proof", chromedp.SendKeys(chromedp.ID("plate-input"), plate), chromedp.SendKeys(chromedp.ID("proof-input"), "2026/999999"),
			chromedp.Tap(chromedp.ID("plate-submit")), chromedp.WaitVisible(chromedp.CSS("#plate-error .note")))
		phone.expectText("#plate-error", "Nessun verbale corrisponde")
		if n := phone.eval(`String(document.querySelectorAll('#plate-fines li').length)`); n != "0" {
			t.Fatalf("a wrong proof shows %s fines", n)
		}
		phone.eval(`document.getElementById('proof-input').value = ''`)
		phone.do("the report number as proof", chromedp.SendKeys(chromedp.ID("proof-input"), report),
			chromedp.Tap(chromedp.ID("plate-submit")), chromedp.WaitVisible(chromedp.ID("plate-fines")))
		if n := phone.eval(`String(document.querySelectorAll('#plate-fines li').length)`); n != "2" {
			t.Fatalf("the plate shows %s open fines, want 2", n)
		}
		a, b := e.notice(navA), e.notice(navB)
		phone.expectText("#cart-total", euro(a.AmountDue.Cents+b.AmountDue.Cents))
		phone.expectText("#plate-fines", "Ricorso al Prefetto entro")
		phone.expectText("#plate-fines", "rinuncia al ricorso")
		phone.do("show the photo", chromedp.Tap(chromedp.ID("show-photos-"+navA)),
			until(`(() => { const i = document.querySelector('#photos-`+navA+` img'); return !!i && i.complete && i.naturalWidth > 0; })()`, 20*time.Second))
		if src := phone.eval(`document.querySelector('#photos-` + navA + ` img').src`); !strings.HasPrefix(src, "blob:") {
			t.Errorf("photo src = %q, want a blob URL (the plate never goes in a URL)", src)
		}
		shots.take(phone, "driver-02-plate-fines")
		phone.audit("driver's fines by plate")
	})

	e.step("driver pays two fines with one authorization", func(t *testing.T) {
		phone := e.browser(chromium, phoneDir, "")
		defer phone.close()
		phone.do("open My fines", chromedp.Navigate(e.public+"/plate"), chromedp.WaitVisible(chromedp.ID("plate-input")),
			chromedp.SendKeys(chromedp.ID("plate-input"), plate), chromedp.SendKeys(chromedp.ID("proof-input"), navA),
			chromedp.Tap(chromedp.ID("plate-submit")), chromedp.WaitVisible(chromedp.ID("cart-card-form")))
		phone.do("pay both by card",
			chromedp.SendKeys(chromedp.ID("cart-card-number"), "4242424242424242"),
			chromedp.SendKeys(chromedp.ID("cart-card-exp"), "12/"+time.Now().AddDate(3, 0, 0).Format("06")),
			chromedp.SendKeys(chromedp.ID("cart-card-cvc"), "123"),
			chromedp.ScrollIntoView(chromedp.ID("cart-pay-btn")),
			chromedp.Tap(chromedp.ID("cart-pay-btn")),
			chromedp.WaitVisible(chromedp.ID("cart-done")))
		var ids []string
		phone.evalInto(`[...document.querySelectorAll('#cart-receipts [data-receipt-id]')].map((a) => a.dataset.receiptId)`, &ids)
		if len(ids) != 2 || ids[0] == ids[1] {
			t.Fatalf("receipts shown = %v, want one per fine", ids)
		}
		shots.take(phone, "driver-03-cart-paid")
		phone.audit("cart paid")
		a, b := e.notice(navA), e.notice(navB)
		if a.Status != "paid" || b.Status != "paid" || a.Payment == nil || b.Payment == nil || a.Payment.ReceiptID == b.Payment.ReceiptID {
			t.Fatalf("after the cart: %s %+v, %s %+v; want both paid with their own receipts", a.Status, a.Payment, b.Status, b.Payment)
		}
		var ra, rb receiptView
		e.api("GET", "/api/v1/receipts/"+a.Payment.ReceiptID, "", nil, &ra)
		e.api("GET", "/api/v1/receipts/"+b.Payment.ReceiptID, "", nil, &rb)
		if ra.PSP.TransactionID == "" || ra.PSP.TransactionID != rb.PSP.TransactionID {
			t.Errorf("transactions %q and %q, want one authorization for both", ra.PSP.TransactionID, rb.PSP.TransactionID)
		}
		phone.do("open a receipt", chromedp.Tap(chromedp.CSS(`#cart-receipts [data-receipt-id="`+ids[1]+`"]`)), chromedp.WaitVisible(chromedp.ID("receipt")))
		phone.expectText("#receipt-amount", euro(rb.AmountCents))
	})

	e.step("driver asks for autotutela and the office answers", func(t *testing.T) {
		phone := e.browser(chromium, phoneDir, "")
		defer phone.close()
		doc := filepath.Join(t.TempDir(), "cartello.png")
		if err := os.WriteFile(doc, scenePNG(t), 0o644); err != nil {
			t.Fatal(err)
		}
		phone.do("open the notice", chromedp.Navigate(e.public+"/p/"+navR), chromedp.WaitVisible(chromedp.ID("review-open")))
		phone.do("write the request",
			chromedp.ScrollIntoView(chromedp.ID("review-open")),
			chromedp.Tap(chromedp.ID("review-open")),
			chromedp.WaitVisible(chromedp.ID("rv-plate")),
			chromedp.SendKeys(chromedp.ID("rv-plate"), "RV200BB"),
			chromedp.SendKeys(chromedp.ID("rv-text"), "Il cartello di divieto era coperto dai ponteggi del cantiere."),
			chromedp.SetUploadFiles(chromedp.ID("rv-files"), []string{doc}))
		shots.take(phone, "driver-04-review-form")
		phone.audit("review form")
		phone.do("send it", chromedp.Tap(chromedp.ID("rv-send")), chromedp.WaitVisible(chromedp.CSS(`#review-card[data-status="submitted"]`)))
		phone.expectText("#review-status", "in attesa di risposta")
		if st := e.notice(navR).Status; st != "notified" {
			t.Errorf("while the review waits the fine is %s, want it payable (notified)", st)
		}

		office := e.browser(chromium, t.TempDir(), "")
		defer office.close()
		office.do("supervisor signs in", chromedp.Navigate(e.public+"/office/"), chromedp.WaitVisible(chromedp.ID("login-username")),
			chromedp.SendKeys(chromedp.ID("login-username"), "capo"),
			chromedp.SendKeys(chromedp.ID("login-password"), password),
			chromedp.Tap(chromedp.ID("login-submit")),
			chromedp.WaitVisible(chromedp.ID("tab-reviews")))
		office.do("the queue", chromedp.Tap(chromedp.ID("tab-reviews")), chromedp.WaitVisible(chromedp.ID("review-queue")),
			until(`(() => { const i = document.querySelector('#review-queue img'); return !!i && i.complete && i.naturalWidth > 0; })()`, 20*time.Second))
		office.expectText("#review-queue", "ponteggi")
		shots.take(office, "driver-05-office-reviews")
		office.audit("office review queue")
		id := office.eval(`document.querySelector('#review-queue [data-fine-id]').dataset.fineId`)
		office.do("accept with an answer",
			chromedp.SendKeys(chromedp.ID("rq-answer-"+id), "Verificato il cantiere: segnaletica non visibile."),
			chromedp.Tap(chromedp.ID("rq-accept-"+id)),
			chromedp.WaitVisible(chromedp.CSS("#reviews-msg .note")))
		office.expectText("#reviews-msg", "annullato")

		phone.do("the driver reads the answer", chromedp.Navigate(e.public+"/p/"+navR), chromedp.WaitVisible(chromedp.ID("review-status")))
		phone.expectText("#review-status", "accolta")
		phone.expectText("#review-status", "segnaletica non visibile")
		shots.take(phone, "driver-06-review-answered")
		if st := e.notice(navR).Status; st != "cancelled" {
			t.Errorf("after acceptance the fine is %s, want cancelled", st)
		}
	})
}
