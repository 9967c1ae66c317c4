// Package payment holds the use cases that settle a fine: the app's card
// checkout (PayByCard), receipts that arrive from a pagoPA channel
// (RecordReceipt) and the quote both start from (Quote). The HTTP server,
// the pagoPA station and the demo seeder call it, so the rules of taking
// money exactly once are written once, outside any transport.
//
// It depends on the domain (notices), the store port and the payment
// provider port only; adapters depend on it, never the reverse.
package payment
