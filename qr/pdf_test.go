package qr_test

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/qr"
)

// TestWriteSamples writes sample PDFs and renders to $QR_SAMPLE_DIR, for
// people to look at; it does nothing otherwise.
func TestWriteSamples(t *testing.T) {
	dir := os.Getenv("QR_SAMPLE_DIR")
	if dir == "" {
		t.Skip("QR_SAMPLE_DIR not set")
	}
	write := func(name string, b []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ name, code, format string }{
		{"notice-a4", "142-8", qr.FormatA4},
		{"notice-a4-nonreducible", "142-9", qr.FormatA4},
		{"notice-thermal", "142-8", qr.FormatThermal},
	} {
		var b bytes.Buffer
		if err := qr.NoticePDF(&b, sampleDoc(t, c.code), c.format); err != nil {
			t.Fatal(err)
		}
		write(c.name+".pdf", b.Bytes())
		write(c.name+".png", run(t, "pdftoppm", b.Bytes(), "-r", "110", "-png", "-singlefile"))
	}
	// What TestNoticePDFCodes feeds the decoder: page 1 at 150 dpi, photographed badly.
	page, err := png.Decode(bytes.NewReader(renderPage(t, notice(t, sampleDoc(t, "142-8"), qr.FormatA4), 150)))
	if err != nil {
		t.Fatal(err)
	}
	write("notice-a4-photo.jpg", degrade(t, page, 3, 42))
	var b bytes.Buffer
	if err := qr.ReceiptPDF(&b, sampleReceipt()); err != nil {
		t.Fatal(err)
	}
	write("receipt.pdf", b.Bytes())
	write("receipt.png", run(t, "pdftoppm", b.Bytes(), "-r", "110", "-png", "-singlefile"))
}

// pdfText returns the text of a PDF as pdftotext lays it out.
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	return string(run(t, "pdftotext", pdf, "-layout", "-enc", "UTF-8", "-", "-"))
}

// renderPage rasterises page 1 at dpi with pdftoppm.
func renderPage(t testing.TB, pdf []byte, dpi int) []byte {
	t.Helper()
	return run(t, "pdftoppm", pdf, "-r", strconv.Itoa(dpi), "-f", "1", "-l", "1", "-png", "-singlefile")
}

