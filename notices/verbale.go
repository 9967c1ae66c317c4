package notices

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Verbale is what a report must say beyond the plate, the violation, the
// place and the time (arts. 196, 200, 201 CdS; art. 383 reg. and its model
// VI.1): who committed it, who answers for it with them, which vehicle,
// which agents, what the offender said and, when the violation was not
// contested on the spot, why. It holds personal data: only the back
// office's officers and supervisors see it, never a public answer.
type Verbale struct {
	// Offender is the driver, when known (stopped on the spot, or named
	// later under art. 126-bis).
	Offender *Offender `json:"offender,omitempty"`
	// Owner is the party jointly liable under art. 196: the owner, or the
	// usufructuary, the buyer with reserved title, the lessee.
	Owner *Liable `json:"owner,omitempty"`
	// Vehicle describes the vehicle; its plate is the fine's.
	Vehicle Vehicle `json:"vehicle"`
	// Agents are the badge numbers of the agents who found the violation.
	Agents []string `json:"agents,omitempty"`
	// Statement is what the offender asked to have written down
	// (art. 200 c.1); only when contested on the spot.
	Statement string `json:"statement,omitempty"`
	// DeferredReason is why the violation was not contested on the spot
	// (art. 201 c.1-bis); required for a deferred contestation.
	DeferredReason DeferredReason `json:"deferredReason,omitempty"`
	// DeferredNote details the reason; required when the reason is other.
	DeferredNote string `json:"deferredNote,omitempty"`
}

// Person is a natural person named in a verbale.
type Person struct {
	// Name is surname and given name.
	Name string `json:"name"`
	// FiscalCode is the 16-character codice fiscale; optional for people
	// resident abroad, who have none.
	FiscalCode string `json:"fiscalCode,omitempty"`
	BirthDate  Date   `json:"birthDate,omitzero"`
	BirthPlace string `json:"birthPlace,omitempty"`
	// Address is the residence, as one line: street, number, postcode, town.
	Address string `json:"address"`
	// Country is the ISO 3166-1 alpha-2 code of the residence; empty means IT.
	Country string `json:"country,omitempty"`
}

// Offender is the driver: a person with a driving licence.
type Offender struct {
	Person
	LicenceNumber   string `json:"licenceNumber,omitempty"`
	LicenceCategory string `json:"licenceCategory,omitempty"`
	// LicenceIssuedBy is the authority that issued it (e.g. MIT-UCO, or a
	// foreign country's), as written on the licence.
	LicenceIssuedBy string `json:"licenceIssuedBy,omitempty"`
}

// LiableKind says whether the jointly liable party is a person or a company.
type LiableKind string

// Kinds of jointly liable party.
const (
	LiablePerson  LiableKind = "person"
	LiableCompany LiableKind = "company"
)

// LiableRole is the title under which art. 196 c.1 makes a party jointly
// liable.
type LiableRole string

// Roles of art. 196 c.1.
const (
	RoleOwner        LiableRole = "owner"
	RoleUsufructuary LiableRole = "usufructuary"
	RoleBuyer        LiableRole = "buyer_reserved_title"
	RoleLessee       LiableRole = "lessee"
)

// Liable is the party jointly liable with the offender (art. 196 CdS).
type Liable struct {
	Kind LiableKind `json:"kind"`
	Role LiableRole `json:"role"`
	// Name is the person's surname and name, or the company's name.
	Name       string `json:"name"`
	FiscalCode string `json:"fiscalCode,omitempty"`
	// VATNumber is a company's partita IVA (11 digits in Italy).
	VATNumber  string `json:"vatNumber,omitempty"`
	BirthDate  Date   `json:"birthDate,omitzero"`
	BirthPlace string `json:"birthPlace,omitempty"`
	// Address is the residence or the registered office.
	Address string `json:"address"`
	// Country is ISO 3166-1 alpha-2; empty means IT.
	Country string `json:"country,omitempty"`
	// PEC is the certified e-mail address (digital domicile), if any.
	PEC string `json:"pec,omitempty"`
	// KnownOn is the day the police had the party's data (the registry's
	// answer); the 90- or 360-day term runs from it when later than the
	// violation (art. 201 c.1).
	KnownOn Date `json:"knownOn,omitzero"`
}

// Abroad reports whether the party resides outside Italy.
func (l *Liable) Abroad() bool { return abroad(l.Country) }

// Vehicle is what the verbale says of the vehicle.
type Vehicle struct {
	// Type is one of VehicleTypes.
	Type  string `json:"type"`
	Make  string `json:"make,omitempty"`
	Model string `json:"model,omitempty"`
	// Country is the ISO 3166-1 alpha-2 code of registration; empty means IT.
	Country string `json:"country,omitempty"`
}

// VehicleTypes are the categories of art. 47 CdS a verbale names.
var VehicleTypes = []string{"car", "motorcycle", "moped", "truck", "bus", "trailer", "other"}

// DeferredReason is why a violation was not contested on the spot.
type DeferredReason string

