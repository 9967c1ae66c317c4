package server_test

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"mime/multipart"
	"sync"
	"testing"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/server"
)

// plateFine issues a 7-15 fine contested on the spot for plate.
func plateFine(e *env, officer, plate string, ago time.Duration) map[string]any {
	e.t.Helper()
	return e.issue(officer, map[string]any{
		"plate": plate, "violationCode": "7-15", "occurredAt": e.clock.Now().Add(-ago).Format(time.RFC3339),
		"place": "Via Torino 12, Milano", "contestation": "immediate",
	})
}

// lookup asks for the open fines of plate with proof.
func (e *env) lookup(plate, proof string) response {
	e.t.Helper()
	return e.do("POST", "/api/v1/plates/fines", map[string]string{"plate": plate, "proof": proof})
}

// cartItems returns the items of a lookup answer, by report number.
func cartItems(t *testing.T, r response) map[string]map[string]any {
	t.Helper()
	if r.status != 200 {
		t.Fatalf("lookup: %d %s", r.status, r.body)
	}
	out := map[string]map[string]any{}
	for _, it := range r.json(t)["items"].([]any) {
		m := it.(map[string]any)
		out[m["reportNumber"].(string)] = m
	}
	return out
}

func item(m map[string]any) map[string]any {
	return map[string]any{"noticeNumber": m["noticeNumber"], "amountCents": int64(m["amountDue"].(map[string]any)["cents"].(float64))}
}

func TestPlateLookupWithoutProofRevealsNothing(t *testing.T) {
	e := newEnv(t, rome("2026-03-02 10:00:00"))
	officer := e.login("officer")
	a := plateFine(e, officer, "AB123CD", time.Hour)
	plateFine(e, officer, "AB123CD", 2*time.Hour)
	other := plateFine(e, officer, "ZZ999ZZ", time.Hour)

	var refusals [][]byte
	for name, c := range map[string][2]string{
		"plate alone":               {"AB123CD", ""},
		"made-up report number":     {"AB123CD", "2026/999999"},
		"another plate's number":    {"AB123CD", other["reportNumber"].(string)},
		"another plate's notice":    {"AB123CD", navs(other)["reduced"]},
		"unknown plate, real proof": {"XX000XX", a["reportNumber"].(string)},
		"garbage":                   {"AB 123 CD", "'; DROP TABLE fines; --"},
		"bad plate":                 {"<script>", a["reportNumber"].(string)},
	} {
		r := e.lookup(c[0], c[1])
		if r.status != 404 || r.code(t) != "notice_not_found" {
			t.Fatalf("%s: %d %s, want 404 notice_not_found", name, r.status, r.body)
		}
		if bytes.Contains(r.body, []byte("AB123CD")) || bytes.Contains(r.body, []byte("reportNumber")) {
			t.Errorf("%s: the refusal reveals something: %s", name, r.body)
		}
		m := r.json(t)
		refusals = append(refusals, []byte(fmt.Sprint(m["title"], m["detail"], m["code"])))
	}
	for _, b := range refusals[1:] {
		if !bytes.Equal(b, refusals[0]) {
			t.Errorf("refusals differ, so they teach something: %q vs %q", b, refusals[0])
		}
	}
	// The real proof, by report number or by notice number, spaces and
	// lower case allowed: both fines of the plate, with today's amounts.
	for _, proof := range []string{a["reportNumber"].(string), navs(a)["minimum"]} {
		items := cartItems(t, e.lookup("ab 123 cd", proof))
		if len(items) != 2 {
			t.Fatalf("lookup with %s: %d fines, want 2", proof, len(items))
		}
		for _, it := range items {
			if it["amountDue"].(map[string]any)["cents"] != 2940.0 || it["terms"] == nil || it["payable"] != true {
				t.Errorf("item = %v", it)
			}
		}
	}
}