func notice(t testing.TB, d qr.NoticeDoc, format string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := qr.NoticePDF(&b, d, format); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// wantPayloads are the codes a notice must carry: one pagoPA payload per
// option with its own amount, and the checkout link.
func wantPayloads(t testing.TB, d qr.NoticeDoc) []string {
	t.Helper()
	var want []string
	for _, o := range d.Options {
		s, err := qr.EncodePagoPA(qr.Payload{NAV: o.NAV, FiscalCode: d.Creditor.FiscalCode, AmountCents: o.AmountCents})
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, s)
	}
	return append(want, qr.LinkURL(d.PublicURL, d.Options[0].NAV))
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

func TestNoticePDFText(t *testing.T) {
	needTool(t, "pdftotext")
	d := sampleDoc(t, "142-8")
	if len(d.Options) != 2 {
		t.Fatalf("sample has %d options", len(d.Options))
	}
	for _, format := range []string{qr.FormatA4, qr.FormatThermal} {
		t.Run(format, func(t *testing.T) {
			text := pdfText(t, notice(t, d, format))
			// Wrapping depends on the font's widths: compare words, not lines.
			flat := strings.Join(strings.Fields(text), " ")
			want := []string{
				"AVVISO DI PAGAMENTO", "Comune di Milano – Polizia Locale", milan,
				"Importo scontato del 30% entro 5 giorni", "Importo ridotto entro 60 giorni",
				"30% discount if paid within 5 days",
				"€ 174,47", "€ 243,67", // 161.47 and 230.67 (night rate) plus €13.00 fees
				"14/03/2026", "08/05/2026",
				"2026/000123", "FZ123XY", "Viale Fulvio Testi 120", "02/03/2026 ore 23:30",
				"Eccesso di velocità da 10 a 40", "Speeding 10–40 km/h over the limit",
				"Paga dal telefono", "Pay from your phone",
				d.Options[0].NAV.Format(), d.Options[1].NAV.Format(),
			}
			for _, w := range want {
				if !strings.Contains(text, w) && !strings.Contains(flat, w) {
					t.Errorf("text lacks %q", w)
				}
			}
			if t.Failed() {
				t.Logf("text:\n%s", text)
			}
		})
	}

	one := sampleDoc(t, "142-9") // not reducible: a single option
	if len(one.Options) != 1 {
		t.Fatalf("non-reducible sample has %d options", len(one.Options))
	}
	text := pdfText(t, notice(t, one, qr.FormatA4))
	if strings.Contains(text, "Importo scontato") || !strings.Contains(text, "Importo ridotto entro 60 giorni") ||
		!strings.Contains(text, "€ 737,00") || !strings.Contains(text, one.Options[0].NAV.Format()) {
		t.Errorf("non-reducible notice:\n%s", text)
	}
}

// TestNoticePDFCodes prints the notice (page 1 at 150 dpi), photographs it
// badly (rotation, blur, noise, JPEG) and reads every code back.
func TestNoticePDFCodes(t *testing.T) {
	needTool(t, "pdftoppm")
	d := sampleDoc(t, "142-8")
	want := wantPayloads(t, d)
	for _, tt := range []struct {
		format  string
		degrees float64
	}{{qr.FormatA4, 3}, {qr.FormatThermal, -2.5}} {
		t.Run(fmt.Sprintf("%s %+.1f°", tt.format, tt.degrees), func(t *testing.T) {
			t.Parallel()
			page, err := png.Decode(bytes.NewReader(renderPage(t, notice(t, d, tt.format), 150)))
			if err != nil {
				t.Fatal(err)
			}
			photo := degrade(t, page, tt.degrees, 42)
			got, err := qr.DecodeAllBytes(photo)
			if err != nil {
				t.Fatal(err)
			}
			if !sameSet(got, want) {
				t.Fatalf("decoded %q, want %q", got, want)
			}
			one, err := qr.DecodeBytes(photo)
			if err != nil || !slices.Contains(want, one) {
				t.Fatalf("DecodeBytes = %q, %v", one, err)
			}
			for i, s := range got {
				sc, err := qr.Parse(s)
				if err != nil {
					t.Fatalf("Parse(%q): %v", s, err)
				}
				if sc.Kind == qr.KindPagoPA {
					o := d.Options[slices.Index(want, s)]
					if sc.NAV != o.NAV || sc.AmountCents != o.AmountCents || sc.FiscalCode != milan {
						t.Fatalf("code %d: %+v, want option %+v", i, sc, o)
					}
				}
			}
		})
	}
}

// TestNoticePDFVector checks that the codes are drawn, not embedded as
// images, and that the page sizes are right.
func TestNoticePDFVector(t *testing.T) {
	d := sampleDoc(t, "142-8")
	for _, format := range []string{qr.FormatA4, qr.FormatThermal} {
		pdf := notice(t, d, format)
		if bytes.Contains(pdf, []byte("/Subtype /Image")) {
			t.Errorf("%s notice embeds an image", format)
		}
		for range 5 {
			if !bytes.Equal(pdf, notice(t, d, format)) {
				t.Fatalf("%s notice is not deterministic", format)
			}
		}
	}
	if _, err := exec.LookPath("pdfinfo"); err != nil {
		return
	}
	info := string(run(t, "pdfinfo", notice(t, d, qr.FormatA4), "-"))
	if !pdfInfo(info, `Pages:\s+1\n`) || !pdfInfo(info, `Page size:\s+595\.28 x 841\.89 pts \(A4\)`) {
		t.Errorf("A4 pdfinfo:\n%s", info)
	}
	info = string(run(t, "pdfinfo", notice(t, d, qr.FormatThermal), "-"))
	if !pdfInfo(info, `Pages:\s+1\n`) || !pdfInfo(info, `Page size:\s+226\.77 x \d+`) {
		t.Errorf("thermal pdfinfo:\n%s", info)
	}
}

func pdfInfo(info, pattern string) bool { return regexp.MustCompile(pattern).MatchString(info) }

func TestNoticePDFErrors(t *testing.T) {
	base := sampleDoc(t, "142-8")
	mod := func(f func(d *qr.NoticeDoc)) qr.NoticeDoc {
		d := base
		d.Options = slices.Clone(base.Options)
		f(&d)
		return d
	}
	tests := []struct {
		name   string
		d      qr.NoticeDoc
		format string
		code   string
	}{
		{"unknown format", base, "letter", notices.EValidation},
		{"no fine", mod(func(d *qr.NoticeDoc) { d.Fine = nil }), qr.FormatA4, notices.EValidation},
		{"no options", mod(func(d *qr.NoticeDoc) { d.Options = nil }), qr.FormatA4, notices.EValidation},
		{"three options", mod(func(d *qr.NoticeDoc) { d.Options = append(d.Options, d.Options[0]) }), qr.FormatA4, notices.EValidation},
		{"unknown kind", mod(func(d *qr.NoticeDoc) { d.Options[0].Kind = "increased" }), qr.FormatA4, notices.EValidation},
		{"bad creditor", mod(func(d *qr.NoticeDoc) { d.Creditor.FiscalCode = "01199250150" }), qr.FormatA4, notices.EInvalidFiscalCode},
		{"bad NAV", mod(func(d *qr.NoticeDoc) { d.Options[1].NAV = "302032002700000252" }), qr.FormatThermal, notices.EInvalidNoticeNumber},
		{"zero amount", mod(func(d *qr.NoticeDoc) { d.Options[0].AmountCents = 0 }), qr.FormatA4, qr.EInvalidAmount},
		{"no public URL", mod(func(d *qr.NoticeDoc) { d.PublicURL = "" }), qr.FormatA4, notices.EValidation},
		{"ftp public URL", mod(func(d *qr.NoticeDoc) { d.PublicURL = "ftp://x.it" }), qr.FormatA4, notices.EValidation},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			wantCode(t, qr.NoticePDF(&b, tt.d, tt.format), tt.code)
		})
	}
}

