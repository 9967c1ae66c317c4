package server

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
)

const mimeCSV = "text/csv"

// csvHeader names the columns of the reconciliation export, in Italian:
// the finance office's spreadsheet is.
var csvHeader = []string{
	"Esito", "Spiegazione", "Data", "Numero avviso", "IUV", "IUR", "Indice versamento", "Ricevuta", "Canale",
	"PSP", "Flusso", "Revisione", "Codice esito", "Pagato il", "Importo ricevuta", "Importo riversato",
	"Totale dichiarato", "Pagamenti dichiarati", "Righe del flusso", "Importo accreditato", "Riferimento banca",
	"Differenza", "Multa", "Codice esito riconciliazione",
}

// csvCategory is each category in the words of the Italian export.
var csvCategory = map[notices.ReconCategory]string{
	notices.CatMatched:            "abbinato",
	notices.CatAmountDiffers:      "importo diverso",
	notices.CatPending:            "in attesa di rendicontazione",
	notices.CatReceiptWithoutLine: "ricevuta senza riversamento",
	notices.CatLineWithoutReceipt: "riversamento senza ricevuta",
	notices.CatStandIn:            "pagamento in stand-in",
	notices.CatDuplicateLine:      "riversamento doppio",
	notices.CatRevoked:            "revocato",
	notices.CatFlowTotalDiffers:   "totale del flusso errato",
	notices.CatBankMatched:        "accreditato",
	notices.CatBankAmountDiffers:  "accredito di importo diverso",
	notices.CatBankPending:        "accredito atteso",
	notices.CatFlowNotCredited:    "flusso non accreditato",
	notices.CatCreditWithoutFlow:  "accredito senza flusso",
}

// sendReconciliationCSV writes the rows as Excel set to Italian opens them
// with a double click: semicolons, decimal commas, CRLF line ends and a
// UTF-8 byte order mark (without it Excel reads the local code page).
// Notice numbers and IUVs are written as ="…" so that a spreadsheet keeps
// them as text, with all 18 digits and the leading zeros.
func sendReconciliationCSV(c *fiber.Ctx, rec *notices.Reconciliation) error {
	var buf bytes.Buffer
	buf.WriteString("\uFEFF")
	w := csv.NewWriter(&buf)
	w.UseCRLF = true
	w.Comma = ';'
	_ = w.Write(csvHeader)
	for i := range rec.Items {
		it := &rec.Items[i]
		outcome, paidAt, rev, index := "", "", "", ""
		if it.Outcome != nil {
			outcome = strconv.Itoa(int(*it.Outcome))
		}
		if !it.PaidAt.IsZero() {
			paidAt = it.PaidAt.In(notices.Rome).Format("02/01/2006 15:04:05")
		}
		if it.FlowRevision > 0 {
			rev = strconv.Itoa(it.FlowRevision)
		}
		if it.TransferIndex > 0 {
			index = strconv.Itoa(it.TransferIndex)
		}
		counts := [2]string{}
		if it.DeclaredCount > 0 {
			counts = [2]string{strconv.Itoa(it.DeclaredCount), strconv.Itoa(it.LineCount)}
		}
		diff := ""
		if it.DifferenceCents != 0 {
			diff = euroCell(it.DifferenceCents)
		}
		_ = w.Write([]string{
			csvCategory[it.Category], it.Explanation.It, dateCell(it.Date), digitsCell(string(it.NoticeNumber)), digitsCell(it.IUV),
			cell(it.IUR), index, cell(it.ReceiptID), string(it.Channel), cell(it.PSP), cell(it.FlowID), rev, outcome, paidAt,
			euroCellIf(it.ReceiptCents), euroCellIf(it.LineCents), euroCellIf(it.DeclaredCents), counts[0], counts[1],
			euroCellIf(it.BankCents), cell(it.BankRef), diff, cell(it.FineID), string(it.Category),
		})
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	name := "riconciliazione-" + rec.From.String()
	if rec.To != rec.From {
		name += "_" + rec.To.String()
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8; header=present")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`.csv"`)
	return c.Send(buf.Bytes())
}

// dateCell writes a day as Italians do: 10/03/2026.
func dateCell(d notices.Date) string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%02d/%02d/%04d", d.Day, int(d.Month), d.Year)
}

// euroCell formats cents as euro with a decimal comma: "1234,50".
func euroCell(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	frac := strconv.FormatInt(cents%100, 10)
	if len(frac) < 2 {
		frac = "0" + frac
	}
	return sign + strconv.FormatInt(cents/100, 10) + "," + frac
}

func euroCellIf(cents int64) string {
	if cents == 0 {
		return ""
	}
	return euroCell(cents)
}

// digitsCell writes a string of digits as a text formula (="0123"), which
// Excel and LibreOffice show as the digits themselves without turning
// them into a number; anything else goes through cell.
func digitsCell(s string) string {
	if s == "" {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return cell(s)
		}
	}
	return `="` + s + `"`
}

// cell defuses text that a spreadsheet would run as a formula: flow and
// bank data come from outside.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
