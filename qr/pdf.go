package qr

import (
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/multa/multa/notices"
)

// NoticeDoc is what a printed notice shows.
type NoticeDoc struct {
	// Creditor is the body that collects the fine; its fiscal code goes
	// into every pagoPA code.
	Creditor notices.Creditor
	// Fine gives the report number, plate, place, time (printed in Rome
	// time) and violation, and the fees when it is notified.
	Fine *notices.Fine
	// Options are the payment options as Calendar.Options returns them:
	// one or two (only the minimum when the violation is not reducible).
	Options []notices.OptionAmount
	// PublicURL is the app's base URL for the checkout link QR code.
	PublicURL string
	// Terms, when the fine is notified, are the last days that run from
	// the notification, printed on the verbale page.
	Terms *notices.Terms
	// Foreign adds the fixed texts in English, German and French, for a
	// recipient or vehicle from abroad.
	Foreign bool
}

// Notice formats.
const (
	FormatA4      = "a4"      // the pagoPA "avviso di pagamento" layout, for post and PEC
	FormatThermal = "thermal" // 80 mm roll, printed by officers on the street
)

// qrSize is the side of every printed QR symbol (without its quiet zone),
// as the pagoPA graphic guidelines ask.
const qrSize = 25.0

// option is a payment option with what its box shows.
type option struct {
	notices.OptionAmount
	titleIt, titleEn string
	code             vectorQR
}

// notice is a validated NoticeDoc, ready to draw.
type notice struct {
	NoticeDoc
	options []option
	link    string
	linkQR  vectorQR
}

// optionTitles are the headings of the traffic-fine variant of the notice.
var optionTitles = map[notices.OptionKind][2]string{
	notices.OptionReduced: {"Importo scontato del 30% entro 5 giorni", "30% discount if paid within 5 days"},
	notices.OptionMinimum: {"Importo ridotto entro 60 giorni", "Reduced amount if paid within 60 days"},
}

// prepare validates d and encodes its codes, so that nothing is drawn from
// data we could not read back from the paper.
func prepare(d NoticeDoc, op string) (*notice, error) {
	bad := func(msg string) error { return &notices.Error{Code: notices.EValidation, Op: op, Message: msg} }
	if d.Fine == nil {
		return nil, bad("a notice needs a fine")
	}
	if len(d.Options) == 0 || len(d.Options) > 2 {
		return nil, bad("a notice has one or two payment options")
	}
	n := &notice{NoticeDoc: d}
	for _, o := range d.Options {
		t, ok := optionTitles[o.Kind]
		if !ok {
			return nil, bad("unknown payment option " + string(o.Kind))
		}
		payload, err := EncodePagoPA(Payload{NAV: o.NAV, FiscalCode: d.Creditor.FiscalCode, AmountCents: o.AmountCents})
		if err != nil {
			return nil, withOp(err, op)
		}
		code, err := newVectorQR(payload)
		if err != nil {
			return nil, err
		}
		n.options = append(n.options, option{o, t[0], t[1], code})
	}
	// The 30% option comes first, as it is the first deadline.
	slices.SortStableFunc(n.options, func(a, b option) int {
		return strings.Compare(string(b.Kind), string(a.Kind)) // "reduced" before "minimum"
	})
	n.link = LinkURL(d.PublicURL, n.options[0].NAV)
	if _, _, err := ParseLink(n.link); err != nil {
		return nil, bad("the public URL must be an http or https address without query or fragment")
	}
	var err error
	if n.linkQR, err = newVectorQR(n.link); err != nil {
		return nil, err
	}
	return n, nil
}

// NoticePDF writes the printable notice of a fine in format FormatA4 or
// FormatThermal. Each payment option carries its own pagoPA QR code with
// its own amount, as on the pagoPA traffic-fine notice; a further code
// links to the app's checkout. Text is Italian with English lines for
// foreign drivers.
//
// Errors: validation_failed (bad format, no fine, no or too many options,
// bad public URL), the codes of EncodePagoPA for an option that would give
// an unreadable code, internal when writing fails.
func NoticePDF(w io.Writer, d NoticeDoc, format string) error {
	const op = "qr.NoticePDF"
	if format != FormatA4 && format != FormatThermal {
		return &notices.Error{Code: notices.EValidation, Op: op, Message: "the format must be a4 or thermal"}
	}
	n, err := prepare(d, op)
	if err != nil {
		return err
	}
	title := "Avviso di pagamento – verbale " + d.Fine.ReportNumber
	if format == FormatA4 {
		p := newPage(210, 297, title, d.Fine.CreatedAt)
		n.drawPages(p)
		return p.finish(w, op)
	}
	// A roll has no fixed length: lay out once on a scratch page to learn
	// the height, then again on a page cut to fit.
	scratch := newPage(thermalWidth, 2000, title, d.Fine.CreatedAt)
	h := n.drawThermal(scratch)
	p := newPage(thermalWidth, h, title, d.Fine.CreatedAt)
	n.drawThermal(p)
	return p.finish(w, op)
}

