package notices_test

import (
	"slices"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

func TestValidatePersonFiscalCode(t *testing.T) {
	tests := []struct {
		code string
		ok   bool
	}{
		{"RSSMRA80A01H501U", true},
		{"rssmra80a01h501u", true},  // case does not matter
		{"RSSMRA80A01H501V", false}, // wrong check letter
		{"RSSMRA80A01H50", false},   // short
		{"RSSMRA8OA01H501U", false}, // omocodia letter changes the check
		{"1SSMRA80A01H501U", false}, // a digit where a letter belongs
	}
	for _, tt := range tests {
		err := notices.ValidatePersonFiscalCode(tt.code)
		if (err == nil) != tt.ok {
			t.Errorf("ValidatePersonFiscalCode(%s) = %v, want ok %v", tt.code, err, tt.ok)
		}
	}
}

// owner is a valid jointly liable person resident in Milan.
func owner() *notices.Liable {
	return &notices.Liable{Kind: notices.LiablePerson, Role: notices.RoleOwner, Name: "Rossi Mario",
		FiscalCode: "RSSMRA80A01H501U", BirthDate: day(1980, time.January, 1), BirthPlace: "Roma",
		Address: "Via Roma 1, 20121 Milano", PEC: "mario.rossi@pec.example.it"}
}

func driver() *notices.Offender {
	return &notices.Offender{Person: notices.Person{Name: "Bianchi Anna", FiscalCode: "RSSMRA80A01H501U",
		BirthDate: day(1990, time.May, 3), Address: "Via Po 2, 10123 Torino"}, LicenceNumber: "TO1234567X", LicenceCategory: "B"}
}

func TestVerbaleValidate(t *testing.T) {
	today := day(2026, time.November, 10)
	camera := func() notices.Verbale {
		return notices.Verbale{Owner: owner(), Vehicle: notices.Vehicle{Type: "car", Make: "Fiat", Model: "Panda"}, DeferredReason: notices.DeferredCamera}
	}
	spot := func() notices.Verbale {
		return notices.Verbale{Offender: driver(), Vehicle: notices.Vehicle{Type: "car"}, Agents: []string{"PL-1234"}, Statement: "Non ho visto il cartello."}
	}
	tests := []struct {
		name   string
		c      notices.Contestation
		edit   func(*notices.Verbale)
		fields []string
	}{
		{"camera, complete", notices.ContestDeferred, nil, nil},
		{"camera, owner not known yet", notices.ContestDeferred, func(v *notices.Verbale) { v.Owner = nil }, nil},
		{"deferred without reason", notices.ContestDeferred, func(v *notices.Verbale) { v.DeferredReason = "" }, []string{"verbale.deferredReason"}},
		{"other reason needs a note", notices.ContestDeferred, func(v *notices.Verbale) { v.DeferredReason = notices.DeferredOther }, []string{"verbale.deferredNote"}},
		{"no statement when deferred", notices.ContestDeferred, func(v *notices.Verbale) { v.Statement = "x" }, []string{"verbale.statement"}},
		{"company owner", notices.ContestDeferred, func(v *notices.Verbale) {
			v.Owner = &notices.Liable{Kind: notices.LiableCompany, Role: notices.RoleLessee, Name: "Noleggi Spa", VATNumber: "01199250158", Address: "Via Larga 3, Milano", PEC: "noleggi@pec.it"}
		}, nil},
		{"company with a bad VAT number", notices.ContestDeferred, func(v *notices.Verbale) {
			v.Owner = &notices.Liable{Kind: notices.LiableCompany, Role: notices.RoleOwner, Name: "Noleggi Spa", VATNumber: "01199250159", Address: "Via Larga 3, Milano"}
		}, []string{"verbale.owner.vatNumber"}},
		{"owner resident abroad without fiscal code", notices.ContestDeferred, func(v *notices.Verbale) {
			v.Owner.FiscalCode, v.Owner.Country = "", "DE"
		}, nil},
		{"resident in Italy needs a fiscal code", notices.ContestDeferred, func(v *notices.Verbale) { v.Owner.FiscalCode = "" }, []string{"verbale.owner.fiscalCode"}},
		{"bad fiscal code, PEC, role, country", notices.ContestDeferred, func(v *notices.Verbale) {
			v.Owner.FiscalCode, v.Owner.PEC, v.Owner.Role, v.Owner.Country = "RSSMRA80A01H501V", "not-an-address", "friend", "Italy"
		}, []string{"verbale.owner.role", "verbale.owner.country", "verbale.owner.fiscalCode", "verbale.owner.pec"}},
		{"birth in the future", notices.ContestDeferred, func(v *notices.Verbale) { v.Owner.BirthDate = today }, []string{"verbale.owner.birthDate"}},
		{"vehicle type", notices.ContestDeferred, func(v *notices.Verbale) { v.Vehicle.Type = "spaceship" }, []string{"verbale.vehicle.type"}},
		{"on the spot, complete", notices.ContestImmediate, nil, nil},
		{"on the spot needs an agent", notices.ContestImmediate, func(v *notices.Verbale) { v.Agents = nil }, []string{"verbale.agents"}},
		{"on the spot needs the offender", notices.ContestImmediate, func(v *notices.Verbale) { v.Offender = nil }, []string{"verbale.offender"}},
		{"on the spot needs the licence", notices.ContestImmediate, func(v *notices.Verbale) { v.Offender.LicenceNumber, v.Offender.LicenceCategory = "", "Z" },
			[]string{"verbale.offender.licenceNumber", "verbale.offender.licenceCategory"}},
		{"on the spot has no deferral reason", notices.ContestImmediate, func(v *notices.Verbale) { v.DeferredReason = notices.DeferredCamera }, []string{"verbale.deferredReason"}},
		{"bad badge", notices.ContestImmediate, func(v *notices.Verbale) { v.Agents = []string{"A 1"} }, []string{"verbale.agents[0]"}},
		{"control characters in a name", notices.ContestImmediate, func(v *notices.Verbale) { v.Offender.Name = "Anna\x00" }, []string{"verbale.offender.name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := camera()
			if tt.c == notices.ContestImmediate {
				v = spot()
			}
			if tt.edit != nil {
				tt.edit(&v)
			}
			var got []string
			for _, e := range v.Validate(tt.c, today) {
				got = append(got, e.Field)
			}
			slices.Sort(got)
			want := slices.Clone(tt.fields)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("invalid fields = %v, want %v", got, want)
			}
		})
	}
}