// Reasons of deferred contestation (art. 201 c.1-bis CdS; art. 384 reg.).
const (
	// DeferredCamera: found by an approved device with no agent present
	// (art. 201 c.1-bis lett. e, f, g).
	DeferredCamera DeferredReason = "camera"
	// DeferredDriverAbsent: the vehicle was parked and nobody was there
	// (lett. d).
	DeferredDriverAbsent DeferredReason = "driver_absent"
	// DeferredStopImpossible: stopping the vehicle was not possible in
	// safety, or it drove on (lett. a, b, c).
	DeferredStopImpossible DeferredReason = "stop_impossible"
	// DeferredOther: another reason, written in DeferredNote.
	DeferredOther DeferredReason = "other"
)

// Validate checks the verbale for a fine contested as c and returns every
// invalid field, prefixed "verbale.". What is required depends on the case:
// on the spot the offender (with licence) and at least one agent are; a
// deferred contestation needs its reason and cannot carry a statement.
// The party to notify is checked when a notification is sent.
func (v *Verbale) Validate(c Contestation, today Date) []FieldError {
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{"verbale." + field, msg}) }
	if len(v.Agents) > 6 {
		bad("agents", "at most 6 agents")
	}
	for i, a := range v.Agents {
		if !badgeOK(a) {
			bad("agents["+itoa(i)+"]", "a badge number has 1 to 20 letters, digits, dots or dashes")
		}
	}
	switch c {
	case ContestImmediate:
		if len(v.Agents) == 0 {
			bad("agents", "a contestation on the spot names at least one agent")
		}
		if v.Offender == nil {
			bad("offender", "a contestation on the spot names the offender")
		}
		if v.DeferredReason != "" || v.DeferredNote != "" {
			bad("deferredReason", "only a deferred contestation has a reason")
		}
		if utf8.RuneCountInString(v.Statement) > 2000 {
			bad("statement", "at most 2000 characters")
		}
	case ContestDeferred:
		switch v.DeferredReason {
		case DeferredCamera, DeferredDriverAbsent, DeferredStopImpossible:
		case DeferredOther:
			if strings.TrimSpace(v.DeferredNote) == "" {
				bad("deferredNote", "say why the violation was not contested on the spot")
			}
		case "":
			bad("deferredReason", "a deferred contestation needs its reason")
		default:
			bad("deferredReason", "must be camera, driver_absent, stop_impossible or other")
		}
		if v.Statement != "" {
			bad("statement", "a statement is taken only on the spot")
		}
	}
	if utf8.RuneCountInString(v.DeferredNote) > 500 {
		bad("deferredNote", "at most 500 characters")
	}
	if v.Offender != nil {
		errs = append(errs, v.Offender.validate("verbale.offender.", c == ContestImmediate, today)...)
	}
	if v.Owner != nil {
		errs = append(errs, v.Owner.validate("verbale.owner.", today)...)
	}
	errs = append(errs, v.Vehicle.validate("verbale.vehicle.")...)
	return errs
}

// validate checks a driver; licence data are required when the driver
// was stopped (the agent reads them off the licence) or named by the owner.
func (o *Offender) validate(prefix string, licence bool, today Date) []FieldError {
	errs := o.Person.validate(prefix, today)
	bad := func(field, msg string) { errs = append(errs, FieldError{prefix + field, msg}) }
	if licence && strings.TrimSpace(o.LicenceNumber) == "" {
		bad("licenceNumber", "the licence number is required")
	}
	if o.LicenceNumber != "" && !codeOK(o.LicenceNumber, 5, 20) {
		bad("licenceNumber", "5 to 20 letters and digits")
	}
	if licence && strings.TrimSpace(o.LicenceCategory) == "" {
		bad("licenceCategory", "the licence category is required")
	}
	if o.LicenceCategory != "" && !licenceCategoryOK(o.LicenceCategory) {
		bad("licenceCategory", "one of AM, A1, A2, A, B1, B, BE, C1, C1E, C, CE, D1, D1E, D, DE")
	}
	if utf8.RuneCountInString(o.LicenceIssuedBy) > 100 {
		bad("licenceIssuedBy", "at most 100 characters")
	}
	return errs
}

func (p *Person) validate(prefix string, today Date) []FieldError {
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{prefix + field, msg}) }
	if !textOK(p.Name, 2, 120) {
		bad("name", "the name is required, at most 120 characters")
	}
	if !textOK(p.Address, 5, 200) {
		bad("address", "the residence is required, 5 to 200 characters")
	}
	if !countryOK(p.Country) {
		bad("country", "an ISO 3166 two-letter country code")
	}
	if p.FiscalCode != "" {
		if err := ValidatePersonFiscalCode(p.FiscalCode); err != nil {
			bad("fiscalCode", ErrorMessage(err))
		}
	} else if !abroad(p.Country) {
		bad("fiscalCode", "required for a person resident in Italy")
	}
	if !p.BirthDate.IsZero() && (p.BirthDate.Year < 1900 || !p.BirthDate.Before(today)) {
		bad("birthDate", "a day between 1900 and yesterday")
	}
	if utf8.RuneCountInString(p.BirthPlace) > 100 {
		bad("birthPlace", "at most 100 characters")
	}
	return errs
}