// drawPages draws the A4 pages of a notice: the verbale (when the fine
// has one), the texts for foreign recipients (when asked), then the
// pagoPA payment notice.
func (n *notice) drawPages(p *page) {
	if n.Fine.Verbale != nil {
		n.drawVerbale(p)
		p.AddPage()
	}
	if n.Foreign {
		n.drawForeignTexts(p)
		p.AddPage()
	}
	n.drawA4(p)
}

// fineRows are the fine's details, as label pairs and values.
func (n *notice) fineRows() [][3]string {
	f := n.Fine
	at := f.OccurredAt.In(notices.Rome)
	rows := [][3]string{
		{"Verbale n.", "Report no.", f.ReportNumber},
		{"Targa", "Plate", f.Plate},
		{"Data e ora", "Date and time", at.Format("02/01/2006") + " ore " + at.Format("15:04") + " (ora italiana · Italian time)"},
		{"Luogo", "Place", f.Place},
	}
	if f.Violation.Points > 0 {
		pts := strconv.Itoa(f.Violation.Points)
		rows = append(rows, [3]string{"Punti patente", "Licence points", "decurtazione di " + pts + " punti · " + pts + " points deducted"})
	}
	if !f.NotifiedOn.IsZero() && f.FeesCents > 0 {
		rows = append(rows, [3]string{"Spese di notifica", "Notification fees",
			Euro(f.FeesCents) + " (incluse negli importi · included in the amounts)"})
	}
	return rows
}

// how returns the "how much and when" text for one or two options.
func (n *notice) how() (it, en string) {
	if len(n.options) == 1 {
		return howOneIt, howOneEn
	}
	return howIt, howEn
}

func (n *notice) violationIt() string {
	v := n.Fine.Violation
	desc := v.DescriptionIt
	if desc == "" {
		desc = v.Description
	}
	return v.Article + " C.d.S. – " + desc
}

// Texts of the explanatory sections, Italian then English.
const (
	howIt = "Paga una sola delle opzioni qui sotto: pagata una, l'altra non è più valida. " +
		"Dopo la scadenza dell'ultima opzione l'importo aumenta (metà del massimo, art. 203 C.d.S.): " +
		"al momento del pagamento ti viene sempre chiesto l'importo dovuto quel giorno."
	howEn = "Pay only one of the options below: once one is paid, the other is void. After the last due date " +
		"the amount increases (half the maximum); you are always asked the amount due on the day you pay."
	// For violations without the 30% discount (art. 202 c.1).
	howOneIt = "Per questa violazione lo sconto del 30% non è ammesso (art. 202 C.d.S.). " +
		"Dopo la scadenza l'importo aumenta (metà del massimo, art. 203 C.d.S.): " +
		"al momento del pagamento ti viene sempre chiesto l'importo dovuto quel giorno."
	howOneEn = "No 30% discount applies to this violation. After the due date the amount increases " +
		"(half the maximum); you are always asked the amount due on the day you pay."
	whereIt = "Dal telefono: inquadra il codice QR qui accanto con la fotocamera e paga con un tocco. " +
		"Oppure con l'app IO, l'home banking, presso banche, uffici postali, tabaccherie e gli altri " +
		"prestatori aderenti a pagoPA, con il codice QR pagoPA o il codice avviso dell'opzione scelta."
	whereEn = "From your phone: scan the QR code alongside with your camera and pay with one tap. " +
		"Or use the IO app, your bank, post offices, tobacconists or any pagoPA provider, " +
		"with the pagoPA QR code or the notice number of the option you choose."
)

// A4 geometry, in millimetres.
const (
	a4Margin = 12.0
	a4Width  = 210 - 2*a4Margin
	boxH     = 56.0
)