func TestPlateLookupsAreRateLimited(t *testing.T) {
	e := newEnvWith(t, rome("2026-03-02 10:00:00"), func(c *server.Config) { c.RateLimit = 20 })
	var last response
	for i := 0; i < 6; i++ { // 20/4 = 5 a minute
		last = e.lookup("AB123CD", fmt.Sprintf("2026/%06d", i))
	}
	if last.status != 429 || last.code(t) != "rate_limited" {
		t.Fatalf("6th lookup in a minute: %d %s, want 429", last.status, last.body)
	}
	// The same budget covers the photos, which take the plate too.
	if r := e.do("GET", "/api/v1/notices/301000000000000017/photos/1", nil, "Multa-Plate", "AB123CD"); r.status != 429 {
		t.Errorf("photo after the budget: %d", r.status)
	}
}

func TestCartPaysEachFineWithOneAuthorization(t *testing.T) {
	e := newEnv(t, rome("2026-03-02 10:00:00"))
	officer := e.login("officer")
	a := plateFine(e, officer, "AB123CD", time.Hour)
	b := plateFine(e, officer, "AB123CD", 2*time.Hour)
	items := cartItems(t, e.lookup("AB123CD", a["reportNumber"].(string)))
	body := map[string]any{"items": []any{item(items[a["reportNumber"].(string)]), item(items[b["reportNumber"].(string)])},
		"token": e.cardToken("4242424242424242")}
	r := e.do("POST", "/api/v1/carts/payments", body, "Idempotency-Key", "cart-key-0001")
	if r.status != 201 {
		t.Fatalf("cart: %d %s", r.status, r.body)
	}
	res := r.json(t)
	rs := res["receipts"].([]any)
	if res["totalCents"] != 5880.0 || len(rs) != 2 {
		t.Fatalf("cart answer = %s", r.body)
	}
	tx := ""
	for i, want := range []map[string]any{a, b} {
		rc := rs[i].(map[string]any)
		if rc["reportNumber"] != want["reportNumber"] || rc["amountCents"] != 2940.0 {
			t.Errorf("receipt %d = %v", i, rc)
		}
		psp := rc["psp"].(map[string]any)["transactionId"].(string)
		if tx != "" && psp != tx {
			t.Errorf("receipts name transactions %s and %s, want one authorization", tx, psp)
		}
		tx = psp
		if g := e.do("GET", "/api/v1/receipts/"+rc["receiptId"].(string), nil); g.status != 200 {
			t.Errorf("receipt %d: %d", i, g.status)
		}
	}
	// A retry answers the same receipts and charges nothing more.
	again := e.do("POST", "/api/v1/carts/payments", body, "Idempotency-Key", "cart-key-0001")
	if again.status != 201 || again.header.Get("Idempotent-Replayed") != "true" || !bytes.Equal(again.body, r.body) {
		t.Errorf("replay: %d %s", again.status, again.body)
	}
	flow, err := e.sandbox.Settlement(t.Context(), e.today(), e.settings.Creditor)
	if err != nil || len(flow.Lines) != 1 || flow.Lines[0].AmountCents != 5880 {
		t.Errorf("sandbox captured %+v, %v; want one line of 58.80", flow.Lines, err)
	}
	// The same fines again, by someone else: refused, naming the fine but
	// not the receipt that paid it (that opens the payer's receipt).
	other := e.do("POST", "/api/v1/carts/payments", map[string]any{"items": body["items"], "token": e.cardToken("4242424242424242")}, "Idempotency-Key", "cart-key-other")
	if other.status != 409 || other.code(t) != "already_paid" || bytes.Contains(other.body, []byte(rs[0].(map[string]any)["receiptId"].(string))) {
		t.Errorf("a stranger's cart of paid fines: %d %s", other.status, other.body)
	}
	if left := cartItems(t, e.lookup("AB123CD", a["reportNumber"].(string))); len(left) != 0 {
		t.Errorf("after paying, the plate still shows %d open fines", len(left))
	}
}

