package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"
)

// newHTTPClient is the load generator's client: keep-alive with one idle
// connection kept per worker, so that a measurement never pays for TCP
// handshakes, and no transparent gzip, which the server would not do for
// the ceiling either.
func newHTTPClient(conns int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil, // loopback only, never through a proxy from the environment
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     0,
		IdleConnTimeout:     60 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: 60 * time.Second}
}

// bufPool holds response-draining buffers: the generator shares two cores
// with the server, so every allocation it saves is CPU the server gets.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// drain reads and discards a response body so that the connection goes
// back to the pool, and returns the number of bytes read.
func drain(r io.Reader) int64 {
	bp := bufPool.Get().(*[]byte)
	n, _ := io.CopyBuffer(io.Discard, r, *bp)
	bufPool.Put(bp)
	return n
}

// api is a client of Multa's HTTP contract (shared/api.md), just the
// routes the harness and the crash test need.
type api struct {
	base  string
	hc    *http.Client
	token string // bearer token of the back-office user, after login
}

// httpError is a non-expected status with the body the server sent.
type httpError struct {
	Status int
	Body   string
}

// Error keeps the status and the start of the body, which for Multa is a
// problem+json naming the cause.
func (e *httpError) Error() string { return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body) }

// do sends a request and decodes a JSON answer into out when the status is
// one of want; any other status is an *httpError.
func (a *api) do(method, path, ctype string, body []byte, hdr map[string]string, out any, want ...int) (int, error) {
	req, err := http.NewRequest(method, a.base+path, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if a.token != "" {
		req.Header.Set("Authorization", "Bearer "+a.token)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	for _, w := range want {
		if resp.StatusCode == w {
			if out != nil {
				if raw, ok := out.(*[]byte); ok {
					*raw = b
					return resp.StatusCode, nil
				}
				if err := json.Unmarshal(b, out); err != nil {
					return resp.StatusCode, fmt.Errorf("%s %s: decode: %w", method, path, err)
				}
			}
			return resp.StatusCode, nil
		}
	}
	if len(b) > 500 {
		b = b[:500]
	}
	return resp.StatusCode, &httpError{resp.StatusCode, string(b)}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// login gets a 15-minute access token for a back-office user.
func (a *api) login(user, password string) error {
	var out struct {
		AccessToken string `json:"accessToken"`
	}
	a.token = ""
	if _, err := a.do("POST", "/api/v1/auth/login", "application/json",
		mustJSON(map[string]string{"username": user, "password": password}), nil, &out, 200); err != nil {
		return fmt.Errorf("login %s: %w", user, err)
	}
	a.token = out.AccessToken
	return nil
}

// importResult is the answer of POST /api/v1/fines/import.
type importResult struct {
	Imported int `json:"imported"`
	Failed   int `json:"failed"`
	Rows     []struct {
		Row    int    `json:"row"`
		ID     string `json:"id"`
		Errors []struct {
			Field   string `json:"field"`
			Message string `json:"message"`
		} `json:"errors"`
	} `json:"rows"`
}

// importCSV sends one chunk of camera detections.
func (a *api) importCSV(body []byte) (importResult, error) {
	var out importResult
	_, err := a.do("POST", "/api/v1/fines/import", "text/csv", body, nil, &out, 200)
	return out, err
}

// fineItem is the part of a back-office fine the harness uses.
type fineItem struct {
	ID      string `json:"id"`
	Status  string `json:"status"`
	Options []struct {
		Kind         string `json:"kind"`
		NoticeNumber string `json:"noticeNumber"`
	} `json:"options"`
	ReceiptID string `json:"receiptId"`
}

// listFines returns one page of fines, newest first.
func (a *api) listFines(cursor string, limit int) ([]fineItem, string, error) {
	var out struct {
		Items      []fineItem `json:"items"`
		NextCursor string     `json:"nextCursor"`
	}
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if cursor != "" {
		q.Set("cursor", cursor)
	}
	_, err := a.do("GET", "/api/v1/fines?"+q.Encode(), "", nil, nil, &out, 200)
	return out.Items, out.NextCursor, err
}

// noticeView is the part of a verify answer the harness uses.
type noticeView struct {
	NoticeNumber string `json:"noticeNumber"`
	Status       string `json:"status"`
	AmountDue    struct {
		Cents int64 `json:"cents"`
	} `json:"amountDue"`
	Payment *struct {
		ReceiptID   string `json:"receiptId"`
		AmountCents int64  `json:"amountCents"`
	} `json:"payment"`
}

// verify looks a notice up (paVerifyPaymentNotice).
func (a *api) verify(nav string) (noticeView, error) {
	var out noticeView
	_, err := a.do("GET", "/api/v1/notices/"+nav, "", nil, nil, &out, 200)
	return out, err
}

// tokenize gets a sandbox card token for the approving test card.
func (a *api) tokenize() (string, error) {
	var out struct {
		Token string `json:"token"`
	}
	body := mustJSON(map[string]any{"number": "4242424242424242", "expMonth": 12,
		"expYear": time.Now().Year() + 3, "cvc": "123", "holder": "Bench Payer"})
	if _, err := a.do("POST", "/psp/v1/tokens", "application/json", body, nil, &out, 201); err != nil {
		return "", fmt.Errorf("tokenize: %w", err)
	}
	return out.Token, nil
}

// receipt is the part of a receipt the harness and the crash test check.
type receipt struct {
	ReceiptID    string `json:"receiptId"`
	NoticeNumber string `json:"noticeNumber"`
	FineID       string `json:"fineId"`
	AmountCents  int64  `json:"amountCents"`
}

// payBody is the request body of a payment; the crash test resends the
// very same bytes to check the idempotent replay.
func payBody(amount int64, token string) []byte {
	return mustJSON(map[string]any{"amountCents": amount, "token": token})
}

// pay posts a payment and returns the status and the raw body, whatever
// the status: the caller decides what is acceptable.
func (a *api) pay(nav, key string, body []byte) (int, []byte, http.Header, error) {
	req, err := http.NewRequest("POST", a.base+"/api/v1/notices/"+nav+"/payments", bytes.NewReader(body))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header, err
}

// getReceipt fetches a receipt by id.
func (a *api) getReceipt(id string) (receipt, error) {
	var out receipt
	_, err := a.do("GET", "/api/v1/receipts/"+id, "", nil, nil, &out, 200)
	return out, err
}
