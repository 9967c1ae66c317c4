package notices_test

import (
	"strings"
	"testing"

	"github.com/multa/multa/notices"
)

func TestDefaultCatalogue(t *testing.T) {
	// domain.md §6, row by row.
	want := []struct {
		code, article    string
		min, max         int64
		reducible, night bool
		points           int
	}{
		{"7-15", "art. 7 c.15", 4200, 17300, true, false, 0},
		{"7-14", "art. 7 c.14", 8700, 34400, true, false, 0},
		{"158-5", "art. 158 c.5", 4200, 17300, true, false, 0},
		{"158-6", "art. 158 c.6", 8700, 34400, true, false, 0},
		{"142-7", "art. 142 c.7", 4200, 17300, true, true, 0},
		{"142-8", "art. 142 c.8", 17300, 69400, true, true, 3},
		{"142-9", "art. 142 c.9", 54300, 217000, false, true, 6},
		{"142-9bis", "art. 142 c.9-bis", 84500, 338200, false, true, 10},
		{"146-2", "art. 146 c.2", 4200, 17300, true, true, 0},
		{"146-3", "art. 146 c.3", 16700, 66500, true, true, 6},
		{"126bis-2", "art. 126-bis c.2", 29100, 116600, true, false, 0},
		// docs/catalogue.md gives the source of each row below.
		{"7-13", "art. 7 c.13", 4200, 17300, true, false, 0},
		{"7-14-corsia", "art. 7 c.14", 8700, 34400, true, false, 0},
		{"158-6-doppia", "art. 158 c.2 lett. c", 8700, 34400, true, false, 0},
		{"158-2d", "art. 158 c.2 lett. d", 16500, 66000, true, false, 2},
		{"158-2g", "art. 158 c.2 lett. g", 33000, 99000, true, false, 6},
		{"80-14", "art. 80 c.14", 17300, 69400, true, false, 0},
		{"126-11", "art. 126 c.11", 15800, 63900, true, false, 0},
		{"145-10", "art. 145 c.10", 16700, 66500, true, true, 5},
		{"171-2", "art. 171 c.2", 8300, 33200, true, false, 5},
		{"172-10", "art. 172 c.10", 8300, 33200, true, false, 5},
		{"173-3bis", "art. 173 c.3-bis", 25000, 100000, true, false, 5},
		{"180-7", "art. 180 c.7", 4200, 17300, true, false, 0},
		{"186-2a", "art. 186 c.2 lett. a", 54300, 217000, false, false, 10},
		{"191-1", "art. 191 c.1", 16700, 66500, true, false, 8},
		{"193-2", "art. 193 c.2", 86600, 346400, true, false, 0},
	}
	cat := notices.DefaultCatalogue()
	all := cat.All()
	if len(all) != len(want) {
		t.Fatalf("DefaultCatalogue has %d entries, want %d", len(all), len(want))
	}
	for i, w := range want {
		v, err := cat.Lookup(w.code)
		if err != nil {
			t.Errorf("Lookup(%s): %v", w.code, err)
			continue
		}
		if v.Article != w.article || v.MinCents != w.min || v.MaxCents != w.max || v.Reducible != w.reducible || v.Night != w.night || v.Points != w.points {
			t.Errorf("%s = %+v, want article %q, %d–%d, reducible %v, night %v, points %d", w.code, v, w.article, w.min, w.max, w.reducible, w.night, w.points)
		}
		if v.Description == "" || v.DescriptionIt == "" {
			t.Errorf("%s lacks a description in English or Italian", w.code)
		}
		if all[i].Code != w.code {
			t.Errorf("All()[%d] = %s, want %s (catalogue order)", i, all[i].Code, w.code)
		}
	}
	all[0].MinCents = 1
	if v, _ := cat.Lookup("7-15"); v.MinCents != 4200 {
		t.Errorf("mutating All() changed the catalogue: 7-15 min %d", v.MinCents)
	}
	if again := cat.All(); again[0].MinCents != 4200 {
		t.Errorf("mutating All() changed the next All(): %d", again[0].MinCents)
	}
	_, err := cat.Lookup("142-10")
	wantCode(t, err, notices.EUnknownViolation)
	_, err = cat.Lookup("")
	wantCode(t, err, notices.EUnknownViolation)
}

func TestParseCatalogue(t *testing.T) {
	const entry = `{"code":"7-15","article":"art. 7 c.15","description":"Parking","minCents":4200,"maxCents":17300,"reducible":true,"night":false,"points":0}`
	tests := []struct {
		name, json string
		ok         bool
	}{
		{"one entry", "[" + entry + "]", true},
		{"min equals max", `[{"code":"x","article":"a","description":"d","minCents":100,"maxCents":100}]`, true},
		{"whitespace around", " \n[" + entry + "]\n ", true},
		{"duplicate code", "[" + entry + "," + entry + "]", false},
		{"empty array", "[]", false},
		{"null", "null", false},
		{"empty input", "", false},
		{"object, not array", entry, false},
		{"unknown field", `[{"code":"x","article":"a","description":"d","minCents":100,"maxCents":200,"fee":1}]`, false},
		{"misspelt field", `[{"code":"x","article":"a","description":"d","minCent":100,"maxCents":200}]`, false},
		{"max below min", `[{"code":"x","article":"a","description":"d","minCents":200,"maxCents":100}]`, false},
		{"zero min", `[{"code":"x","article":"a","description":"d","minCents":0,"maxCents":100}]`, false},
		{"negative min", `[{"code":"x","article":"a","description":"d","minCents":-100,"maxCents":100}]`, false},
		{"euro as a float", `[{"code":"x","article":"a","description":"d","minCents":42.5,"maxCents":100}]`, false},
		{"missing code", `[{"article":"a","description":"d","minCents":100,"maxCents":200}]`, false},
		{"missing article", `[{"code":"x","description":"d","minCents":100,"maxCents":200}]`, false},
		{"missing description", `[{"code":"x","article":"a","minCents":100,"maxCents":200}]`, false},
		{"truncated", "[" + entry, false},
		// Two arrays back to back (an operator appending next year's decree
		// to the file): silently using the first would charge old amounts.
		{"trailing second array", "[" + entry + "][" + strings.Replace(entry, "4200", "4300", 1) + "]", false},
		{"trailing garbage", "[" + entry + "] x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cat, err := notices.ParseCatalogue(strings.NewReader(tt.json))
			if !tt.ok {
				wantCode(t, err, notices.EValidation)
				if cat != nil {
					t.Errorf("ParseCatalogue returned a catalogue with an error")
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseCatalogue: %v", err)
			}
			if len(cat.All()) == 0 {
				t.Errorf("ParseCatalogue returned an empty catalogue")
			}
		})
	}
}

func TestMaskPlate(t *testing.T) {
	tests := []struct{ in, want string }{
		{"AB123CD", "AB••••D"},
		{"MI0A1234", "MI••••34"},
		{"ABCDE", "A•••E"},
		{"ABCD", "••••"},
		{"AB", "••"},
		{"", ""},
		{"ÄÖÜßÉÈ", "ÄÖ•••È"},
	}
	for _, tt := range tests {
		if got := notices.MaskPlate(tt.in); got != tt.want {
			t.Errorf("MaskPlate(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