func TestCartWithAChangedAmountIsRefusedWhole(t *testing.T) {
	// a was contested on 25 February: its reduced window (5 days, moved
	// past Sunday 1 March) closes tonight; b today.
	e := newEnv(t, rome("2026-02-25 10:00:00"))
	a := plateFine(e, e.login("officer"), "AB123CD", time.Hour)
	e.clock.Set(rome("2026-03-02 10:00:00"))
	b := plateFine(e, e.login("officer"), "AB123CD", time.Hour)
	items := cartItems(t, e.lookup("AB123CD", b["reportNumber"].(string)))
	body := map[string]any{"items": []any{item(items[a["reportNumber"].(string)]), item(items[b["reportNumber"].(string)])},
		"token": e.cardToken("4242424242424242")}
	e.clock.Set(rome("2026-03-03 09:00:00")) // a's amount went up overnight
	r := e.do("POST", "/api/v1/carts/payments", body, "Idempotency-Key", "cart-key-0002")
	if r.status != 409 || r.code(t) != "amount_changed" {
		t.Fatalf("cart with a changed amount: %d %s, want 409 amount_changed", r.status, r.body)
	}
	changed := r.json(t)["items"].([]any)
	if len(changed) != 2 || changed[0].(map[string]any)["amountDue"].(map[string]any)["cents"] != 4200.0 {
		t.Errorf("details = %v, want each fine with today's amount", changed)
	}
	for _, f := range []map[string]any{a, b} {
		if v := e.do("GET", "/api/v1/notices/"+navs(f)["minimum"], nil).json(t); v["status"] == "paid" {
			t.Errorf("fine %s was paid by a refused cart", f["reportNumber"])
		}
	}
	if _, err := e.sandbox.Settlement(t.Context(), e.today(), e.settings.Creditor); err == nil {
		t.Error("the sandbox captured money for a refused cart")
	}
}

func TestConcurrentCartsSharingAFinePayItOnce(t *testing.T) {
	e := newEnv(t, rome("2026-03-02 10:00:00"))
	officer := e.login("officer")
	shared := plateFine(e, officer, "AB123CD", time.Hour)
	const n = 50
	own := make([]map[string]any, n)
	for i := range own {
		own[i] = plateFine(e, officer, "AB123CD", time.Duration(2+i)*time.Minute)
	}
	token := e.cardToken("4242424242424242")
	status := make([]int, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			its := []any{
				map[string]any{"noticeNumber": navs(own[i])["minimum"], "amountCents": 2940},
				map[string]any{"noticeNumber": navs(shared)["minimum"], "amountCents": 2940},
			}
			if i%2 == 1 {
				its[0], its[1] = its[1], its[0]
			}
			r := e.do("POST", "/api/v1/carts/payments", map[string]any{"items": its, "token": token},
				"Idempotency-Key", fmt.Sprintf("concurrent-cart-%02d", i))
			status[i] = r.status
		}()
	}
	close(start)
	wg.Wait()
	paid := 0
	for i, st := range status {
		ownPaid := e.do("GET", "/api/v1/notices/"+navs(own[i])["minimum"], nil).json(t)["status"] == "paid"
		switch st {
		case 201:
			paid++
			if !ownPaid {
				t.Errorf("cart %d succeeded but its own fine is unpaid", i)
			}
		case 409:
			if ownPaid {
				t.Errorf("cart %d was refused but its own fine is paid: half a cart", i)
			}
		default:
			t.Errorf("cart %d: status %d", i, st)
		}
	}
	if paid != 1 {
		t.Fatalf("%d carts paid the shared fine, want 1", paid)
	}
	flow, err := e.sandbox.Settlement(t.Context(), e.today(), e.settings.Creditor)
	if err != nil || len(flow.Lines) != 1 || flow.Lines[0].AmountCents != 5880 {
		t.Errorf("captured %+v, %v; want one authorization of 58.80", flow.Lines, err)
	}
}

