package qr_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// verbaleDoc is the sample notice with a full verbale: contested on the
// spot to a driver who is not the owner, a company, with a statement.
func verbaleDoc(t testing.TB) qr.NoticeDoc {
	d := sampleDoc(t, "142-8")
	f := *d.Fine
	f.Contestation = notices.ContestImmediate
	f.Verbale = &notices.Verbale{
		Offender: &notices.Offender{Person: notices.Person{Name: "Bianchi Anna", FiscalCode: "RSSMRA80A01H501U",
			BirthDate: notices.Date{Year: 1990, Month: 5, Day: 3}, BirthPlace: "Torino", Address: "Via Po 2, 10123 Torino"},
			LicenceNumber: "TO1234567X", LicenceCategory: "B", LicenceIssuedBy: "MIT-UCO"},
		Owner: &notices.Liable{Kind: notices.LiableCompany, Role: notices.RoleLessee, Name: "Noleggi Lombardi Spa",
			VATNumber: "01199250158", Address: "Via Larga 3, 20122 Milano", PEC: "noleggi@pec.example.it"},
		Vehicle:   notices.Vehicle{Type: "car", Make: "Fiat", Model: "Panda"},
		Agents:    []string{"PL-0042", "PL-0117"},
		Statement: "Non avevo visto il limite.",
	}
	d.Fine = &f
	t0 := notices.Calendar{}.TermsFrom(f.NotifiedOn, f.Violation, false)
	d.Terms = &t0
	return d
}

// TestVerbalePDFText: the A4 notice of a fine with a verbale prints every
// field the verbale holds, in the ministerial order, on its first page,
// and the pagoPA notice after it.
func TestVerbalePDFText(t *testing.T) {
	needTool(t, "pdftotext")
	d := verbaleDoc(t)
	text := pdfText(t, notice(t, d, qr.FormatA4))
	pages := strings.Split(text, "\f")
	if len(pages) < 2 || !strings.Contains(pages[0], "VERBALE DI ACCERTAMENTO") || !strings.Contains(pages[1], "AVVISO DI PAGAMENTO") {
		t.Fatalf("want the verbale then the payment notice, got %d pages:\n%s", len(pages), text)
	}
	v := flat(pages[0])
	// In the order of model VI.1.
	order := []string{
		"2026/000123", "02/03/2026 ore 23:30", "Viale Fulvio Testi 120",
		"PL-0042, PL-0117",
		"autovettura – Fiat Panda", "FZ123XY (IT)",
		"Bianchi Anna", "03/05/1990 a Torino", "Via Po 2, 10123 Torino", "RSSMRA80A01H501U", "TO1234567X, cat. B, rilasciata da MIT-UCO",
		"locatario", "Noleggi Lombardi Spa", "Via Larga 3, 20122 Milano", "01199250158", "noleggi@pec.example.it",
		"art. 142 c.8 C.d.S.", "da € 230,67 a € 925,33", "3 (art. 126-bis C.d.S.)",
		"Non avevo visto il limite.",
		"Prefetto", "Giudice di Pace", "Notificato il 09/03/2026", "08/05/2026",
	}
	at := 0
	for _, s := range order {
		i := strings.Index(v[at:], s)
		if i < 0 {
			t.Errorf("verbale page lacks %q after position %d:\n%s", s, at, pages[0])
			continue
		}
		at += i
	}
	if strings.Contains(v, "Deutsch") {
		t.Error("an Italian recipient got the foreign texts")
	}
}

// TestVerbalePDFForeign: a camera fine to an owner abroad says why it was
// not contested, asks to name the driver, and carries the fixed texts in
// English, German and French; the data stay as issued.
func TestVerbalePDFForeign(t *testing.T) {
	needTool(t, "pdftotext")
	d := sampleDoc(t, "142-8")
	f := *d.Fine
	f.Plate = "M AB 1234"
	f.Verbale = &notices.Verbale{
		Owner: &notices.Liable{Kind: notices.LiablePerson, Role: notices.RoleOwner, Name: "Müller Jürgen",
			Address: "Leopoldstraße 7, 80802 München", Country: "DE"},
		Vehicle:        notices.Vehicle{Type: "car", Make: "VW", Model: "Golf", Country: "DE"},
		DeferredReason: notices.DeferredCamera,
	}
	d.Fine, d.Foreign = &f, true
	text := pdfText(t, notice(t, d, qr.FormatA4))
	pages := strings.Split(text, "\f")
	v := flat(text)
	for _, s := range []string{
		"Müller Jürgen", "Leopoldstraße 7, 80802 München (DE)", "M AB 1234 (DE)",
		"apparecchiatura omologata", "non identificato",
		"COMUNICAZIONE DEI DATI DEL CONDUCENTE", "€ 291,00 a € 1.166,00",
		"INFORMAZIONI PER I DESTINATARI ALL'ESTERO",
		"English", "Italian Highway Code", "Deutsch", "Straßenverkehrsordnung", "Friedensrichter",
		"Français", "Code de la route italien", "juge de paix",
	} {
		if !strings.Contains(v, s) {
			t.Errorf("foreign notice lacks %q", s)
		}
	}
	if len(pages) < 3 || !strings.Contains(pages[2], "AVVISO DI PAGAMENTO") {
		t.Errorf("want verbale, foreign texts, payment notice; got %d pages", len(pages))
	}
	if dir := os.Getenv("QR_SAMPLE_DIR"); dir != "" {
		for name, doc := range map[string]qr.NoticeDoc{"verbale-a4": verbaleDoc(t), "verbale-a4-foreign": d} {
			pdf := notice(t, doc, qr.FormatA4)
			_ = os.WriteFile(filepath.Join(dir, name+".pdf"), pdf, 0o644)
			_ = os.WriteFile(filepath.Join(dir, name+".png"), renderPage(t, pdf, 80), 0o644)
		}
	}
}

// flat joins pdftotext's layout into one line of single spaces, so that
// wrapped text is found whole.
func flat(s string) string { return strings.Join(strings.Fields(s), " ") }