func (l *Liable) validate(prefix string, today Date) []FieldError {
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{prefix + field, msg}) }
	switch l.Role {
	case RoleOwner, RoleUsufructuary, RoleBuyer, RoleLessee:
	default:
		bad("role", "must be owner, usufructuary, buyer_reserved_title or lessee")
	}
	switch l.Kind {
	case LiablePerson:
		p := Person{Name: l.Name, FiscalCode: l.FiscalCode, BirthDate: l.BirthDate, BirthPlace: l.BirthPlace, Address: l.Address, Country: l.Country}
		errs = append(errs, p.validate(prefix, today)...)
		if l.VATNumber != "" {
			bad("vatNumber", "only a company has a VAT number here")
		}
	case LiableCompany:
		if !textOK(l.Name, 2, 120) {
			bad("name", "the company name is required, at most 120 characters")
		}
		if !textOK(l.Address, 5, 200) {
			bad("address", "the registered office is required, 5 to 200 characters")
		}
		if !countryOK(l.Country) {
			bad("country", "an ISO 3166 two-letter country code")
		}
		if !abroad(l.Country) {
			if err := ValidateCreditorFiscalCode(l.VATNumber); err != nil {
				bad("vatNumber", "an Italian company's VAT number has 11 digits with a valid check digit")
			}
			if l.FiscalCode != "" && ValidateCreditorFiscalCode(l.FiscalCode) != nil {
				bad("fiscalCode", "a company's fiscal code has 11 digits with a valid check digit")
			}
		} else if l.VATNumber != "" && !codeOK(l.VATNumber, 4, 20) {
			bad("vatNumber", "4 to 20 letters and digits")
		}
		if !l.BirthDate.IsZero() || l.BirthPlace != "" {
			bad("birthDate", "a company has no birth")
		}
	default:
		bad("kind", "must be person or company")
	}
	if l.PEC != "" {
		if a, err := mail.ParseAddress(l.PEC); err != nil || a.Address != l.PEC || len(l.PEC) > 254 {
			bad("pec", "an e-mail address such as name@pec.example.it")
		}
	}
	if !l.KnownOn.IsZero() && l.KnownOn.After(today) {
		bad("knownOn", "cannot be in the future")
	}
	return errs
}

func (v *Vehicle) validate(prefix string) []FieldError {
	var errs []FieldError
	bad := func(field, msg string) { errs = append(errs, FieldError{prefix + field, msg}) }
	ok := false
	for _, t := range VehicleTypes {
		ok = ok || v.Type == t
	}
	if !ok {
		bad("type", "one of "+strings.Join(VehicleTypes, ", "))
	}
	if utf8.RuneCountInString(v.Make) > 40 || utf8.RuneCountInString(v.Model) > 60 {
		bad("make", "make at most 40 and model at most 60 characters")
	}
	if !countryOK(v.Country) {
		bad("country", "an ISO 3166 two-letter country code")
	}
	return errs
}

// Foreign reports whether the vehicle is registered abroad.
func (v *Vehicle) Foreign() bool { return abroad(v.Country) }

func abroad(country string) bool { return country != "" && country != "IT" }

func countryOK(c string) bool {
	return c == "" || (len(c) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z')
}

// textOK accepts a trimmed, printable text of min to max characters.
func textOK(s string, min, max int) bool {
	n := utf8.RuneCountInString(s)
	if strings.TrimSpace(s) != s || n < min || n > max || !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func codeOK(s string, min, max int) bool {
	if len(s) < min || len(s) > max {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

func badgeOK(s string) bool {
	if len(s) < 1 || len(s) > 20 {
		return false
	}
	for _, c := range s {
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

// licenceCategories are the categories of art. 116 CdS.
var licenceCategories = "AM A1 A2 A B1 B BE C1 C1E C CE D1 D1E D DE"

func licenceCategoryOK(s string) bool {
	for _, c := range strings.Fields(licenceCategories) {
		if s == c {
			return true
		}
	}
	return false
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// SetVerbale replaces the verbale's content after validating it; it is
// how an officer adds the owner once the registry answers. A paid or
// cancelled fine keeps the verbale it had.
func (f *Fine) SetVerbale(v Verbale, today Date, now time.Time) error {
	if err := f.Payable(); err != nil && ErrorCode(err) != EFineVoid {
		return err
	}
	if v.Owner != nil && v.Owner.KnownOn.IsZero() {
		v.Owner.KnownOn = today
	}
	if errs := v.Validate(f.Contestation, today); len(errs) > 0 {
		return &ValidationError{errs}
	}
	if v.Owner != nil && v.Owner.KnownOn.Before(DateOf(f.OccurredAt)) {
		return &ValidationError{[]FieldError{{"verbale.owner.knownOn", "cannot be before the violation"}}}
	}
	f.Verbale, f.UpdatedAt = &v, now
	return nil
}