func (n *notice) drawA4(p *page) {
	x, w := a4Margin, a4Width
	// Header: what this is on the left, who sends it on the right.
	p.font("B", 18, colAccent)
	y := p.text(x, 12, 110, "L", "AVVISO DI PAGAMENTO")
	p.font("B", 10, colText)
	y = p.text(x, y+0.5, 110, "L", "Violazione al Codice della Strada")
	p.font("", 8.5, colMuted)
	left := p.text(x, y, 110, "L", "Payment notice · Italian traffic fine")

	right := p.creditorBlock(x, w, n.Creditor)
	y = max(left, right) + 2.5
	p.rule(x, y, w, colAccent, 0.6)

	// The fine.
	y = section(p, y+3, "DATI DEL VERBALE", "Fine details")
	const labelW = 52.0
	for _, r := range n.fineRows() {
		p.pair(x, y, labelW, r[0], r[1], 8)
		p.font("", 9.5, colText)
		y = p.wrap(x+labelW, y-0.4, w-labelW, "L", r[2], 2) + 0.6
		p.rule(x, y-0.3, w, colRule, 0.15)
	}
	p.pair(x, y, labelW, "Violazione", "Violation", 8)
	p.font("B", 9.5, colText)
	y = p.wrap(x+labelW, y-0.4, w-labelW, "L", n.violationIt(), 2)
	p.font("I", 8.5, colMuted)
	y = p.wrap(x+labelW, y, w-labelW, "L", n.Fine.Violation.Description, 1) + 0.6
	p.rule(x, y-0.3, w, colRule, 0.15)

	// How much and when.
	y = section(p, y+3, "QUANTO E QUANDO PAGARE?", "How much and when")
	p.font("", 8.5, colText)
	howIt, howEn := n.how()
	y = p.wrap(x, y, w, "L", howIt, 3)
	p.font("I", 8, colMuted)
	y = p.wrap(x, y+0.3, w, "L", howEn, 3)

	// Where: text on the left, the link code on the right.
	y = section(p, y+3, "DOVE PAGARE?", "Where to pay")
	qo := n.linkQR.outer(qrSize)
	qx := x + w - qo
	textW := w - qo - 6
	top := y
	p.font("", 8.5, colText)
	y = p.wrap(x, y, textW, "L", whereIt, 4)
	p.font("I", 8, colMuted)
	y = p.wrap(x, y+0.3, textW, "L", whereEn, 4)
	p.font("", 8, colText)
	y = p.text(x, y+1.5, textW, "L", "Link: "+n.link)
	p.drawQR(n.linkQR, qx, top-1, qrSize)
	p.font("B", 8.5, colText)
	cy := p.text(qx-5, top-1+qo, qo+10, "C", "Paga dal telefono")
	p.font("", 7.5, colMuted)
	cy = p.text(qx-5, cy, qo+10, "C", "Pay from your phone")
	y = max(y, cy)

	// The payment options, from the bottom of the page up, so that the
	// boxes sit where the detachable part of a pagoPA notice sits.
	bottom := 297 - a4Margin
	boxTop := bottom - float64(len(n.options))*boxH - float64(len(n.options)-1)*4
	hy := max(y+3, boxTop-8)
	headIt, headEn := "PAGA UNA SOLA OPZIONE", "Pay one option only"
	if len(n.options) == 1 {
		headIt, headEn = "COME PAGARE", "How to pay"
	}
	p.font("B", 9.5, colAccent)
	p.text(x, hy, w, "L", headIt)
	p.font("", 8.5, colMuted)
	p.text(x, hy, w, "R", headEn)
	p.SetDashPattern([]float64{1.2, 1}, 0)
	p.rule(x, boxTop-2.5, w, colRule, 0.3)
	p.SetDashPattern(nil, 0)
	for i, o := range n.options {
		n.drawOptionBox(p, o, x, boxTop+float64(i)*(boxH+4), w, i+1)
	}
}

// section writes a section heading and returns the y below it.
func section(p *page, y float64, it, en string) float64 {
	p.font("B", 9.5, colAccent)
	p.text(a4Margin, y, a4Width, "L", it)
	itW := p.GetStringWidth(p.enc(it))
	p.font("", 8.5, colMuted)
	return p.text(a4Margin+itW, y+0.3, a4Width-itW, "L", " · "+en) + 0.8
}

