package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/multa/multa/notices"
	"github.com/multa/multa/pagopa/nodesim"
)

// pagopaSimCmd plays the pagoPA node against a running station: verify,
// activate and receipt for each notice, with random PSPs and channels,
// receipts resent, second payments from another PSP and the fault probes.
// It exits non-zero when anything answered other than expected.
func pagopaSimCmd(ctx context.Context, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("pagopa-sim", flag.ContinueOnError)
	url := fs.String("url", "http://localhost:8080/pagopa/v1/paForNode", "the station endpoint")
	list := fs.String("notices", "", "notice numbers to pay: comma-separated, @FILE (one a line) or - for stdin")
	count := fs.Int("count", 10, "payments to attempt (the notices are taken in turn)")
	conc := fs.Int("concurrency", 4, "payments in flight at once")
	idPA := fs.String("idpa", envOr("MULTA_CREDITOR_FISCAL_CODE", "01199250158"), "idPA, the creditor fiscal code")
	broker := fs.String("broker-id", os.Getenv("MULTA_PAGOPA_BROKER_ID"), "idBrokerPA the station expects")
	station := fs.String("station-id", os.Getenv("MULTA_PAGOPA_STATION_ID"), "idStation the station expects")
	key := fs.String("key", os.Getenv("MULTA_PAGOPA_KEY"), "shared station key, when the station requires one")
	keyHeader := fs.String("key-header", envOr("MULTA_PAGOPA_KEY_HEADER", "Ocp-Apim-Subscription-Key"), "header of the shared key")
	v1 := fs.Float64("v1", 0.2, "share of payments through V1 (paGetPayment, paSendRT)")
	resend := fs.Float64("resend", 0.1, "share of receipts the node sends twice")
	double := fs.Float64("double", 0.05, "share of notices paid twice, from two PSPs")
	probes := fs.Bool("probes", true, "also send one request for each fault and check its code")
	seed := fs.Uint64("seed", uint64(time.Now().UnixNano()), "seed of the random choices")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *broker == "" || *station == "" {
		return errors.New("--broker-id and --station-id are required (or MULTA_PAGOPA_BROKER_ID and MULTA_PAGOPA_STATION_ID)")
	}
	navs, err := readNotices(*list, stdin)
	if err != nil {
		return err
	}
	if len(navs) == 0 {
		return errors.New("--notices is required: the demo (multa demo) prints some to try")
	}
	for _, f := range []float64{*v1, *resend, *double} {
		if f < 0 || f > 1 {
			return errors.New("--v1, --resend and --double are shares between 0 and 1")
		}
	}
	node := nodesim.New(nodesim.Config{URL: *url, Client: &http.Client{Timeout: 15 * time.Second},
		IDPA: *idPA, BrokerID: *broker, StationID: *station, KeyHeader: *keyHeader, Key: *key, Seed: *seed})
	t0 := time.Now()
	rep := node.Run(ctx, nodesim.Plan{Notices: navs, Count: *count, Concurrency: max(*conc, 1),
		V1Share: *v1, ResendShare: *resend, DoubleShare: *double, Probes: *probes})
	fmt.Fprintf(stdout, "pagoPA node simulator: %d notices, %d payments in %v against %s\n", len(navs), *count, time.Since(t0).Round(time.Millisecond), *url)
	fmt.Fprint(stdout, rep.String())
	if rep.Failed() {
		return errors.New("the station answered something unexpected (see above)")
	}
	return nil
}

// readNotices reads and checks notice numbers from a list, a file or stdin.
func readNotices(spec string, stdin io.Reader) ([]string, error) {
	var raw []string
	switch {
	case spec == "":
		return nil, nil
	case spec == "-" || strings.HasPrefix(spec, "@"):
		r := stdin
		if spec != "-" {
			f, err := os.Open(spec[1:])
			if err != nil {
				return nil, err
			}
			defer f.Close()
			r = f
		}
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if l := strings.TrimSpace(sc.Text()); l != "" && !strings.HasPrefix(l, "#") {
				raw = append(raw, l)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	default:
		raw = strings.Split(spec, ",")
	}
	var out []string
	for _, s := range raw {
		nav, err := notices.ParseNAV(s)
		if err != nil {
			return nil, fmt.Errorf("notice %q: %s", strings.TrimSpace(s), notices.ErrorMessage(err))
		}
		out = append(out, string(nav))
	}
	return out, nil
}
