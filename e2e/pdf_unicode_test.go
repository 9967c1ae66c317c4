package e2e

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestPDFsPrintEveryLetter (issue 12 item 7): the notice PDF prints Latin
// Extended, Greek and Cyrillic as typed, a character no font has as a
// visible replacement, while the API keeps the original; control and
// bidirectional characters are refused in free text.
func TestPDFsPrintEveryLetter(t *testing.T) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Skip("needs pdftotext (poppler-utils; .ci/run installs it)")
	}
	s := start(t, "", "--rate-limit", "0")
	tok := s.login(t, "admin", s.Admin)
	place := "Łódź / Soči / Αθήνα / Москва 東"
	fine := s.issue(t, tok, "AB123CD", place)
	id, _ := fine["id"].(string)
	if got := s.call(t, "GET", "/api/v1/fines/"+id, nil, "Authorization", "Bearer "+tok).json(t)["place"]; got != place {
		t.Errorf("the API stored %q, want %q", got, place)
	}
	pdf := s.call(t, "GET", "/api/v1/fines/"+id+"/notice.pdf", nil, "Authorization", "Bearer "+tok)
	if pdf.status != 200 {
		t.Fatalf("notice.pdf: %d %.200s", pdf.status, pdf.body)
	}
	cmd := exec.Command("pdftotext", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf.body)
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, w := range []string{"Łódź", "Soči", "Αθήνα", "Москва", "\uFFFD"} {
		if !strings.Contains(text, w) {
			t.Errorf("the notice PDF lacks %q", w)
		}
	}
	if strings.Contains(text, "東") || t.Failed() {
		t.Logf("text:\n%s", text)
	}
	for _, bad := range []string{"Via Roma \u202E21", "Via Roma\x0721", "Via\u2066Roma"} {
		a := s.call(t, "POST", "/api/v1/fines", map[string]any{
			"plate": "AB123CD", "violationCode": "7-15", "occurredAt": time.Now().Add(-time.Hour).Format(time.RFC3339),
			"place": bad, "contestation": "immediate",
		}, "Authorization", "Bearer "+tok, "Idempotency-Key", idemKey("bidi"))
		if a.status != 422 || !strings.Contains(string(a.body), `"place"`) {
			t.Errorf("place %q: %d %s, want 422 on place", bad, a.status, a.body)
		}
	}
}
