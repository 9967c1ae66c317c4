package notices

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"io"
)

// Violation is one entry of the catalogue: an article of the Highway Code
// with its sanction range. Amounts are set by decree every two years, so the
// catalogue is data; a fine keeps a copy of the entry it was issued under.
type Violation struct {
	Code          string `json:"code"`
	Article       string `json:"article"`
	Description   string `json:"description"`
	DescriptionIt string `json:"descriptionIt,omitempty"`
	MinCents      int64  `json:"minCents"`
	MaxCents      int64  `json:"maxCents"`
	// Reducible is false where the violation carries licence suspension or
	// vehicle confiscation: then no 30% discount is allowed (art. 202 c.1).
	Reducible bool `json:"reducible"`
	// Night is true for the articles that art. 195 c.2-bis increases by a
	// third when committed between 22:00 and 07:00.
	Night  bool `json:"night"`
	Points int  `json:"points"`
}

// Catalogue is the set of violations an installation can issue, by code.
type Catalogue struct {
	byCode map[string]Violation
	list   []Violation
}

//go:embed catalogue.json
var defaultCatalogue []byte

// DefaultCatalogue returns the starter catalogue shipped with Multa.
func DefaultCatalogue() *Catalogue {
	c, err := ParseCatalogue(bytes.NewReader(defaultCatalogue))
	if err != nil {
		panic("notices: embedded catalogue is invalid: " + err.Error())
	}
	return c
}

// ParseCatalogue reads a JSON array of violations, as an operator's own
// file, and validates every entry.
func ParseCatalogue(r io.Reader) (*Catalogue, error) {
	var list []Violation
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&list); err != nil {
		return nil, Errorf(EValidation, "catalogue is not a JSON array of violations: %v", err)
	}
	// Anything after the array (say, next year's list appended to the
	// file) would otherwise be ignored and the old amounts charged.
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(EValidation, "catalogue has content after its JSON array")
	}
	c := &Catalogue{byCode: make(map[string]Violation, len(list))}
	for i, v := range list {
		switch {
		case v.Code == "" || v.Article == "" || v.Description == "":
			return nil, Errorf(EValidation, "catalogue entry %d lacks a code, article or description", i)
		case v.MinCents <= 0 || v.MaxCents < v.MinCents:
			return nil, Errorf(EValidation, "catalogue entry %s has an invalid range %d–%d", v.Code, v.MinCents, v.MaxCents)
		}
		if _, dup := c.byCode[v.Code]; dup {
			return nil, Errorf(EValidation, "catalogue code %s appears twice", v.Code)
		}
		c.byCode[v.Code] = v
		c.list = append(c.list, v)
	}
	if len(c.list) == 0 {
		return nil, Errorf(EValidation, "catalogue is empty")
	}
	return c, nil
}

// Lookup returns the violation with the given code.
func (c *Catalogue) Lookup(code string) (Violation, error) {
	v, ok := c.byCode[code]
	if !ok {
		return Violation{}, Errorf(EUnknownViolation, "no violation with code %q", code)
	}
	return v, nil
}

// All returns the violations in catalogue order; the slice is a copy.
func (c *Catalogue) All() []Violation {
	return append([]Violation(nil), c.list...)
}
