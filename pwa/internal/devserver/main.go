// Command devserver serves the embedded web app with a small in-memory
// stand-in for the Multa API, for trying the UI in a browser without the
// real server: go run ./pwa/internal/devserver -addr 127.0.0.1:8090.
// Users: any of officer, supervisor, finance, admin with password "pass".
// Notices: 302032002700000251 (payable), and the ones the office issues.
// Cards: 4242424242424242 approves, 4000000000000002 is declined.
// -drop N drops the connection after processing the first N payments, to
// try the "Check again" path. -dump DIR writes the built files and exits.
package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/pwa"
)

type fine struct {
	ID           string            `json:"id"`
	ReportNumber string            `json:"reportNumber"`
	Status       string            `json:"status"`
	Plate        string            `json:"plate"`
	Violation    notices.Violation `json:"violation"`
	OccurredAt   time.Time         `json:"occurredAt"`
	Place        string            `json:"place"`
	Contestation string            `json:"contestation"`
	NotifiedOn   string            `json:"notifiedOn,omitempty"`
	Channel      string            `json:"channel,omitempty"`
	FeesCents    int64             `json:"feesCents"`
	Options      []option          `json:"options"`
	Officer      string            `json:"officer"`
	CreatedAt    time.Time         `json:"createdAt"`
	ReceiptID    string            `json:"receiptId,omitempty"`
	CancelReason string            `json:"cancelReason,omitempty"`
	CancelledBy  string            `json:"cancelledBy,omitempty"`
}

type option struct {
	Kind         string `json:"kind"`
	NoticeNumber string `json:"noticeNumber"`
	AmountCents  int64  `json:"amountCents"`
	DueDate      string `json:"dueDate"`
}

type stored struct {
	hash   string
	status int
	body   any
}

