package main

import (
	"context"
	"testing"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/multa/multa/internal/testkit"
	"github.com/multa/multa/notices"
)

// BenchmarkVerifyHandler is a verify through the whole server (middleware,
// routing, store, the answer's JSON) without the network: the part of the
// server's CPU per verify that Multa's code decides, the syscalls of
// reading and writing the connection aside. It is what the wrk ratio of
// `go run ./bench` moves with.
//
//	go test -run '^$' -bench VerifyHandler -benchmem ./bench
func BenchmarkVerifyHandler(b *testing.B) {
	ts := testkit.StartServer(b, testkit.ServerOptions{Clock: testkit.NewClock(time.Now())})
	ts.Store.SkipLedgerCheck()
	fines := benchFines(b, 20_000, 11)
	if _, err := ts.Store.ImportFines(context.Background(), fines); err != nil {
		b.Fatal(err)
	}
	var navs []notices.NAV
	for _, f := range fines {
		for _, o := range f.Options {
			navs = append(navs, o.NAV)
		}
	}
	h := ts.Server.App().Handler()
	const stride = 7919
	b.ReportAllocs()
	var ctx fasthttp.RequestCtx
	i := 0
	for b.Loop() {
		ctx.Request.Reset()
		ctx.Response.Reset()
		ctx.Request.SetRequestURI("/api/v1/notices/" + string(navs[i%len(navs)]))
		h(&ctx)
		if ctx.Response.StatusCode() != fasthttp.StatusOK {
			b.Fatalf("status %d: %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
		i += stride
	}
}
