package pagopa

import "testing"

func TestNormalizeIBAN(t *testing.T) {
	got, err := NormalizeIBAN(" it60 x054 2811 1010 0000 0123 456 ")
	if err != nil || got != "IT60X0542811101000000123456" {
		t.Fatalf("NormalizeIBAN = %q, %v", got, err)
	}
	for _, bad := range []string{
		"",
		"IT61X0542811101000000123456", // check digits off by one
		"IT60X0542811101000000123457", // account digit changed
		"IT60X054281110100000012345",  // 26 characters
		"DE89370400440532013000",      // valid, but German
		"IT6OX0542811101000000123456", // letter O for zero in the check digits
		"IT6001542811101000000123456", // no CIN letter
		"IT60X0542811101000000123-56",
	} {
		if _, err := NormalizeIBAN(bad); err == nil {
			t.Errorf("NormalizeIBAN(%q) accepted", bad)
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	s := Settings{BrokerID: "01199250158", StationID: "01199250158_01", IBAN: "IT60X0542811101000000123456"}
	if err := s.Validate(); err != nil || s.TransferCategory != DefaultTransferCategory {
		t.Fatalf("Validate = %v, category %q", err, s.TransferCategory)
	}
	for _, c := range []string{"0102100SA", "9/0102100XX/", "9/010210SA/", "9/0102100SA", "99/0102100SA/"} {
		s.TransferCategory = c
		if err := s.Validate(); err == nil {
			t.Errorf("transfer category %q accepted", c)
		}
	}
	s = Settings{BrokerID: "01199250158", IBAN: "IT60X0542811101000000123456"}
	if !s.Enabled() || s.Validate() == nil {
		t.Error("a station id is required once a broker is set")
	}
	if (Settings{}).Enabled() {
		t.Error("the station must be off unless configured")
	}
}