func (n *notice) drawOptionBox(p *page, o option, x, y, w float64, idx int) {
	p.SetDrawColor(colAccent[0], colAccent[1], colAccent[2])
	p.SetLineWidth(0.4)
	p.SetFillColor(colTint[0], colTint[1], colTint[2])
	p.RoundedRect(x, y, w, 12, 2, "12", "F")
	p.RoundedRect(x, y, w, boxH, 2, "1234", "D")

	p.font("B", 11, colText)
	p.text(x+5, y+1.8, w-40, "L", o.titleIt)
	p.font("", 8, colMuted)
	p.text(x+5, y+6.6, w-40, "L", o.titleEn)
	if len(n.options) > 1 {
		p.font("B", 8, colAccent)
		p.text(x+w-45, y+4.2, 40, "R", "OPZIONE "+strconv.Itoa(idx)+" · OPTION "+strconv.Itoa(idx))
	}

	qo := o.code.outer(qrSize)
	qx, qy := x+w-5-qo, y+13.5
	p.drawQR(o.code, qx, qy, qrSize)
	p.font("", 6.5, colMuted)
	cy := p.text(qx-3, qy+qo-0.6, qo+6, "C", "Codice QR pagoPA")
	p.text(qx-3, cy-0.4, qo+6, "C", "pagoPA QR code")

	c1, c2 := x+5, x+80
	cw1, cw2 := 72.0, qx-x-80-3
	label := func(cx, cy, cw float64, s string) float64 {
		p.font("B", 6.8, colMuted)
		return p.text(cx, cy, cw, "L", s)
	}
	r := y + 15
	yy := label(c1, r, cw1, "IMPORTO · AMOUNT")
	p.font("B", 20, colText)
	p.text(c1, yy, cw1, "L", Euro(o.AmountCents))
	yy = label(c2, r, cw2, "ENTRO IL · DUE BY")
	p.font("B", 14, colText)
	p.text(c2, yy+1.2, cw2, "L", itDate(o.DueDate))

	r = y + 30
	yy = label(c1, r, cw1, "CODICE AVVISO · NOTICE NUMBER")
	p.font("B", 13, colText)
	p.text(c1, yy+0.3, cw1, "L", o.NAV.Format())
	yy = label(c2, r, cw2, "CF ENTE CREDITORE · CREDITOR TAX CODE")
	p.font("B", 11, colText)
	p.text(c2, yy+0.6, cw2, "L", n.Creditor.FiscalCode)

	r = y + 43
	yy = label(c1, r, cw1, "ENTE CREDITORE · CREDITOR")
	p.font("", 9, colText)
	p.wrap(c1, yy+0.3, cw1, "L", n.Creditor.Name, 2)
	yy = label(c2, r, cw2, "OGGETTO · PAYMENT FOR")
	p.font("", 9, colText)
	p.wrap(c2, yy+0.3, cw2, "L", "Verbale n. "+n.Fine.ReportNumber+", "+n.Fine.Violation.Article+" C.d.S.", 2)
}

// Thermal geometry: an 80 mm roll with 4 mm margins.
const (
	thermalWidth  = 80.0
	thermalMargin = 4.0
)

