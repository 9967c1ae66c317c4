// Package camt reads ISO 20022 camt.053 bank-to-customer statements, the
// end-of-day account statement Italian and European banks export, into
// notices.BankStatement. It reads only what reconciliation needs (the
// statement's id and account, and each booked entry's amount, direction,
// booking day and references) and skips the rest of the large schema
// without interpreting it, within the same bounds as everything else.
package camt

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/multa/multa/internal/xmlstrict"
	"github.com/multa/multa/notices"
)

// namespacePrefix is common to every version of camt.053; versions 02 to
// 13 share the parts read here (Sts became a structure in 08).
const namespacePrefix = "urn:iso:std:iso:20022:tech:xsd:camt.053.001."

// Namespaces lists the camt.053 versions accepted.
var Namespaces = func() []string {
	var out []string
	for v := 2; v <= 13; v++ {
		out = append(out, fmt.Sprintf("%s%02d", namespacePrefix, v))
	}
	return out
}()

// MaxBytes bounds one statement document.
const MaxBytes = 64 << 20

// maxEntries bounds the entries of one document.
const maxEntries = notices.MaxFlowLines

// Decode reads a camt.053 document: one statement per Stmt. Only booked
// entries (Sts BOOK) are returned; pending and informational ones are not
// money on the account yet. A reversed entry (RvslInd true) counts in the
// opposite direction. Amounts must be in euro. Errors: *xmlstrict.Error
// naming the element and line, xmlstrict.ErrTooLarge, or a
// *notices.ValidationError for a statement that decodes but is unusable.
func Decode(r io.Reader) ([]notices.BankStatement, error) {
	x := xmlstrict.NewReader(r, MaxBytes, Namespaces...)
	x.AllowAttrs = map[string]bool{"Ccy": true}
	if err := x.Root("Document"); err != nil {
		return nil, err
	}
	version, _ := strconv.Atoi(strings.TrimPrefix(x.Namespace(), namespacePrefix))
	d := decoder{x: x, structuredStatus: version >= 8}
	var out []notices.BankStatement
	err := d.children("Document", func(name string) error {
		if name != "BkToCstmrStmt" {
			return x.Errf(name, "not an element of <Document>")
		}
		return d.children(name, func(name string) error {
			switch name {
			case "GrpHdr":
				return x.Skip()
			case "Stmt":
				st, err := d.statement()
				if err != nil {
					return err
				}
				out = append(out, st)
				return nil
			}
			return x.Skip() // SplmtryData
		})
	})
	if err != nil {
		return nil, err
	}
	if err := x.End(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, &xmlstrict.Error{Line: x.Line(), Element: "BkToCstmrStmt", Message: "no <Stmt>"}
	}
	for i := range out {
		if err := out[i].Validate(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

type decoder struct {
	x                *xmlstrict.Reader
	structuredStatus bool
	entries          int
	cur              *xml.StartElement // the child children is handing to fn
}

// children calls fn for each child of the element just opened, by local
// name; fn must consume the child (Text, Skip or children).
func (d *decoder) children(parent string, fn func(name string) error) error {
	for {
		s, err := d.x.Next()
		if err != nil {
			return err
		}
		if s == nil {
			return nil
		}
		d.cur = s
		if err := fn(s.Name.Local); err != nil {
			return err
		}
	}
}

// leaf reads the text of the element just opened, trimmed.
func (d *decoder) leaf(name string) (string, error) {
	v, err := d.x.Text(name)
	return strings.TrimSpace(v), err
}

func (d *decoder) statement() (notices.BankStatement, error) {
	x := d.x
	var st notices.BankStatement
	line := x.Line()
	err := d.children("Stmt", func(name string) error {
		switch name {
		case "Id":
			v, err := d.leaf(name)
			st.ID = v
			return err
		case "Acct":
			return d.children(name, func(name string) error {
				if name != "Id" {
					return x.Skip()
				}
				return d.children(name, func(name string) error {
					if name != "IBAN" {
						return x.Skip()
					}
					v, err := d.leaf(name)
					st.IBAN = v
					return err
				})
			})
		case "Ntry":
			if d.entries++; d.entries > maxEntries {
				return x.Errf(name, "more than %d entries", maxEntries)
			}
			e, booked, err := d.entry(len(st.Entries) + 1)
			if err != nil {
				return err
			}
			if booked {
				st.Entries = append(st.Entries, e)
			}
			return nil
		}
		return x.Skip()
	})
	if err == nil && st.ID == "" {
		err = &xmlstrict.Error{Line: line, Element: "Stmt", Message: "<Id> is missing"}
	}
	return st, err
}

// entry reads one Ntry; booked is false for pending or informational ones.
func (d *decoder) entry(n int) (e notices.BankEntry, booked bool, err error) {
	x := d.x
	line := x.Line()
	var haveAmt, haveDir, reversed bool
	status := ""
	var ntryRef, svcrRef string
	var remittance []string
	addRef := func(v string) {
		if v != "" && v != "NOTPROVIDED" && len(e.References) < 32 {
			e.References = append(e.References, v)
		}
	}
	err = d.children("Ntry", func(name string) error {
		switch name {
		case "NtryRef":
			v, err := d.leaf(name)
			ntryRef = v
			return err
		case "Amt":
			ccy := ""
			for _, a := range d.cur.Attr {
				if a.Name.Local == "Ccy" {
					ccy = a.Value
				}
			}
			if ccy != "EUR" {
				return x.Errf(name, "the account must be in euro (Ccy=\"EUR\"), not %q", clip(ccy))
			}
			v, err := d.leaf(name)
			if err != nil {
				return err
			}
			e.AmountCents, err = amount(x, v)
			haveAmt = true
			return err
		case "CdtDbtInd":
			v, err := d.leaf(name)
			if err != nil {
				return err
			}
			switch v {
			case "CRDT":
				e.Credit = true
			case "DBIT":
			default:
				return x.Errf(name, "must be CRDT or DBIT, not %q", clip(v))
			}
			haveDir = true
			return nil
		case "RvslInd":
			v, err := d.leaf(name)
			reversed = v == "true" || v == "1"
			return err
		case "Sts":
			if !d.structuredStatus {
				v, err := d.leaf(name)
				status = v
				return err
			}
			return d.children(name, func(name string) error {
				if name != "Cd" {
					return x.Skip() // Prtry
				}
				v, err := d.leaf(name)
				status = v
				return err
			})
		case "BookgDt":
			return d.children(name, func(name string) error {
				v, err := d.leaf(name)
				if err != nil {
					return err
				}
				if name != "Dt" && name != "DtTm" {
					return x.Errf(name, "not an element of <BookgDt>")
				}
				if len(v) < 10 {
					return x.Errf(name, "must be a date like 2026-03-11, not %q", clip(v))
				}
				day, perr := notices.ParseDate(v[:10])
				if perr != nil {
					return x.Errf(name, "must be a date like 2026-03-11, not %q", clip(v))
				}
				e.BookingDate = day
				return nil
			})
		case "AcctSvcrRef":
			v, err := d.leaf(name)
			svcrRef = v
			return err
		case "NtryDtls":
			return d.children(name, func(name string) error {
				if name != "TxDtls" {
					return x.Skip() // Btch
				}
				return d.children(name, func(name string) error {
					switch name {
					case "Refs":
						return d.children(name, func(name string) error {
							switch name {
							case "EndToEndId", "TxId", "InstrId", "AcctSvcrRef", "MsgId", "PmtInfId", "UETR":
								v, err := d.leaf(name)
								addRef(v)
								return err
							}
							return x.Skip()
						})
					case "RltdPties":
						return d.children(name, func(name string) error {
							if name != "Dbtr" {
								return x.Skip()
							}
							return d.party(&e.Debtor)
						})
					case "RmtInf":
						return d.children(name, func(name string) error {
							if name != "Ustrd" {
								return x.Skip() // Strd
							}
							v, err := d.leaf(name)
							if len(remittance) < 8 {
								remittance = append(remittance, v)
							}
							return err
						})
					}
					return x.Skip()
				})
			})
		}
		return x.Skip()
	})
	if err != nil {
		return e, false, err
	}
	missing := func(what string) error {
		return &xmlstrict.Error{Line: line, Element: "Ntry", Message: fmt.Sprintf("entry %d: <%s> is missing", n, what)}
	}
	switch {
	case !haveAmt:
		return e, false, missing("Amt")
	case !haveDir:
		return e, false, missing("CdtDbtInd")
	case status == "":
		return e, false, missing("Sts")
	}
	if status != "BOOK" {
		return e, false, nil
	}
	if e.BookingDate.IsZero() {
		return e, false, missing("BookgDt")
	}
	if reversed {
		e.Credit = !e.Credit
	}
	e.Ref = svcrRef
	if e.Ref == "" {
		e.Ref = ntryRef
	}
	if e.Ref == "" {
		e.Ref = "#" + strconv.Itoa(n) // neither reference given: its place in the statement
	}
	addRef(svcrRef)
	e.Remittance = strings.Join(remittance, " ")
	return e, true, nil
}

// party reads a Dbtr's name: Nm directly (up to version 07) or Pty/Nm.
func (d *decoder) party(name *string) error {
	return d.children("Dbtr", func(n string) error {
		switch n {
		case "Nm":
			v, err := d.leaf(n)
			*name = v
			return err
		case "Pty":
			return d.party(name)
		}
		return d.x.Skip()
	})
}

// amount parses an ActiveOrHistoricCurrencyAndAmount in euro: digits, an
// optional fraction of at most two digits (five are allowed by the schema,
// but euro have cents).
func amount(x *xmlstrict.Reader, v string) (int64, error) {
	whole, frac, _ := strings.Cut(v, ".")
	bad := x.Errf("Amt", "must be an amount in euro like 1234.50, not %q", clip(v))
	if whole == "" || len(whole) > 13 || len(frac) > 2 {
		if len(frac) > 2 && strings.TrimRight(frac[2:], "0") == "" {
			frac = frac[:2]
		} else {
			return 0, bad
		}
	}
	for len(frac) < 2 {
		frac += "0"
	}
	var cents int64
	for _, c := range whole + frac {
		if c < '0' || c > '9' {
			return 0, bad
		}
		cents = cents*10 + int64(c-'0')
	}
	if cents == 0 {
		return 0, bad
	}
	return cents, nil
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
