package server

import (
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"
)

// op describes one operation for the OpenAPI document. Kept next to the
// route table's vocabulary so that adding a route without documenting it
// fails TestOpenAPICoversEveryRoute.
type op struct {
	method, path, summary, tag string
	auth                       string // "", "bearer"
	params                     []param
	body                       string         // request media type, "" for none
	schema                     map[string]any // the request body's JSON Schema, if documented
	responses                  map[string]string
}

// obj and str, num, integer, boolean build the JSON Schemas of request
// bodies, kept short so the table stays readable.
func obj(required []string, props map[string]any) map[string]any {
	o := map[string]any{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
func num(desc string) map[string]any { return map[string]any{"type": "number", "description": desc} }
func integer(desc string) map[string]any {
	return map[string]any{"type": "integer", "description": desc}
}

// importCSVSchema documents the camera export: the header names its
// columns (English or Italian names, any order), rows follow.
var importCSVSchema = map[string]any{
	"type": "string",
	"description": "CSV with a header row. Separator ';' or ',' (detected from the header), optional UTF-8 BOM, CRLF or LF; " +
		"one record per line (a quote left open refuses that line only). Columns, in any order, English or Italian names: " +
		"plate|targa (required); violationCode|codice|codice violazione (required, a catalogue code); " +
		"occurredAt|data/ora|data (required: dd/mm/yyyy hh:mm[:ss] in Rome time, or RFC 3339 with offset); " +
		"place|luogo|indirizzo (required, at most 200 characters); lat|latitudine and lon|longitudine (optional, decimal point or comma); " +
		"photo|foto|immagine (optional: a file name in the zip archive the CSV came in). " +
		"A row whose plate, violation, second and place (case and punctuation ignored) were already imported is reported as duplicate.",
}

// finesQuery are the filters of the fine listing and its CSV export.
var finesQuery = []param{
	{"q", "query", "A report number (2026/000123), a notice number (18 digits) or part of a plate (ab123 finds AB123CD)"},
	{"plate", "query", "Exact plate"}, {"status", "query", "issued, notified, paid, cancelled"},
	{"unpaid", "query", "true: issued or notified only"},
	{"from", "query", "Violation day from, YYYY-MM-DD"}, {"to", "query", "Violation day to, YYYY-MM-DD"},
}

type param struct{ name, in, desc string }

var pathNAV = param{"nav", "path", "Notice number (18 digits; spaces and dashes allowed)"}

var operations = []op{
	{method: "GET", path: "/healthz", summary: "Liveness", tag: "ops", responses: map[string]string{"200": "Serving"}},
	{method: "GET", path: "/metrics", summary: "Prometheus metrics; on this address only with --metrics-token (bearer), otherwise on the separate --metrics-addr listener", tag: "ops", responses: map[string]string{"200": "Text exposition format", "401": "unauthorized (missing or wrong token)", "404": "not_found (no token configured)"}},
	{method: "GET", path: "/api/v1/openapi.json", summary: "This document", tag: "ops", responses: map[string]string{"200": "OpenAPI 3"}},
	{method: "GET", path: "/api/v1/violations", summary: "The violation catalogue", tag: "public", responses: map[string]string{"200": "Violations"}},
	{method: "GET", path: "/api/v1/notices/{nav}", summary: "Verify a notice and the amount due on a day", tag: "public",
		params:    []param{pathNAV, {"on", "query", "Payment date YYYY-MM-DD (default today, Europe/Rome)"}, {"fiscalCode", "query", "Creditor fiscal code; must match"}},
		responses: map[string]string{"200": "Notice", "400": "invalid_notice_number, invalid_date", "404": "notice_not_found"}},
	{method: "GET", path: "/api/v1/notices/{nav}/qr.svg", summary: "QR code of a notice (SVG)", tag: "public",
		params: []param{pathNAV, {"kind", "query", "pagopa (default) or link"}, {"scale", "query", "Pixels per module, 2-20"}}, responses: map[string]string{"200": "SVG", "304": "Not modified"}},
	{method: "GET", path: "/api/v1/notices/{nav}/qr.png", summary: "QR code of a notice (PNG)", tag: "public",
		params: []param{pathNAV, {"kind", "query", "pagopa (default) or link"}, {"scale", "query", "Pixels per module, 2-20"}}, responses: map[string]string{"200": "PNG", "304": "Not modified"}},
	{method: "GET", path: "/api/v1/notices/{nav}/deadlines.ics", summary: "The notice's payment deadlines as calendar events (iCalendar)", tag: "public",
		params: []param{pathNAV, {"lang", "query", "it (default) or en"}}, responses: map[string]string{"200": "text/calendar", "404": "notice_not_found", "409": "already_paid", "410": "fine_cancelled"}},
	{method: "POST", path: "/api/v1/notices/{nav}/payments", summary: "Pay a notice exactly once", tag: "public",
		params: []param{pathNAV, {"Idempotency-Key", "header", "8-128 printable characters, one per payment attempt"}}, body: "application/json",
		responses: map[string]string{"201": "Receipt", "402": "card_declined", "409": "amount_changed, already_paid", "410": "fine_cancelled", "422": "idempotency_conflict, validation_failed"}},
	{method: "GET", path: "/api/v1/receipts/{id}", summary: "A receipt", tag: "public", params: []param{{"id", "path", "Receipt id"}}, responses: map[string]string{"200": "Receipt", "404": "receipt_not_found"}},
	{method: "GET", path: "/api/v1/receipts/{id}.pdf", summary: "A receipt as PDF", tag: "public", params: []param{{"id", "path", "Receipt id"}}, responses: map[string]string{"200": "PDF", "404": "receipt_not_found"}},
	{method: "GET", path: "/api/v1/receipts/{id}/proof", summary: "Inclusion proof of a receipt in the signed ledger", tag: "public", params: []param{{"id", "path", "Receipt id"}}, responses: map[string]string{"200": "Proof", "404": "receipt_not_found"}},
	{method: "POST", path: "/api/v1/scan", summary: "Read a QR code from a photo", tag: "public", body: "image/jpeg",
		responses: map[string]string{"200": "The code found", "413": "payload_too_large", "422": "no_code_found, invalid_image", "503": "scanner_busy (decodes are at their memory budget; Retry-After)"}},
	{method: "POST", path: "/api/v1/auth/login", summary: "Log in", tag: "auth", body: "application/json", responses: map[string]string{"200": "Session; refresh cookie set", "401": "unauthorized", "429": "rate_limited"}},
	{method: "POST", path: "/api/v1/auth/refresh", summary: "New access token from the refresh cookie (rotates it)", tag: "auth", responses: map[string]string{"200": "Session", "401": "unauthorized"}},
	{method: "POST", path: "/api/v1/auth/logout", summary: "Revoke the refresh token", tag: "auth", responses: map[string]string{"204": "Logged out"}},
	{method: "POST", path: "/api/v1/fines", summary: "Issue a fine", tag: "office", auth: "bearer", body: "application/json",
		schema: obj([]string{"plate", "violationCode", "occurredAt", "place", "contestation"}, map[string]any{
			"plate": str("2 to 10 letters and digits; spaces and dashes ignored"), "violationCode": str("A code of GET /api/v1/violations"),
			"occurredAt": str("RFC 3339 instant with offset"), "place": str("Street address, 1 to 200 characters"),
			"lat": num("Optional latitude"), "lon": num("Optional longitude"), "contestation": str("immediate or deferred")}),
		params: []param{{"Idempotency-Key", "header", "Optional; a retry returns the first fine"}}, responses: map[string]string{"201": "Fine", "422": "validation_failed"}},
	{method: "POST", path: "/api/v1/fines/import", summary: "Issue fines from a CSV of camera detections; or application/zip holding that CSV and the frames its photo|foto column names (each re-encoded and stored with its fine; a row naming a missing or unreadable image is refused)", tag: "office", auth: "bearer", body: "text/csv",
		schema:    importCSVSchema,
		params:    []param{{"dryRun", "query", "true: save nothing; answer with the separator, the column mapping, the first rows and each row's outcome"}},
		responses: map[string]string{"200": "Counts (imported, duplicates, failed) and each row's status: imported, refused (with field errors), duplicate", "400": "bad_request (an archive that is not one CSV with images)", "413": "payload_too_large", "415": "unsupported_media_type", "422": "validation_failed (header)"}},
	{method: "GET", path: "/api/v1/fines", summary: "List or search fines, newest first", tag: "office", auth: "bearer",
		params:    append(append([]param(nil), finesQuery...), param{"limit", "query", "1-500"}, param{"cursor", "query", "From nextCursor"}),
		responses: map[string]string{"200": "Page of fines (each with amountDue today and its payBy)", "422": "validation_failed"}},
	{method: "GET", path: "/api/v1/fines.csv", summary: "Export a listing as CSV (at most 20,000 rows)", tag: "office", auth: "bearer",
		params:    append(append([]param(nil), finesQuery...), param{"locale", "query", "it: semicolons, decimal commas, notice numbers as =\"…\" text for Excel"}),
		responses: map[string]string{"200": "text/csv", "422": "validation_failed"}},
	{method: "POST", path: "/api/v1/fines/notices.pdf", summary: "Print the A4 notices of many fines as one PDF", tag: "office", auth: "bearer", body: "application/json",
		schema:    obj([]string{"ids"}, map[string]any{"ids": map[string]any{"type": "array", "minItems": 1, "maxItems": 200, "items": str("Fine id")}}),
		responses: map[string]string{"200": "PDF, one page per fine", "404": "fine_not_found", "410": "fine_cancelled", "422": "validation_failed"}},
	{method: "POST", path: "/api/v1/fines/{id}/correction", summary: "Correct a fine's plate or place (supervisors); the old values are kept", tag: "office", auth: "bearer", body: "application/json",
		schema:    obj([]string{"reason"}, map[string]any{"plate": str("New plate, or empty to keep it"), "place": str("New place, or empty to keep it"), "reason": str("Why, 1 to 500 characters")}),
		params:    []param{{"id", "path", "Fine id"}},
		responses: map[string]string{"200": "Fine with its corrections", "403": "forbidden", "409": "already_paid", "410": "fine_cancelled", "422": "validation_failed"}},
	{method: "GET", path: "/api/v1/fines/{id}/history", summary: "Audit trail: the fine's ledger records (who, when, status) and corrections", tag: "office", auth: "bearer",
		params: []param{{"id", "path", "Fine id"}}, responses: map[string]string{"200": "events and corrections", "404": "fine_not_found"}},
	{method: "GET", path: "/api/v1/fines/{id}", summary: "A fine", tag: "office", auth: "bearer", params: []param{{"id", "path", "Fine id"}}, responses: map[string]string{"200": "Fine", "404": "fine_not_found"}},
	{method: "GET", path: "/api/v1/fines/{id}/notice.pdf", summary: "Printable notice", tag: "office", auth: "bearer",
		params: []param{{"id", "path", "Fine id"}, {"format", "query", "a4 or thermal"}}, responses: map[string]string{"200": "PDF"}},
	{method: "POST", path: "/api/v1/fines/{id}/notification", summary: "Record the notification", tag: "office", auth: "bearer", body: "application/json",
		schema: obj([]string{"notifiedOn", "channel"}, map[string]any{"notifiedOn": str("YYYY-MM-DD"), "channel": str("hand, post or pec"), "feesCents": integer("Optional; default per channel")}), params: []param{{"id", "path", "Fine id"}}, responses: map[string]string{"200": "Fine", "409": "invalid_transition, already_paid"}},
	{method: "POST", path: "/api/v1/fines/{id}/cancellation", summary: "Cancel a fine (supervisors)", tag: "office", auth: "bearer", body: "application/json",
		schema: obj([]string{"reason"}, map[string]any{"reason": str("1 to 500 characters")}), params: []param{{"id", "path", "Fine id"}}, responses: map[string]string{"200": "Fine", "403": "forbidden"}},
	{method: "POST", path: "/api/v1/users", summary: "Create a user (admin)", tag: "admin", auth: "bearer", body: "application/json", responses: map[string]string{"201": "User", "409": "conflict"}},
	{method: "GET", path: "/api/v1/users", summary: "List users (admin)", tag: "admin", auth: "bearer", responses: map[string]string{"200": "Users"}},
	{method: "PATCH", path: "/api/v1/users/{username}", summary: "Change a user's role, disable or enable it, or reset its password (admin)", tag: "admin", auth: "bearer", body: "application/json",
		params:    []param{{"username", "path", "Username"}},
		responses: map[string]string{"200": "User", "400": "invalid_json", "403": "forbidden", "404": "user_not_found", "409": "conflict (last enabled admin)", "415": "unsupported_media_type", "422": "validation_failed"}},
	{method: "GET", path: "/api/v1/admin/backup", summary: "Consistent copy of the database (admin)", tag: "admin", auth: "bearer", responses: map[string]string{"200": "bbolt file"}},
	{method: "GET", path: "/api/v1/ledger", summary: "Signed head of the payment ledger", tag: "finance", auth: "bearer", responses: map[string]string{"200": "Tree head"}},
	{method: "GET", path: "/api/v1/ledger/consistency", summary: "Consistency proof (tlog.ProveTree) that the ledger extends its first `from` entries, with the signed current head: keep a head, then check the proof with tlog.CheckTree", tag: "finance", auth: "bearer", params: []param{{"from", "query", "Size of the head you kept"}}, responses: map[string]string{"200": "from, size, rootHash, proof (base64 hashes), signedHead, verifierKey", "422": "validation_failed"}},
	{method: "GET", path: "/api/v1/stats", summary: "Payments and outstanding amounts", tag: "finance", auth: "bearer",
		params: []param{{"from", "query", "Day from"}, {"to", "query", "Day to"}}, responses: map[string]string{"200": "Statistics"}},
	{method: "GET", path: "/api/v1/reconciliation", summary: "Receipts, settlement flows and bank credits of a day or period, matched three ways (JSON, or CSV in Italian)", tag: "finance", auth: "bearer",
		params: []param{{"date", "query", "One day (default yesterday)"}, {"from", "query", "First day of a period (with to; at most 92 days)"}, {"to", "query", "Last day of a period"},
			{"limit", "query", "1-10000: only the first rows (problems come first; counts and totals still cover every row), as the dashboard shows them"},
			{"Accept", "header", "application/json (default) or text/csv (semicolons, decimal commas, notice numbers and IUVs as text)"}},
		responses: map[string]string{"200": "Counts by category, totals, and every row (or the first limit) with an explanation in Italian and English", "400": "invalid_date", "422": "validation_failed (limit)"}},
	{method: "POST", path: "/api/v1/reconciliation/flows", summary: "Import settlement flows: one FlussoRiversamento 1.0.4/1.0.5, or a zip of many", tag: "finance", auth: "bearer", body: "application/xml, application/zip",
		responses: map[string]string{"200": "Already imported (XML), or one result per file (zip)", "201": "Flow created or revised", "409": "flow_revision_outdated, conflict (withdrawn)", "413": "payload_too_large", "415": "unsupported_media_type", "422": "invalid_xml, validation_failed"}},
	{method: "GET", path: "/api/v1/reconciliation/flows/{id}", summary: "Every revision of a flow, with its withdrawal", tag: "finance", auth: "bearer",
		params: []param{{"id", "path", "identificativoFlusso"}}, responses: map[string]string{"200": "Revisions, oldest first", "404": "not_found"}},
	{method: "POST", path: "/api/v1/reconciliation/flows/{id}/withdrawal", summary: "Withdraw a wrongly imported flow, with a reason kept in the ledger", tag: "finance", auth: "bearer", body: "application/json",
		schema: obj([]string{"reason"}, map[string]any{"reason": str("Why the flow is withdrawn (1-500 characters); kept in the audit trail and the ledger")}),
		params: []param{{"id", "path", "identificativoFlusso"}}, responses: map[string]string{"200": "The withdrawn revision", "404": "not_found", "409": "conflict", "422": "validation_failed"}},
	{method: "POST", path: "/api/v1/reconciliation/bank-statements", summary: "Import a bank statement (ISO 20022 camt.053)", tag: "finance", auth: "bearer", body: "application/xml",
		responses: map[string]string{"201": "Statements imported", "409": "conflict", "415": "unsupported_media_type", "422": "invalid_xml, validation_failed"}},
	{method: "POST", path: "/api/v1/reconciliation/fdr/sync", summary: "Import the flows pagoPA's FdR 3 API published, now (the same runs on a schedule with --fdr-url)", tag: "finance", auth: "bearer",
		responses: map[string]string{"200": "Listed, known, imported and failed flows", "404": "not_found (FdR not configured)", "502": "fdr_unavailable"}},
	{method: "GET", path: "/api/v1/reconciliation/psp-flow", summary: "The payment provider's settlement flow of a day, as FlussoRiversamento XML", tag: "finance", auth: "bearer",
		params: []param{{"date", "query", "Capture day (default yesterday)"}}, responses: map[string]string{"200": "application/xml", "404": "not_found", "502": "psp_unavailable"}},
	{method: "GET", path: "/api/v1/refunds", summary: "Receipts with money to give back: double payments, payments after cancellation, amounts other than due (finance)", tag: "finance", auth: "bearer",
		responses: map[string]string{"200": "count, refundCents and the receipts with fine, channel, PSP, anomaly and refundCents", "401": "unauthorized", "403": "forbidden"}},
	{method: "POST", path: "/pagopa/v1/paForNode", summary: "pagoPA station (SOAP 1.1, paForNode.wsdl): paVerifyPaymentNotice, paGetPayment(V2), paSendRT(V2); only when the station is configured", tag: "pagopa",
		params: []param{{"SOAPAction", "header", "Optional; when present it must name the operation of the body's message"}, {"Ocp-Apim-Subscription-Key", "header", "The shared station key, when one is configured (the header name is configurable)"}},
		body:   "text/xml",
		responses: map[string]string{"200": "text/xml SOAP envelope: the operation's response, outcome OK or KO with a pagoPA fault (PAA_PAGAMENTO_SCONOSCIUTO, PAA_PAGAMENTO_ANNULLATO, PAA_PAGAMENTO_DUPLICATO, PAA_ID_DOMINIO_ERRATO, PAA_ID_INTERMEDIARIO_ERRATO, PAA_STAZIONE_INT_ERRATA, PAA_SEMANTICA, PAA_SYSTEM_ERROR); a SOAP Client fault when the body names no paForNode operation",
			"401": "unauthorized (station key missing or wrong)"}},
	{method: "POST", path: "/psp/v1/tokens", summary: "Sandbox PSP: tokenize a card", tag: "psp", body: "application/json", responses: map[string]string{"201": "Token", "422": "invalid_card, card_expired, invalid_cvc"}},
}

var (
	openAPIOnce sync.Once
	openAPIDoc  []byte
)

// openAPI serves the OpenAPI 3 document built from the operations table.
func (s *Server) openAPI(c *fiber.Ctx) error {
	openAPIOnce.Do(func() { openAPIDoc, _ = jsonMarshal(buildOpenAPI()) })
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.Send(openAPIDoc)
}

func buildOpenAPI() map[string]any {
	paths := map[string]map[string]any{}
	for _, o := range operations {
		item := paths[o.path]
		if item == nil {
			item = map[string]any{}
			paths[o.path] = item
		}
		operation := map[string]any{"summary": o.summary, "tags": []string{o.tag}}
		var params []map[string]any
		for _, p := range o.params {
			params = append(params, map[string]any{"name": p.name, "in": p.in, "description": p.desc,
				"required": p.in == "path", "schema": map[string]string{"type": "string"}})
		}
		if params != nil {
			operation["parameters"] = params
		}
		if o.body != "" {
			media := map[string]any{}
			if o.schema != nil {
				media["schema"] = o.schema
			}
			content := map[string]any{}
			for _, mt := range strings.Split(o.body, ", ") {
				content[mt] = media
			}
			operation["requestBody"] = map[string]any{"required": true, "content": content}
		}
		responses := map[string]any{}
		for status, desc := range o.responses {
			responses[status] = map[string]any{"description": desc}
		}
		responses["default"] = map[string]any{"description": "Problem (RFC 9457) with a stable code",
			"content": map[string]any{"application/problem+json": map[string]any{"schema": map[string]string{"$ref": "#/components/schemas/Problem"}}}}
		operation["responses"] = responses
		if o.auth == "bearer" {
			operation["security"] = []map[string][]string{{"bearer": {}}}
		}
		item[strings.ToLower(o.method)] = operation
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info":    map[string]string{"title": "Multa API", "version": "1", "description": "Traffic fines as pagoPA payment notices."},
		"paths":   paths,
		"components": map[string]any{
			"securitySchemes": map[string]any{"bearer": map[string]string{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
			"schemas": map[string]any{"Problem": map[string]any{"type": "object", "required": []string{"type", "title", "status", "code"},
				"properties": map[string]any{"type": map[string]string{"type": "string"}, "title": map[string]string{"type": "string"},
					"status": map[string]string{"type": "integer"}, "detail": map[string]string{"type": "string"}, "code": map[string]string{"type": "string"}}}},
		},
	}
}

// Route is a method and an OpenAPI-style path of the served API.
type Route struct{ Method, Path string }

// APIRoutes lists the API's routes (not the web app's), with Fiber's
// ":param" written as OpenAPI's "{param}", so a test can hold them
// against the published document.
func (s *Server) APIRoutes() []Route {
	var out []Route
	seen := map[Route]bool{}
	for _, r := range s.app.GetRoutes(true) {
		if r.Method == fiber.MethodHead || r.Path == "/*" || r.Path == "/" {
			continue
		}
		rt := Route{r.Method, openAPIPath(r.Path)}
		if !seen[rt] {
			seen[rt] = true
			out = append(out, rt)
		}
	}
	return out
}

// openAPIPath turns "/notices/:nav/qr.svg" into "/notices/{nav}/qr.svg".
func openAPIPath(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] != ':' {
			b.WriteByte(p[i])
			continue
		}
		j := i + 1
		for j < len(p) && p[j] != '/' && p[j] != '.' {
			j++
		}
		b.WriteString("{" + p[i+1:j] + "}")
		i = j - 1
	}
	return b.String()
}