// TestNoticePDFLongText: long user text is wrapped or shortened, never
// pushed off the page.
func TestNoticePDFLongText(t *testing.T) {
	needTool(t, "pdftotext")
	d := sampleDoc(t, "142-8")
	f := *d.Fine
	f.Place = strings.Repeat("Via dei Lunghissimi Nomi Toponomastici ", 12) + "\x00\x07 fine"
	d.Fine = &f
	d.Creditor.Name = strings.Repeat("Unione dei Comuni della Bassa Valle ", 6)
	for _, format := range []string{qr.FormatA4, qr.FormatThermal} {
		pdf := notice(t, d, format)
		text := pdfText(t, pdf)
		if !strings.Contains(text, "€ 243,67") || !strings.Contains(text, d.Options[1].NAV.Format()) {
			t.Errorf("%s: long texts pushed the options off the page:\n%s", format, text)
		}
	}
}

func TestReceiptPDF(t *testing.T) {
	r := sampleReceipt()
	var b bytes.Buffer
	if err := qr.ReceiptPDF(&b, r); err != nil {
		t.Fatal(err)
	}
	needTool(t, "pdftotext")
	text := pdfText(t, b.Bytes())
	for _, w := range []string{
		"RICEVUTA DI PAGAMENTO", "Comune di Milano – Polizia Locale", milan, r.NAV.Format(), "2026/000123",
		"€ 243,67", "€ 230,67", "€ 13,00", "Importo ridotto (entro 60 giorni)",
		"20/03/2026 19:04:05", // 18:04:05 UTC is 19:04:05 in Rome (CET)
		"Multa Sandbox PSP", r.PSP.TransactionID, "Visa •••• 4242", r.ID,
	} {
		if !strings.Contains(text, w) {
			t.Errorf("receipt lacks %q", w)
		}
	}
	if t.Failed() {
		t.Logf("text:\n%s", text)
	}
	info := string(run(t, "pdfinfo", b.Bytes(), "-"))
	if !pdfInfo(info, `Pages:\s+1\n`) || !pdfInfo(info, `\(A4\)`) {
		t.Errorf("pdfinfo:\n%s", info)
	}
	bad := r
	bad.ID = ""
	wantCode(t, qr.ReceiptPDF(&b, bad), notices.EValidation)
}

// TestPDFConcurrent: the server renders notices and receipts for many
// requests at once; documents share no state.
func TestPDFConcurrent(t *testing.T) {
	t.Parallel()
	d := sampleDoc(t, "142-8")
	want := notice(t, d, qr.FormatThermal)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 3 {
				var b bytes.Buffer
				if err := qr.NoticePDF(&b, d, qr.FormatThermal); err != nil || !bytes.Equal(b.Bytes(), want) {
					t.Errorf("concurrent notice differs: %v", err)
					return
				}
				b.Reset()
				if err := qr.ReceiptPDF(&b, sampleReceipt()); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
}