var (
	mu       sync.Mutex
	fines    []*fine
	byNAV    = map[string]*fine{}
	receipts = map[string]map[string]any{}
	idem     = map[string]stored{}
	dropN    int
	cat      = notices.DefaultCatalogue()
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	dump := flag.String("dump", "", "write the built files into this folder and exit")
	flag.IntVar(&dropN, "drop", 0, "drop the connection after the first N payments")
	flag.Parse()
	if *dump != "" {
		for _, p := range pwa.Paths() {
			a, _ := pwa.Lookup(p)
			name := p
			if strings.HasSuffix(name, "/") {
				name += "index.html"
			}
			f := filepath.Join(*dump, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
				log.Fatal(err)
			}
			if err := os.WriteFile(f, a.Body, 0o644); err != nil {
				log.Fatal(err)
			}
			fmt.Printf("%-48s %7d %7d\n", p, len(a.Body), len(a.Gzip))
		}
		return
	}
	v, _ := cat.Lookup("7-15")
	seed("302032002700000251", v, "AB123CD", "notified")
	http.HandleFunc("/api/", apiHandler)
	http.HandleFunc("/psp/", apiHandler)
	http.HandleFunc("/", static)
	log.Printf("web app %s on http://%s/", pwa.Version(), *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}

func static(w http.ResponseWriter, r *http.Request) {
	a, ok := pwa.Lookup(r.URL.Path)
	if !ok {
		a, ok = pwa.AppShell(r.URL.Path)
	}
	if !ok {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", pwa.ContentSecurityPolicy)
	h.Set("Permissions-Policy", pwa.PermissionsPolicy)
	h.Set("Content-Type", a.ContentType)
	h.Set("Cache-Control", a.CacheControl)
	h.Set("ETag", a.ETag)
	h.Set("Vary", "Accept-Encoding")
	if r.Header.Get("If-None-Match") == a.ETag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body, enc := a.Select(r.Header.Get("Accept-Encoding"))
	if enc != "" {
		h.Set("Content-Encoding", enc)
	}
	w.Write(body)
}

func navFor(base13 string) string {
	body := "302" + base13
	n, _ := strconv.ParseUint(body, 10, 64)
	return fmt.Sprintf("%s%02d", body, n%93)
}

func randDigits(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = '0' + b[i]%10
	}
	return string(b)
}

func seed(nav string, v notices.Violation, plate, status string) *fine {
	now := time.Now()
	f := &fine{
		ID: "f" + randDigits(8), ReportNumber: "2026/" + randDigits(5), Status: status, Plate: plate, Violation: v,
		OccurredAt: now.Add(-26 * time.Hour), Place: "Via Dante 12, Milano", Contestation: "deferred",
		NotifiedOn: now.AddDate(0, 0, -1).Format("2006-01-02"), Channel: "post", FeesCents: 1300,
		Officer: "officer", CreatedAt: now.Add(-25 * time.Hour),
	}
	nav2 := navFor(randDigits(13))
	f.Options = []option{
		{"reduced", nav, v.MinCents*7/10 + f.FeesCents, now.AddDate(0, 0, 4).Format("2006-01-02")},
		{"minimum", nav2, v.MinCents + f.FeesCents, now.AddDate(0, 0, 59).Format("2006-01-02")},
	}
	fines = append(fines, f)
	byNAV[nav], byNAV[nav2] = f, f
	return f
}

func due(f *fine) map[string]any {
	s := f.Violation.MinCents * 7 / 10
	return map[string]any{"cents": s + f.FeesCents, "sanctionCents": s, "feesCents": f.FeesCents, "stage": "reduced", "payBy": f.Options[0].DueDate}
}

func problem(w http.ResponseWriter, status int, code, detail string, extra map[string]any) {
	m := map[string]any{"type": "about:blank", "title": http.StatusText(status), "status": status, "code": code, "detail": detail}
	for k, v := range extra {
		m[k] = v
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(m)
}

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func user(r *http.Request) string {
	a := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if u, ok := strings.CutPrefix(a, "dev."); ok {
		return u
	}
	return ""
}

func login(w http.ResponseWriter, u string) {
	http.SetCookie(w, &http.Cookie{Name: "rt", Value: u, Path: "/api/v1/auth", HttpOnly: true, SameSite: http.SameSiteStrictMode})
	reply(w, 200, map[string]any{"accessToken": "dev." + u, "expiresAt": time.Now().Add(15 * time.Minute).Format(time.RFC3339), "user": map[string]string{"username": u, "role": u}})
}

func apiHandler(w http.ResponseWriter, r *http.Request) {
	mu.Lock()
	defer mu.Unlock()
	p := r.URL.Path
	parts := strings.Split(strings.Trim(p, "/"), "/")
	body, _ := io.ReadAll(io.LimitReader(r.Body, 6<<20))
	var in map[string]any
	json.Unmarshal(body, &in)
	str := func(k string) string { s, _ := in[k].(string); return s }
	time.Sleep(250 * time.Millisecond)
	switch {
	case p == "/api/v1/violations":
		reply(w, 200, cat.All())
	case p == "/api/v1/scan":
		problem(w, 422, "no_code_found", "no QR code in the image", nil)
	case p == "/psp/v1/tokens":
		num := strings.ReplaceAll(str("number"), " ", "")
		if !luhn(num) {
			problem(w, 422, "invalid_card", "card number", nil)
			return
		}
		tok := "tok_" + randDigits(10)
		if num == "4000000000000002" {
			tok = "tok_decline_" + randDigits(4)
		}
		reply(w, 201, map[string]any{"token": tok, "brand": "visa", "last4": num[len(num)-4:], "expMonth": in["expMonth"], "expYear": in["expYear"]})
	case p == "/api/v1/auth/login":
		u, pw := str("username"), str("password")
		if pw != "pass" || !map[string]bool{"officer": true, "supervisor": true, "finance": true, "admin": true}[u] {
			problem(w, 401, "unauthorized", "wrong username or password", nil)
			return
		}
		login(w, u)
	case p == "/api/v1/auth/refresh":
		c, err := r.Cookie("rt")
		if err != nil || c.Value == "" {
			problem(w, 401, "unauthorized", "no session", nil)
			return
		}
		login(w, c.Value)
	case p == "/api/v1/auth/logout":
		http.SetCookie(w, &http.Cookie{Name: "rt", Value: "", Path: "/api/v1/auth", MaxAge: -1})
		w.WriteHeader(204)
	case len(parts) >= 4 && parts[2] == "notices":
		nav := strings.NewReplacer(" ", "", "-", "").Replace(parts[3])
		f := byNAV[nav]
		if len(parts) == 5 && strings.HasPrefix(parts[4], "qr.") {
			w.Header().Set("Content-Type", "image/svg+xml")
			fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 29 29"><rect width="29" height="29" fill="#fff"/><rect x="2" y="2" width="7" height="7"/><rect x="20" y="2" width="7" height="7"/><rect x="2" y="20" width="7" height="7"/><text x="14.5" y="16" font-size="3" text-anchor="middle">%s</text></svg>`, r.URL.Query().Get("kind"))
			return
		}
		if f == nil {
			problem(w, 404, "notice_not_found", "no notice with that number", nil)
			return
		}
		if len(parts) == 4 {
			out := map[string]any{
				"noticeNumber": nav, "creditor": map[string]string{"fiscalCode": "01199250158", "name": "Comune di Milano"},
				"status": f.Status, "option": "reduced", "violation": f.Violation, "occurredAt": f.OccurredAt, "place": f.Place,
				"plateMasked": f.Plate[:2] + "***" + f.Plate[len(f.Plate)-2:], "notifiedOn": f.NotifiedOn, "amountDue": due(f),
				"schedule": []map[string]any{
					{"stage": "reduced", "until": f.Options[0].DueDate, "cents": f.Options[0].AmountCents},
					{"stage": "minimum", "until": f.Options[1].DueDate, "cents": f.Options[1].AmountCents},
					{"stage": "increased", "cents": f.Violation.MaxCents/2 + f.FeesCents},
				},
			}
			if f.ReceiptID != "" {
				rc := receipts[f.ReceiptID]
				out["payment"] = map[string]any{"receiptId": f.ReceiptID, "paidAt": rc["paidAt"], "amountCents": rc["amountCents"]}
			}
			reply(w, 200, out)
			return
		}
		// payments
		key := r.Header.Get("Idempotency-Key")
		if len(key) < 8 {
			problem(w, 400, "validation_failed", "Idempotency-Key", nil)
			return
		}
		h := sha256.Sum256(body)
		if s, ok := idem[key]; ok {
			if s.hash != hex.EncodeToString(h[:]) {
				problem(w, 422, "idempotency_conflict", "same key, different body", nil)
				return
			}
			reply(w, s.status, s.body)
			return
		}
		d := due(f)
		var status int
		var out any
		amt, _ := in["amountCents"].(float64)
		switch {
		case f.Status == "paid":
			problem(w, 409, "already_paid", "already paid", map[string]any{"receiptId": f.ReceiptID})
			return
		case f.Status == "cancelled":
			problem(w, 410, "fine_cancelled", "cancelled", nil)
			return
		case strings.HasPrefix(str("token"), "tok_decline"):
			problem(w, 402, "card_declined", "declined", nil)
			return
		case int64(amt) != d["cents"].(int64):
			problem(w, 409, "amount_changed", "amount changed", map[string]any{"amountDue": d})
			return
		}
		id := "rcpt_" + randDigits(16)
		rc := map[string]any{"receiptId": id, "noticeNumber": nav, "fineId": f.ID, "creditor": map[string]string{"fiscalCode": "01199250158", "name": "Comune di Milano"},
			"amountCents": d["cents"], "sanctionCents": d["sanctionCents"], "feesCents": d["feesCents"], "stage": "reduced", "paidAt": time.Now().Format(time.RFC3339),
			"psp": map[string]string{"name": "Multa Sandbox PSP", "transactionId": "tx_" + randDigits(12)}, "method": map[string]string{"brand": "visa", "last4": "4242"}}
		receipts[id] = rc
		f.Status, f.ReceiptID = "paid", id
		status, out = 201, rc
		idem[key] = stored{hex.EncodeToString(h[:]), status, out}
		if dropN > 0 {
			dropN--
			if hj, ok := w.(http.Hijacker); ok {
				c, _, _ := hj.Hijack()
				c.Close()
				return
			}
		}
		reply(w, status, out)
	case len(parts) == 4 && parts[2] == "receipts":
		id := parts[3]
		if pdf, ok := strings.CutSuffix(id, ".pdf"); ok {
			if receipts[pdf] == nil {
				problem(w, 404, "receipt_not_found", "", nil)
				return
			}
			w.Header().Set("Content-Type", "application/pdf")
			io.WriteString(w, "%PDF-1.4\n% dev stub\n")
			return
		}
		if receipts[id] == nil {
			problem(w, 404, "receipt_not_found", "", nil)
			return
		}
		reply(w, 200, receipts[id])
	case len(parts) >= 3 && parts[2] == "fines":
		u := user(r)
		if u == "" {
			problem(w, 401, "unauthorized", "", nil)
			return
		}
		if len(parts) == 3 && r.Method == http.MethodPost {
			v, err := cat.Lookup(str("violationCode"))
			if err != nil {
				problem(w, 422, "validation_failed", "invalid", map[string]any{"errors": []map[string]string{{"field": "violationCode", "message": "unknown violation"}}})
				return
			}
			if s, ok := idem["fine:"+r.Header.Get("Idempotency-Key")]; ok {
				reply(w, s.status, s.body)
				return
			}
			f := seed(navFor(randDigits(13)), v, strings.ToUpper(str("plate")), "issued")
			f.Place, f.Contestation, f.Officer, f.CreatedAt = str("place"), str("contestation"), u, time.Now()
			if t, err := time.Parse(time.RFC3339, str("occurredAt")); err == nil {
				f.OccurredAt = t
			}
			if f.Contestation == "immediate" {
				f.Status, f.FeesCents, f.Channel, f.NotifiedOn = "notified", 0, "hand", time.Now().Format("2006-01-02")
				f.Options[0].AmountCents, f.Options[1].AmountCents = v.MinCents*7/10, v.MinCents
			} else {
				f.NotifiedOn, f.Channel = "", ""
			}
			idem["fine:"+r.Header.Get("Idempotency-Key")] = stored{"", 201, f}
			reply(w, 201, f)
			return
		}
		if len(parts) == 3 {
			q := r.URL.Query()
			var items []*fine
			for i := len(fines) - 1; i >= 0; i-- {
				f := fines[i]
				if (q.Get("plate") == "" || strings.Contains(f.Plate, q.Get("plate"))) && (q.Get("status") == "" || f.Status == q.Get("status")) {
					items = append(items, f)
				}
			}
			start, _ := strconv.Atoi(q.Get("cursor"))
			lim, _ := strconv.Atoi(q.Get("limit"))
			if lim <= 0 {
				lim = 20
			}
			end := min(start+lim, len(items))
			next := ""
			if end < len(items) {
				next = strconv.Itoa(end)
			}
			reply(w, 200, map[string]any{"items": items[min(start, len(items)):end], "nextCursor": next})
			return
		}
		var f *fine
		for _, x := range fines {
			if x.ID == parts[3] {
				f = x
			}
		}
		if f == nil {
			problem(w, 404, "fine_not_found", "", nil)
			return
		}
		switch {
		case len(parts) == 4:
			reply(w, 200, f)
		case parts[4] == "notice.pdf":
			w.Header().Set("Content-Type", "application/pdf")
			io.WriteString(w, "%PDF-1.4\n% dev stub "+r.URL.Query().Get("format")+"\n")
		case parts[4] == "notification":
			f.Status, f.NotifiedOn, f.Channel = "notified", str("notifiedOn"), str("channel")
			reply(w, 200, f)
		case parts[4] == "cancellation":
			if u != "supervisor" && u != "admin" {
				problem(w, 403, "forbidden", "", nil)
				return
			}
			f.Status, f.CancelReason, f.CancelledBy = "cancelled", str("reason"), u
			reply(w, 200, f)
		}
	default:
		problem(w, 404, "not_found", p, nil)
	}
}

func luhn(s string) bool {
	if len(s) < 12 {
		return false
	}
	sum := 0
	for i := range len(s) {
		d := int(s[len(s)-1-i] - '0')
		if d < 0 || d > 9 {
			return false
		}
		if i%2 == 1 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return sum%10 == 0
}
