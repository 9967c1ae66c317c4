package boltdb

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/multa/multa/notices"
)

// sampleReceipt has every kind of field a receipt stores filled, so that
// decoding it with encoding/json/v2 is checked against v1 field by field.
func sampleReceipt(t testing.TB) notices.Receipt {
	t.Helper()
	var r notices.Receipt
	// Start from a JSON document naming every field with a non-zero value,
	// built from the type itself so a new field is covered too.
	fillAll(reflect.ValueOf(&r).Elem(), 0)
	return r
}

func fillAll(v reflect.Value, depth int) {
	if depth > 4 {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x-" + v.Type().Name())
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(42)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Float64:
		v.SetFloat(1.5)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fillAll(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fillAll(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fillAll(k, depth+1)
		fillAll(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 2, 13, 4, 5, 6, notices.Rome)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillAll(v.Field(i), depth+1)
			}
		}
	}
}

// TestDecodeReceiptMatchesV1 decodes what encodeReceipt writes with the
// decoder the store uses (v2) and with encoding/json v1, which wrote it:
// the two must agree on every field.
func TestDecodeReceiptMatchesV1(t *testing.T) {
	r := sampleReceipt(t)
	b, err := encodeReceipt(&r, 7, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeReceipt(b)
	if err != nil {
		t.Fatal(err)
	}
	var want notices.Receipt
	if err := json.Unmarshal(b, &storedReceipt{Receipt: &want}); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("v2 decoded\n%+v\nv1 decoded\n%+v\nfrom %s", got, want, b)
	}
	if e, ok := valueEntry(b); !ok || e != 7 {
		t.Fatalf("valueEntry = %d, %v", e, ok)
	}
}

func BenchmarkDecodeReceipt(b *testing.B) {
	r := sampleReceipt(b)
	raw, err := encodeReceipt(&r, 7, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeReceipt(raw); err != nil {
			b.Fatal(err)
		}
	}
}