// drawThermal stacks the notice on a narrow roll and returns the height
// used, bottom margin included.
func (n *notice) drawThermal(p *page) float64 {
	p.mono = true
	x, w := thermalMargin, thermalWidth-2*thermalMargin
	p.font("B", 13, colText)
	y := p.text(x, 4, w, "C", "AVVISO DI PAGAMENTO")
	p.font("B", 8.5, colText)
	y = p.text(x, y, w, "C", "Violazione al Codice della Strada")
	p.font("", 7.5, colMuted)
	y = p.text(x, y, w, "C", "Payment notice · Italian traffic fine")
	p.font("B", 9, colText)
	y = p.wrap(x, y+1.5, w, "C", n.Creditor.Name, 2)
	p.font("", 7.5, colText)
	y = p.text(x, y, w, "C", "Cod. Fiscale · Tax code "+n.Creditor.FiscalCode)
	y = thermalRule(p, y+1.5, x, w)

	for _, r := range n.fineRows() {
		y = p.pair(x, y, w, r[0], r[1], 7)
		p.font("", 8.5, colText)
		y = p.wrap(x, y, w, "L", r[2], 3) + 0.8
	}
	y = p.pair(x, y, w, "Violazione", "Violation", 7)
	p.font("B", 8.5, colText)
	y = p.wrap(x, y, w, "L", n.violationIt(), 3)
	p.font("I", 7.5, colMuted)
	y = p.wrap(x, y, w, "L", n.Fine.Violation.Description, 2)
	y = thermalRule(p, y+1.5, x, w)

	p.font("", 7.5, colText)
	howIt, howEn := n.how()
	y = p.wrap(x, y, w, "L", howIt, 0)
	p.font("I", 7, colMuted)
	y = p.wrap(x, y+0.5, w, "L", howEn, 0)

	for i, o := range n.options {
		y = thermalRule(p, y+1.5, x, w)
		if len(n.options) > 1 {
			p.font("B", 8, colAccent)
			y = p.text(x, y, w, "C", "OPZIONE "+strconv.Itoa(i+1)+" · OPTION "+strconv.Itoa(i+1))
		}
		p.font("B", 9.5, colText)
		y = p.wrap(x, y, w, "C", o.titleIt, 2)
		p.font("", 7.5, colMuted)
		y = p.wrap(x, y, w, "C", o.titleEn, 2)
		p.font("B", 18, colText)
		y = p.text(x, y+1, w, "C", Euro(o.AmountCents))
		p.font("", 8.5, colText)
		y = p.text(x, y, w, "C", "entro il · due by "+itDate(o.DueDate))
		p.font("B", 6.8, colMuted)
		y = p.text(x, y+1.5, w, "C", "CODICE AVVISO · NOTICE NUMBER")
		p.font("B", 12, colText)
		y = p.text(x, y, w, "C", o.NAV.Format())
		p.font("", 7.5, colText)
		y = p.text(x, y, w, "C", "CF Ente creditore · Creditor tax code "+n.Creditor.FiscalCode)
		qo := o.code.outer(qrSize)
		p.drawQR(o.code, x+(w-qo)/2, y+0.5, qrSize)
		y += qo + 0.5
		p.font("", 6.5, colMuted)
		y = p.text(x, y-0.5, w, "C", "Codice QR pagoPA · pagoPA QR code")
	}

	y = thermalRule(p, y+1.5, x, w)
	p.font("B", 9.5, colText)
	y = p.text(x, y, w, "C", "Paga dal telefono")
	p.font("", 8, colMuted)
	y = p.text(x, y, w, "C", "Pay from your phone")
	qo := n.linkQR.outer(qrSize)
	p.drawQR(n.linkQR, x+(w-qo)/2, y+0.5, qrSize)
	y += qo + 0.5
	p.font("", 6.5, colText)
	y = p.wrap(x, y-0.5, w, "C", n.link, 2)
	p.font("", 7, colText)
	y = p.wrap(x, y+1, w, "C", "Oppure con l'app IO, la tua banca o un prestatore pagoPA, con il codice avviso.", 0)
	p.font("I", 6.5, colMuted)
	y = p.wrap(x, y, w, "C", "Or use the IO app, your bank or any pagoPA provider, with the notice number.", 0)
	return y + thermalMargin
}

func thermalRule(p *page, y, x, w float64) float64 {
	p.SetDashPattern([]float64{1, 0.8}, 0)
	p.rule(x, y, w, colMuted, 0.25)
	p.SetDashPattern(nil, 0)
	return y + 1.5
}

// stageNames describe a receipt's stage in both languages.
var stageNames = map[notices.Stage]string{
	notices.StageReduced:   "Importo scontato del 30% (entro 5 giorni) · 30% discount",
	notices.StageMinimum:   "Importo ridotto (entro 60 giorni) · Minimum amount",
	notices.StageIncreased: "Importo maggiorato (metà del massimo) · Increased amount",
}

