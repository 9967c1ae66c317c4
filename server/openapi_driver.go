package server

// The operations of issue 14 (driver's fines by plate, carts, evidence,
// autotutela), kept apart from the main table like issue 18's.
func init() { operations = append(operations, driverOperations...) }

var cartItemSchema = obj([]string{"noticeNumber", "amountCents"}, map[string]any{
	"noticeNumber": str("A notice number of the fine (from the plate lookup)"),
	"amountCents":  integer("The amount shown for it, in cents: a cart where any differs from today's is refused whole"),
})

var driverOperations = []op{
	{method: "POST", path: "/api/v1/plates/fines", summary: "A driver's open fines by plate, each with today's amount, appeal terms and evidence photos; the proof is the report number (or a notice number) of one fine of that plate. A failed proof always answers the same 404. Rate-limited per client, with the photos and reviews.", tag: "public", body: "application/json",
		schema: obj([]string{"plate", "proof"}, map[string]any{
			"plate": str("The plate (spaces and dashes ignored)"),
			"proof": str("Report number YYYY/NNNNNN or notice number of one fine of the plate"),
		}),
		responses: map[string]string{"200": "plate, on (today), items: noticeNumber, reportNumber, amountDue, options, payable, terms, photos, review", "404": "notice_not_found", "429": "rate_limited"}},
	{method: "POST", path: "/api/v1/carts/payments", summary: "Pay several fines with one card authorization of their sum: one receipt per fine, all or nothing; requires Idempotency-Key (a retry replays the same receipts)", tag: "public", body: "application/json",
		params: []param{{"Idempotency-Key", "header", "8 to 128 printable ASCII characters, one per cart attempt"}},
		schema: obj([]string{"items", "token"}, map[string]any{
			"items": map[string]any{"type": "array", "minItems": 1, "maxItems": 20, "items": cartItemSchema},
			"token": str("Card token from POST /psp/v1/tokens"),
			"email": str("Optional e-mail for the receipts"),
		}),
		responses: map[string]string{"201": "totalCents and receipts (one per fine, in the cart's order)", "402": "card_declined", "404": "notice_not_found",
			"409": "amount_changed (details.items: each notice with its amountDue), already_paid (details.fineId and receiptId), fine_void", "410": "fine_cancelled",
			"422": "validation_failed, idempotency_conflict", "429": "rate_limited"}},
	{method: "GET", path: "/api/v1/notices/{nav}/photos/{n}", summary: "An evidence photo of the fine (JPEG), for whoever gives its plate in the Multa-Plate header", tag: "public",
		params:    []param{pathNAV, {"n", "path", "Photo number, from 1"}, {"Multa-Plate", "header", "The fine's plate"}},
		responses: map[string]string{"200": "image/jpeg", "404": "notice_not_found, not_found", "429": "rate_limited"}},
	{method: "POST", path: "/api/v1/notices/{nav}/reviews", summary: "Request a review in self-protection (istanza in autotutela): multipart/form-data with plate, text (10-4000 characters) and up to 4 image attachments (re-encoded). The fine stays payable; the answer shows on GET /notices/{nav} as review.", tag: "public", body: "multipart/form-data",
		params:    []param{pathNAV},
		responses: map[string]string{"201": "status, submittedAt", "404": "notice_not_found", "409": "invalid_transition (one awaits an answer)", "410": "fine_cancelled", "415": "unsupported_media_type", "422": "validation_failed, bad_image", "429": "rate_limited"}},
	{method: "POST", path: "/api/v1/fines/{id}/photos", summary: "Attach a photo to a fine (image/jpeg, image/png or image/webp body, at most 12 MB): re-encoded without metadata, at most 1600 px, stored with the fine", tag: "office", auth: "bearer", body: "image/jpeg",
		params:    []param{pathFine, {"source", "query", "officer (default) or camera"}},
		responses: map[string]string{"201": "photo and photos", "404": "fine_not_found", "415": "unsupported_media_type", "422": "bad_image, validation_failed (at most 12 photos)"}},
	{method: "GET", path: "/api/v1/fines/{id}/photos/{n}", summary: "A photo of a fine, the officer's, a camera's or a driver's attachment", tag: "office", auth: "bearer",
		params: []param{pathFine, {"n", "path", "Photo number, from 1"}}, responses: map[string]string{"200": "image/jpeg", "404": "not_found"}},
	{method: "GET", path: "/api/v1/reviews", summary: "The queue of requests for review in autotutela, oldest first", tag: "office", auth: "bearer",
		params: []param{{"status", "query", "submitted (default), accepted or rejected"}}, responses: map[string]string{"200": "items: fineId; reportNumber; plate; text; attachments; submittedAt"}},
	{method: "POST", path: "/api/v1/fines/{id}/review-decision", summary: "Answer the pending request for review (supervisors): accept cancels the fine with the answer as reason; reject keeps it, with the answer", tag: "office", auth: "bearer", body: "application/json",
		params: []param{pathFine},
		schema: obj([]string{"accept", "answer"}, map[string]any{
			"accept": map[string]any{"type": "boolean"},
			"answer": str("What the driver reads, 1-480 characters"),
		}),
		responses: map[string]string{"200": "Fine", "409": "invalid_transition, already_paid", "422": "validation_failed"}},
}
