package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/multa/multa/notices"
)

func jsonMarshal(v any) ([]byte, error) { return json.Marshal(v) }

// maxJSONBody bounds every JSON request: no legitimate one comes near it.
const maxJSONBody = 64 << 10

// mediaType is the request's Content-Type without parameters, lower case.
func mediaType(c *fiber.Ctx) string {
	ct, _, _ := strings.Cut(c.Get(fiber.HeaderContentType), ";")
	return strings.ToLower(strings.TrimSpace(ct))
}

// decodeJSON reads the body strictly into v: JSON media type, size bound,
// unknown fields and trailing data refused, so that a typo in a field
// name fails loudly instead of being silently ignored.
func decodeJSON(c *fiber.Ctx, v any) error { return decodeJSONWithin(c, v, maxJSONBody) }

// decodeJSONWithin is decodeJSON with another size bound, for the few
// routes whose documents are legitimately large.
func decodeJSONWithin(c *fiber.Ctx, v any, limit int) error {
	if mediaType(c) != fiber.MIMEApplicationJSON {
		return errCode(codeUnsupportedMedia, "Send the body as application/json.")
	}
	return decodeJSONBody(c.Body(), v, limit)
}

// decodeJSONBody is the media-type-free part of decodeJSONWithin: the size
// bound, duplicate members, unknown fields and trailing data.
func decodeJSONBody(body []byte, v any, limit int) error {
	if len(body) > limit {
		return errCode(codeTooLarge, "The request body is too large.")
	}
	if err := refuseDuplicateKeys(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return errCode(codeBadJSON, "The body must hold exactly one JSON object.")
	}
	return nil
}

// jsonError turns a decoding failure into a precise client error.
func jsonError(err error) error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		kind := jsonKind(te.Type.Kind().String())
		if kind == "number" && te.Value == "number" {
			kind = "whole number" // a fraction where cents or a count belong
		}
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: te.Field, Message: fmt.Sprintf("must be a %s", kind)}}}
	}
	var ne *notices.Error
	if errors.As(err, &ne) {
		return err
	}
	if msg := err.Error(); strings.HasPrefix(msg, "json: unknown field ") {
		field := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: field, Message: "unknown field"}}}
	}
	return errCode(codeBadJSON, "The body is not valid JSON.")
}

func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "number"
	case k == "bool":
		return "boolean"
	case k == "slice", k == "array":
		return "array"
	case k == "struct", k == "map":
		return "object"
	}
	return k
}

// refuseDuplicateKeys refuses an object that names a member twice.
// encoding/json keeps the last one silently, so {"amountCents":1,
// "amountCents":2} would mean one thing to a proxy or log reader that
// keeps the first and another to us. Malformed JSON is left to the
// decoder, which words that error better.
func refuseDuplicateKeys(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		keys   map[string]bool
		object bool
		key    bool // the next token in an object is a key
	}
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.key {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				if len(stack) == 0 {
					return nil
				}
				continue
			}
			k, _ := tok.(string)
			if top.keys[k] {
				return errCode(codeBadJSON, fmt.Sprintf("The member %q appears more than once in one object.", k))
			}
			top.keys[k] = true
			top.key = false
			continue
		}
		if top != nil && top.object {
			top.key = true // a value was read; a key comes next
		}
		switch tok {
		case json.Delim('{'):
			stack = append(stack, &frame{keys: map[string]bool{}, object: true, key: true})
		case json.Delim('['):
			stack = append(stack, &frame{})
		case json.Delim(']'):
			stack = stack[:len(stack)-1]
		}
		if len(stack) == 0 {
			return nil
		}
	}
}
