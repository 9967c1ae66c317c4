package server

import (
	"encoding/json"
	"testing"
)

// FuzzRefuseDuplicateKeys: the duplicate-key scan never panics, and never
// refuses a valid document whose objects all have distinct members (checked
// by re-encoding what encoding/json read, which has no duplicates).
func FuzzRefuseDuplicateKeys(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `{"a":{"b":1},"b":{"a":[{"a":1},{"a":2}]}}`, `[1,{"x":{}}]`, `"s"`, `{`, `}}`, `[]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_ = refuseDuplicateKeys(b)
		var v any
		if json.Unmarshal(b, &v) != nil {
			return
		}
		clean, err := json.Marshal(v)
		if err != nil {
			return
		}
		if err := refuseDuplicateKeys(clean); err != nil {
			t.Errorf("%s refused: %v", clean, err)
		}
	})
}
