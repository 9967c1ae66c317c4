package notices

// FreeTextProblem says why s cannot be stored as free text typed by a
// person (a place, a name, an address), or "" when it can. Control
// characters (C0, DEL, C1, line and paragraph separators) have no place in
// one-line text and break the documents it is printed on; bidirectional
// embeddings, overrides and isolates make text display in another order
// than it is stored (U+202E turns "Via Roma 21" into something else on
// screen), a known way to make records lie to their readers.
func FreeTextProblem(s string) string {
	for _, r := range s {
		switch {
		case r < 0x20, r >= 0x7f && r < 0xa0, r == 0x2028, r == 0x2029:
			return "must not contain control characters"
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
			return "must not contain bidirectional control characters"
		case r == 0xfeff, r >= 0xfff9 && r <= 0xfffb:
			return "must not contain invisible formatting characters"
		}
	}
	return ""
}
