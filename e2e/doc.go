// Package e2e holds black-box tests of the built multa binary: each starts
// the real program on a loopback port (or runs one of its commands) and
// attacks it from outside, as the hardening review of issue 12 did. The
// package has no code of its own beyond this comment.
package e2e
