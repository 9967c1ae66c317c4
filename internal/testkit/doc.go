// Package testkit is what the tests of several packages share: a settable
// clock, instants on Rome's wall clock, the Milan settings, a bbolt store
// on a temporary file that checks itself at cleanup, the sandbox provider,
// and a real server listening on 127.0.0.1 with its users.
//
// It is internal and imported only from _test.go files; it uses the real
// parts (bbolt, the HTTP server, the sandbox PSP), never fakes.
package testkit
