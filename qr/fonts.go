package qr

import (
	_ "embed" // the fonts are part of the binary
	"strings"
	"sync"

	"golang.org/x/image/font/sfnt"
)

// The PDFs print with DejaVu Sans (Debian fonts-dejavu-core 2.37; licence
// in fonts/LICENSE-DejaVu.txt: Bitstream Vera's, DejaVu changes public
// domain), embedded as UTF-8 TrueType fonts so that Latin Extended, Greek
// and Cyrillic print as typed: "Łódź", "Soči", "Gorizia/Gorica". The core
// PDF fonts know only cp1252 and printed ".ód.".
var (
	//go:embed fonts/DejaVuSans.ttf
	fontRegular []byte
	//go:embed fonts/DejaVuSans-Bold.ttf
	fontBold []byte
	//go:embed fonts/DejaVuSans-Oblique.ttf
	fontOblique []byte
)

// fontFamily is the family name the documents use.
const fontFamily = "DejaVu"

// replacement is printed for a character no embedded font has, so that a
// reader sees something is missing instead of a silent gap; the API keeps
// the original text.
const replacement = '\uFFFD'

// coverage answers which runes the regular face has a glyph for; the bold
// and oblique faces of DejaVu Sans cover the scripts the documents need
// alike.
var coverage = sync.OnceValue(func() *sfnt.Font {
	f, err := sfnt.Parse(fontRegular)
	if err != nil {
		panic("qr: embedded DejaVu font: " + err.Error())
	}
	return f
})

// printable returns s with control characters as spaces (a PDF string
// must not hold them, and user text may) and characters without a glyph
// as the replacement character.
func printable(s string) string {
	f := coverage()
	var buf sfnt.Buffer
	return strings.Map(func(r rune) rune {
		switch {
		case r < ' ' || r >= 0x7f && r < 0xa0:
			return ' '
		case r == replacement:
			return r
		}
		if g, err := f.GlyphIndex(&buf, r); err != nil || g == 0 {
			return replacement
		}
		return r
	}, s)
}
