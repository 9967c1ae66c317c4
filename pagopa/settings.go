package pagopa

import (
	"fmt"
	"strings"
)

// DefaultTransferCategory is the pagoPA taxonomy code of traffic fines:
// 9/0102100SA/ = creditor type 01 (comune), macro area 02 (polizia
// locale), service 100 "Multe / Verbali di contravvenzione", legal reason
// SA (sanzioni). Source: pagopa-api taxonomy (tassonomia.csv). A
// creditor that is not a comune (a province, 9/02…) sets its own.
const DefaultTransferCategory = "9/0102100SA/"

// Settings identify this station on the node and say where the money goes.
// The creditor itself (idPA, its name) comes from notices.Settings.
type Settings struct {
	// BrokerID is idBrokerPA: the fiscal code of the technological partner
	// (intermediario) that runs the station, often the creditor itself.
	BrokerID string
	// StationID is idStation, e.g. "01199250158_01".
	StationID string
	// IBAN is the creditor's account that receives the transfer.
	IBAN string
	// TransferCategory is the taxonomy code of each transfer.
	TransferCategory string
}

// Enabled reports whether the operator asked for the station: it is off
// unless a broker or a station id is set (Validate then wants both).
func (s Settings) Enabled() bool { return s.BrokerID != "" || s.StationID != "" }

// Validate checks the settings and normalises the IBAN; the taxonomy code
// must have the shape 9/NNNNNNNXX/ of the pagoPA taxonomy.
func (s *Settings) Validate() error {
	if s.TransferCategory == "" {
		s.TransferCategory = DefaultTransferCategory
	}
	if s.BrokerID == "" || len(s.BrokerID) > 35 {
		return fmt.Errorf("the pagoPA broker id (idBrokerPA) must have 1 to 35 characters")
	}
	if s.StationID == "" || len(s.StationID) > 35 {
		return fmt.Errorf("the pagoPA station id (idStation) must have 1 to 35 characters")
	}
	iban, err := NormalizeIBAN(s.IBAN)
	if err != nil {
		return fmt.Errorf("creditor IBAN: %v", err)
	}
	s.IBAN = iban
	if !validCategory(s.TransferCategory) {
		return fmt.Errorf("transfer category %q is not a pagoPA taxonomy code like %s", s.TransferCategory, DefaultTransferCategory)
	}
	return nil
}

// validCategory checks prefix/ + 2-digit creditor type + 2-digit macro
// area + 3-digit service + legal reason (IM, TS, SP, SA or AP) + "/".
func validCategory(c string) bool {
	prefix, rest, ok := strings.Cut(c, "/")
	if !ok || len(prefix) != 1 || !digits(prefix) || len(rest) != 10 || rest[9] != '/' || !digits(rest[:7]) {
		return false
	}
	switch rest[7:9] {
	case "IM", "TS", "SP", "SA", "AP":
		return true
	}
	return false
}