// ReceiptPDF writes a one-page A4 receipt of a payment: creditor, notice
// number, amount with its breakdown, stage, time of payment in Rome time,
// payment provider and transaction, card brand and last four digits, and
// the receipt id.
//
// Errors: validation_failed for a receipt without id or notice number,
// internal when writing fails.
func ReceiptPDF(w io.Writer, r notices.Receipt) error {
	const op = "qr.ReceiptPDF"
	if r.ID == "" || r.NAV == "" {
		return &notices.Error{Code: notices.EValidation, Op: op, Message: "a receipt needs an id and a notice number"}
	}
	p := newPage(210, 297, "Ricevuta di pagamento "+r.ID, r.PaidAt)
	x, wd := a4Margin, a4Width

	p.font("B", 18, colAccent)
	y := p.text(x, 12, 110, "L", "RICEVUTA DI PAGAMENTO")
	p.font("", 9, colMuted)
	left := p.text(x, y+0.5, 110, "L", "Payment receipt · pagoPA")
	right := p.creditorBlock(x, wd, r.Creditor)
	y = max(left, right) + 2.5
	p.rule(x, y, wd, colAccent, 0.6)

	// The amount stands out, as it is what people look for.
	y += 5
	p.SetFillColor(colTint[0], colTint[1], colTint[2])
	p.RoundedRect(x, y, wd, 24, 2, "1234", "F")
	p.font("B", 8, colMuted)
	p.text(x+6, y+4, 90, "L", "IMPORTO PAGATO · AMOUNT PAID")
	p.font("B", 22, colText)
	p.text(x+6, y+9, 90, "L", Euro(r.AmountCents))
	paid := r.PaidAt.In(notices.Rome)
	p.font("B", 8, colMuted)
	p.text(x+wd-96, y+4, 90, "R", "PAGATO IL · PAID ON")
	p.font("B", 13, colText)
	p.text(x+wd-96, y+10, 90, "R", paid.Format("02/01/2006 15:04"))
	y += 24 + 6

	method := strings.TrimSpace(r.Method.Brand)
	if method != "" {
		method = strings.ToUpper(method[:1]) + method[1:]
	}
	if r.Method.Last4 != "" {
		method = strings.TrimSpace(method + " •••• " + r.Method.Last4)
	}
	rows := [][3]string{
		{"Codice avviso", "Notice number", r.NAV.Format()},
		{"Verbale n.", "Report no.", r.ReportNumber},
		{"Ente creditore", "Creditor", r.Creditor.Name},
		{"Cod. Fiscale ente", "Creditor tax code", r.Creditor.FiscalCode},
		{"Importo pagato", "Amount paid", Euro(r.AmountCents)},
		{"di cui sanzione", "of which sanction", Euro(r.SanctionCents)},
		{"di cui spese", "of which fees", Euro(r.FeesCents)},
		{"Fascia", "Stage", stageNames[r.Stage]},
		{"Data e ora", "Paid at", paid.Format("02/01/2006 15:04:05") + " (ora italiana · Italian time)"},
		{"Prestatore (PSP)", "Payment provider", r.PSP.Name},
		{"ID transazione", "Transaction ID", r.PSP.TransactionID},
		{"Metodo", "Method", method},
		{"ID ricevuta", "Receipt ID", r.ID},
	}
	y = section(p, y, "DETTAGLI DEL PAGAMENTO", "Payment details")
	const labelW = 62.0
	for _, row := range rows {
		if row[2] == "" {
			row[2] = "–"
		}
		p.pair(x, y+1, labelW, row[0], row[1], 8.5)
		p.font("", 10, colText)
		y = p.wrap(x+labelW, y+0.6, wd-labelW, "L", row[2], 2) + 1.4
		p.rule(x, y, wd, colRule, 0.15)
	}
	y += 6
	p.font("", 8.5, colText)
	y = p.wrap(x, y, wd, "L", "Questa ricevuta attesta il pagamento dell'avviso indicato tramite pagoPA. "+
		"Conservala: il verbale è estinto e l'altra opzione di pagamento non è più valida.", 0)
	p.font("I", 8, colMuted)
	p.wrap(x, y+0.5, wd, "L", "This receipt proves the payment of the notice above through pagoPA. "+
		"Keep it: the fine is settled and the other payment option is void.", 0)
	return p.finish(w, op)
}

// creditorBlock writes, top right of an A4 page of width w from x, who
// sends the document (notice or receipt alike), and returns where it ends.
func (p *page) creditorBlock(x, w float64, c notices.Creditor) float64 {
	rx, rw := x+w-80, 80.0
	p.font("B", 7, colMuted)
	y := p.text(rx, 12.5, rw, "R", "ENTE CREDITORE · CREDITOR")
	p.font("B", 11, colText)
	y = p.wrap(rx, y+0.5, rw, "R", c.Name, 2)
	p.font("", 8.5, colText)
	return p.text(rx, y+0.5, rw, "R", "Cod. Fiscale · Tax code "+c.FiscalCode)
}
