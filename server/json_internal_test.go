package server

import (
	"encoding/json"
	"io"
	"log/slog"
	"testing"
)

// FuzzRefuseDuplicateKeys: the duplicate-key scan never panics, and never
// refuses a valid document whose objects all have distinct members (checked
// by re-encoding what encoding/json read, which has no duplicates).
func FuzzRefuseDuplicateKeys(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":1},"b":{"a":[{"a":1},{"a":2}]}}`, `[1,{"x":{}}]`, `"s"`, `{`, `}}`, `[]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = refuseDuplicateKeys(b)
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		clean, err := json.Marshal(v)
		if err != nil {
			return
		}
		if err := refuseDuplicateKeys(clean); err != nil {
			t.Errorf("%s refused: %v", clean, err)
		}
	})
}

// FuzzDecodeJSONBody: whatever a client sends as the body of the routes
// that take JSON, decoding never panics and every refusal is a client
// error (4xx) with a mapped code, never a 500; an accepted body is one
// JSON value with no member the request type lacks.
func FuzzDecodeJSONBody(f *testing.F) {
	for _, s := range []string{
		`{"amountCents":2940,"token":"tok_1","email":"a@b.it"}`, `{"amountCents":29.4}`, `{"amountCents":"2940"}`,
		`{"plate":"AB123CD","violationCode":"7-15","occurredAt":"2026-03-10T09:00:00+01:00","place":"Via Roma 1"}`,
		`{"role":"admin","disabled":true}`, `{"nope":1}`, `{"amountCents":1,"amountCents":2}`, `{} {}`, `[]`, `null`,
		`{"amountCents":1e400}`, `{"amountCents":-9223372036854775809}`, "{\"email\":\"\xff\"}", `{`, ``,
	} {
		f.Add([]byte(s), byte(0))
	}
	targets := []func() any{
		func() any { return new(paymentRequest) },
		func() any { return new(fineRequest) },
		func() any { return new(updateUserRequest) },
		func() any { return new(newUserRequest) },
		func() any { return new(loginRequest) },
		func() any { return new(notificationRequest) },
		func() any { return new(cancellationRequest) },
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, body []byte, which byte) {
		v := targets[int(which)%len(targets)]()
		err := decodeJSONBody(body, v, maxJSONBody)
		if err == nil {
			if !json.Valid(body) {
				t.Fatalf("%T accepted invalid JSON %q", v, body)
			}
			return
		}
		p := problemFor(err, log, "/fuzz")
		if p.Status < 400 || p.Status > 499 {
			t.Fatalf("%T from %q: %d %s (%v), want a 4xx", v, body, p.Status, p.Code, err)
		}
		if _, ok := statusOf[p.Code]; !ok {
			t.Fatalf("%T from %q: code %q has no status", v, body, p.Code)
		}
	})
}
