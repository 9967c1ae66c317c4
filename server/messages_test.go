package server_test

import (
	"strings"
	"testing"
)

// TestProblemsSpeakItalian: the same invalid fine, asked in Italian and in
// English, has the same status, code and fields, with details and field
// messages in the language asked for.
func TestProblemsSpeakItalian(t *testing.T) {
	e := newEnv(t, rome("2026-11-03 09:00:00"))
	bearer := e.login("officer")
	body := []byte(`{"plate":"AB123CD","violationCode":"7-15","occurredAt":"2026-11-03T08:00:00+01:00","place":"  ","contestation":"immediate"}`)
	for _, c := range []struct {
		accept, detail, place string
	}{
		{"it-IT,it;q=0.9,en;q=0.8", "Alcuni campi non sono validi.", "il luogo è obbligatorio, al massimo 200 caratteri"},
		{"en-GB,en;q=0.9,it;q=0.5", "Some fields are invalid.", "the place is required, at most 200 characters"},
		{"", "Some fields are invalid.", "the place is required, at most 200 characters"},
	} {
		r := e.do("POST", "/api/v1/fines", body, "Authorization", bearer, "Content-Type", "application/json", "Accept-Language", c.accept)
		p := r.json(t)
		if r.status != 422 || p["code"] != "validation_failed" || p["detail"] != c.detail {
			t.Errorf("Accept-Language %q: %d %v, want 422 validation_failed %q", c.accept, r.status, p, c.detail)
			continue
		}
		errs := p["errors"].([]any)
		if fe := errs[0].(map[string]any); fe["field"] != "place" || fe["message"] != c.place {
			t.Errorf("Accept-Language %q: errors %v, want place: %q", c.accept, errs, c.place)
		}
	}
	// A detail with a value keeps the value: the fine's report number.
	r := e.do("POST", "/api/v1/fines/nope/cancellation", []byte(`{"reason":"x"}`), "Authorization", e.login("super"), "Content-Type", "application/json", "Accept-Language", "it")
	if p := r.json(t); r.status != 404 || !strings.HasPrefix(p["detail"].(string), "nessuna multa") {
		t.Errorf("unknown fine in Italian: %d %v", r.status, p)
	}
}
