// Package notices is the domain of Multa: traffic fines, the pagoPA payment
// notices that collect them, and the rules that say how much is due when.
//
// It is pure Go with no I/O. Adapters (the bbolt store, the HTTP server, the
// payment provider, the web app) depend on it; it depends on none of them.
package notices
