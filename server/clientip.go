package server

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// proxies is the set of trusted proxy addresses and networks.
type proxies []netip.Prefix

// parseProxies reads the --trusted-proxies entries (IPs or CIDRs); the
// command line has validated them, so a bad one is skipped here.
func parseProxies(list []string) proxies {
	var out proxies
	for _, p := range list {
		if pfx, err := netip.ParsePrefix(p); err == nil {
			out = append(out, pfx.Masked())
		} else if a, err := netip.ParseAddr(p); err == nil {
			a = a.Unmap()
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
		}
	}
	return out
}

func (p proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, pfx := range p {
		if pfx.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address rate limits and login throttles count by.
// X-Forwarded-For is believed only from a trusted proxy, and then read
// from the right: each proxy appends the address it received the request
// from, so the rightmost entry that is not itself a trusted proxy is the
// client as our own infrastructure saw it. Entries further left were
// written by the client and can say anything (the leftmost-entry rule let
// any client pick a fresh address per request). An unparseable entry
// stops the walk at the last trusted hop, so garbage never becomes a new
// client either.
func (s *Server) clientIP(c *fiber.Ctx) string {
	peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
	if !ok {
		return c.Context().RemoteIP().String()
	}
	peer = peer.Unmap()
	if len(s.proxies) == 0 || !s.proxies.trusted(peer) {
		return peer.String()
	}
	var entries []string
	for _, v := range c.Request().Header.PeekAll(fiber.HeaderXForwardedFor) {
		entries = append(entries, strings.Split(string(v), ",")...)
	}
	last := peer
	for i := len(entries) - 1; i >= 0; i-- {
		e := strings.TrimSpace(entries[i])
		a, err := netip.ParseAddr(e)
		if err != nil {
			if ap, perr := netip.ParseAddrPort(e); perr == nil { // "1.2.3.4:5678", "[::1]:80"
				a, err = ap.Addr(), nil
			}
		}
		if err != nil {
			return last.String()
		}
		a = a.Unmap()
		if !s.proxies.trusted(a) {
			return a.String()
		}
		last = a
	}
	return last.String()
}