// photoJPEG is a camera-like JPEG with an Exif segment naming its owner.
func photoJPEG(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	payload := []byte("Exif\x00\x00Owner=SECRET-PHONE-OWNER")
	seg := append([]byte{0xFF, 0xE1, 0, byte(len(payload) + 2)}, payload...)
	raw := b.Bytes()
	return append(append(append([]byte{}, raw[:2]...), seg...), raw[2:]...)
}

func TestOfficerPhotoSeenByTheDriverWithThePlate(t *testing.T) {
	e := newEnv(t, rome("2026-03-02 10:00:00"))
	officer := e.login("officer")
	f := plateFine(e, officer, "AB123CD", time.Hour)
	id := f["id"].(string)
	if r := e.do("POST", "/api/v1/fines/"+id+"/photos", []byte("not an image"), "Authorization", officer, "Content-Type", "image/jpeg"); r.status != 422 || r.code(t) != "bad_image" {
		t.Fatalf("junk photo: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/fines/"+id+"/photos", photoJPEG(t)); r.status != 401 {
		t.Fatalf("photo without signing in: %d", r.status)
	}
	r := e.do("POST", "/api/v1/fines/"+id+"/photos", photoJPEG(t), "Authorization", officer, "Content-Type", "image/jpeg")
	if r.status != 201 {
		t.Fatalf("photo: %d %s", r.status, r.body)
	}
	nav := navs(f)["reduced"]
	for _, plate := range []string{"", "ZZ999ZZ", "AB123C"} {
		if g := e.do("GET", "/api/v1/notices/"+nav+"/photos/1", nil, "Multa-Plate", plate); g.status != 404 {
			t.Errorf("photo with plate %q: %d", plate, g.status)
		}
	}
	g := e.do("GET", "/api/v1/notices/"+nav+"/photos/1", nil, "Multa-Plate", "ab-123-cd")
	if g.status != 200 || g.header.Get("Content-Type") != "image/jpeg" || g.header.Get("Cache-Control") != "private, no-store" {
		t.Fatalf("photo with the plate: %d %v", g.status, g.header)
	}
	if bytes.Contains(g.body, []byte("SECRET-PHONE-OWNER")) || bytes.Contains(g.body, []byte("Exif")) {
		t.Error("the served photo keeps the phone's metadata")
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(g.body)); err != nil || cfg.Width != 320 {
		t.Errorf("served photo: %v %d", err, cfg.Width)
	}
	items := cartItems(t, e.lookup("AB123CD", f["reportNumber"].(string)))
	if ps := items[f["reportNumber"].(string)]["photos"].([]any); len(ps) != 1 || ps[0] != 1.0 {
		t.Errorf("lookup photos = %v", ps)
	}
	view := e.do("GET", "/api/v1/fines/"+id, nil, "Authorization", officer).json(t)
	if ps, _ := view["photos"].([]any); len(ps) != 1 || len(ps[0].(map[string]any)["sha256"].(string)) != 64 {
		t.Errorf("office view photos = %v", view["photos"])
	}
}

// reviewForm builds the driver's multipart request for review.
func reviewForm(t *testing.T, plate, text string, attachments ...[]byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	_ = w.WriteField("plate", plate)
	_ = w.WriteField("text", text)
	for i, a := range attachments {
		fw, err := w.CreateFormFile("attachment", fmt.Sprintf("doc%d.jpg", i))
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(a)
	}
	w.Close()
	return b.Bytes(), w.FormDataContentType()
}

func TestReviewInAutotutelaAnsweredByTheOffice(t *testing.T) {
	e := newEnv(t, rome("2026-03-02 10:00:00"))
	officer, super := e.login("officer"), e.login("super")
	f := plateFine(e, officer, "AB123CD", time.Hour)
	nav := navs(f)["reduced"]
	text := "The no-parking sign was covered by scaffolding; see the photo."

	body, ct := reviewForm(t, "ZZ999ZZ", text, photoJPEG(t))
	if r := e.do("POST", "/api/v1/notices/"+nav+"/reviews", body, "Content-Type", ct); r.status != 404 {
		t.Fatalf("review with another plate: %d %s", r.status, r.body)
	}
	body, ct = reviewForm(t, "AB123CD", text, photoJPEG(t))
	r := e.do("POST", "/api/v1/notices/"+nav+"/reviews", body, "Content-Type", ct)
	if r.status != 201 || r.json(t)["status"] != "submitted" {
		t.Fatalf("review: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/notices/"+nav+"/reviews", body, "Content-Type", ct); r.status != 409 {
		t.Errorf("a second review while one waits: %d", r.status)
	}
	v := e.do("GET", "/api/v1/notices/"+nav, nil).json(t)
	if v["review"].(map[string]any)["status"] != "submitted" || v["status"] != "notified" || bytes.Contains(e.do("GET", "/api/v1/notices/"+nav, nil).body, []byte("scaffolding")) {
		t.Errorf("notice while the review waits = %v (the fine stays payable; the text is not public)", v)
	}
	// The driver's attachment is the office's to read, not served to the plate.
	if g := e.do("GET", "/api/v1/notices/"+nav+"/photos/1", nil, "Multa-Plate", "AB123CD"); g.status != 404 {
		t.Errorf("driver's attachment served back publicly: %d", g.status)
	}
	q := e.do("GET", "/api/v1/reviews", nil, "Authorization", officer).json(t)["items"].([]any)
	if len(q) != 1 || q[0].(map[string]any)["text"] != text || len(q[0].(map[string]any)["attachments"].([]any)) != 1 {
		t.Fatalf("queue = %v", q)
	}
	if g := e.do("GET", "/api/v1/fines/"+f["id"].(string)+"/photos/1", nil, "Authorization", officer); g.status != 200 {
		t.Errorf("office reads the attachment: %d", g.status)
	}
	decide := func(accept bool, answer string) response {
		return e.do("POST", "/api/v1/fines/"+f["id"].(string)+"/review-decision", map[string]any{"accept": accept, "answer": answer}, "Authorization", super)
	}
	if r := e.do("POST", "/api/v1/fines/"+f["id"].(string)+"/review-decision", map[string]any{"accept": true, "answer": "x"}, "Authorization", officer); r.status != 403 {
		t.Errorf("an officer decides: %d", r.status)
	}
	if r := decide(false, ""); r.status != 422 {
		t.Errorf("rejection without an answer: %d", r.status)
	}
	if r := decide(false, "The photo shows the sign visible from the parking place."); r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	v = e.do("GET", "/api/v1/notices/"+nav, nil).json(t)
	if rv := v["review"].(map[string]any); rv["status"] != "rejected" || rv["answer"] != "The photo shows the sign visible from the parking place." {
		t.Errorf("driver sees %v", rv)
	}
	// New facts, a new request; accepted, the fine is cancelled with the answer.
	body, ct = reviewForm(t, "AB123CD", "The municipality's own works permit covered this space that day.")
	if r := e.do("POST", "/api/v1/notices/"+nav+"/reviews", body, "Content-Type", ct); r.status != 201 {
		t.Fatalf("second review: %d %s", r.status, r.body)
	}
	if r := decide(true, "Works permit 12/2026 covered the space."); r.status != 200 || r.json(t)["status"] != "cancelled" {
		t.Fatalf("accept: %d %s", r.status, r.body)
	}
	v = e.do("GET", "/api/v1/notices/"+nav, nil).json(t)
	if v["status"] != "cancelled" || v["review"].(map[string]any)["status"] != "accepted" {
		t.Errorf("after acceptance: %v", v)
	}
	if q := e.do("GET", "/api/v1/reviews?status=accepted", nil, "Authorization", officer).json(t)["items"].([]any); len(q) != 1 {
		t.Errorf("accepted queue = %v", q)
	}
}

func (e *env) today() notices.Date { return notices.DateOf(e.clock.Now()) }
