package main

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/multa/multa/fdr"
	"github.com/multa/multa/notices"
	"github.com/multa/multa/notices/boltdb"
)

// BenchmarkImportFlows imports a zip of 100 settlement flows of 5,000
// payments each (FlussoRiversamento XML) into a fresh store on a real
// file, the way POST /api/v1/reconciliation/flows takes a zip:
// decompression and strict decoding in parallel (fdr.DecodeEach), then
// validation and one durable transaction with its ledger entry per flow.
// Writing the zip is not timed.
//
//	go test -run '^$' -bench ImportFlows -benchtime 1x ./bench
func BenchmarkImportFlows(b *testing.B) {
	const flows, lines = 100, 5000
	day := notices.Date{Year: 2026, Month: time.March, Day: 10}
	mk := func(n int) notices.SettlementFlow {
		f := notices.SettlementFlow{ID: fmt.Sprintf("2026-03-10PSP%03d-0001", n), FlowTime: day.AddDays(2).Start().Add(7 * time.Hour),
			RegulationID: fmt.Sprintf("SCT-%03d", n), RegulationDate: day.AddDays(1), PSP: fmt.Sprintf("PSP%03d", n), PSPName: "Banca di prova",
			Creditor: "01199250158", Lines: make([]notices.SettlementLine, lines)}
		for i := range f.Lines {
			f.Lines[i] = notices.SettlementLine{IUV: fmt.Sprintf("01%03d%012d", n, i), IUR: fmt.Sprintf("IUR-%03d-%06d", n, i), TransferIndex: 1,
				AmountCents: 2940 + int64(i%7)*100, Outcome: notices.OutcomeExecuted, Date: day}
		}
		f.DeclaredCount, f.DeclaredCents = len(f.Lines), f.PaidCents()
		return f
	}
	// The flows as finance would upload them: one zip.
	var zbuf bytes.Buffer
	zw := zip.NewWriter(&zbuf)
	var xmlBytes int64
	for n := 0; n < flows; n++ {
		w, err := zw.Create(fmt.Sprintf("flow-%03d.xml", n))
		if err != nil {
			b.Fatal(err)
		}
		f := mk(n)
		cw := &countWriter{w: w}
		if err := fdr.EncodeXML(cw, &f); err != nil {
			b.Fatal(err)
		}
		xmlBytes += cw.n
	}
	if err := zw.Close(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var cpu time.Duration
	for it := 0; it < b.N; it++ {
		b.StopTimer()
		st, err := boltdb.Open(filepath.Join(b.TempDir(), fmt.Sprintf("flows%d.db", it)), boltdb.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		cpu0 := selfCPU()
		zr, err := zip.NewReader(bytes.NewReader(zbuf.Bytes()), int64(zbuf.Len()))
		if err != nil {
			b.Fatal(err)
		}
		err = fdr.DecodeEach(len(zr.File), 0, func(i int) (io.ReadCloser, error) { return zr.File[i].Open() },
			func(i int, f notices.SettlementFlow, err error) error {
				if err != nil {
					return err
				}
				_, saved, err := st.SaveFlow(context.Background(), f, notices.FlowUploaded, "bench")
				if err == nil && saved != notices.FlowCreated {
					err = fmt.Errorf("flow %s %s", f.ID, saved)
				}
				return err
			})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		cpu += selfCPU() - cpu0
		if fs, err := st.FlowsBetween(context.Background(), day, day); err != nil || len(fs) != flows {
			b.Fatal(len(fs), err)
		}
		st.Close()
	}
	// On a shared machine the wall time says more about the neighbours
	// than about the import; the CPU time it used does not.
	b.ReportMetric(cpu.Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(xmlBytes)/1e6, "MB-xml")
	b.ReportMetric(float64(zbuf.Len())/1e6, "MB-zip")
}

// selfCPU is the user and system CPU time of the process so far.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
