package fdr

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/multa/multa/notices"
)

// Client reads published settlement flows from pagoPA's FdR 3 REST API,
// creditor side (openapi/fdr_organization.json): the list of published
// flows, one flow, and its payments, each paged.
type Client struct {
	// BaseURL is the API's root, e.g.
	// https://api.platform.pagopa.it/fdr-org/service/v1.
	BaseURL string
	// Organization is the creditor's fiscal code (organizationId).
	Organization string
	// SubscriptionKey goes in the Ocp-Apim-Subscription-Key header.
	SubscriptionKey string
	// HTTP is the client to use; a client with a 30 s timeout when nil.
	HTTP *http.Client
	// PageSize is the page size asked for; 1000 (the API's maximum) when 0.
	PageSize int
}

// Published is one entry of the list of published flows: the latest
// revision of a flow.
type Published struct {
	ID        string    `json:"fdr"`
	PSP       string    `json:"pspId"`
	Revision  int64     `json:"revision"`
	Published time.Time `json:"published"`
	FlowDate  time.Time `json:"flowDate"`
}

// maxPages bounds any paged walk: 1,000 pages of 1,000 is a million flows
// or payments, far beyond one creditor's month.
const maxPages = 1000

// maxResponse bounds one response body.
const maxResponse = 32 << 20

type metadata struct {
	PageSize   int `json:"pageSize"`
	PageNumber int `json:"pageNumber"`
	TotPage    int `json:"totPage"`
}

// APIError is an answer of the API other than 200.
type APIError struct {
	Status  int
	AppCode string // appErrorCode, e.g. FDR-0500
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("FdR API: HTTP %d %s %s", e.Status, e.AppCode, e.Message)
}

func (c *Client) get(ctx context.Context, path string, q url.Values, v any) error {
	u := strings.TrimRight(c.BaseURL, "/") + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if c.SubscriptionKey != "" {
		req.Header.Set("Ocp-Apim-Subscription-Key", c.SubscriptionKey)
	}
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return err
	}
	if len(body) > maxResponse {
		return fmt.Errorf("FdR API: %s: answer larger than %d bytes", path, maxResponse)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			AppErrorCode string `json:"appErrorCode"`
			Errors       []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		_ = json.Unmarshal(body, &e)
		ae := &APIError{Status: resp.StatusCode, AppCode: e.AppErrorCode}
		if len(e.Errors) > 0 {
			ae.Message = e.Errors[0].Message
		}
		return ae
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("FdR API: %s: %w", path, err)
	}
	return nil
}

func (c *Client) pageSize() string {
	if c.PageSize > 0 {
		return strconv.Itoa(c.PageSize)
	}
	return "1000"
}

// List returns every flow published after publishedGt (all of the API's
// default window when zero), walking every page.
func (c *Client) List(ctx context.Context, publishedGt time.Time) ([]Published, error) {
	var out []Published
	for page := 1; page <= maxPages; page++ {
		q := url.Values{"page": {strconv.Itoa(page)}, "size": {c.pageSize()}}
		if !publishedGt.IsZero() {
			q.Set("publishedGt", publishedGt.UTC().Format(time.RFC3339))
		}
		var res struct {
			Metadata metadata    `json:"metadata"`
			Data     []Published `json:"data"`
		}
		if err := c.get(ctx, "/organizations/"+url.PathEscape(c.Organization)+"/fdrs", q, &res); err != nil {
			return nil, err
		}
		out = append(out, res.Data...)
		if page >= res.Metadata.TotPage || len(res.Data) == 0 {
			return out, nil
		}
	}
	return nil, fmt.Errorf("FdR API: more than %d pages of flows", maxPages)
}

// payStatus maps FdR 3's payStatus to the outcome codes of the XML.
var payStatus = map[string]notices.FlowOutcome{
	"EXECUTED":        notices.OutcomeExecuted,
	"STAND_IN":        notices.OutcomeStandIn,
	"STAND_IN_NO_RPT": notices.OutcomeStandInNoRPT,
	"NO_RPT":          notices.OutcomeNoRPT,
	"REVOKED":         notices.OutcomeRevoked, // not in the API's enum today; the XML has it
}

// Fetch reads one published flow and all its payments, and returns it in
// the domain's model, validated like a decoded XML flow.
func (c *Client) Fetch(ctx context.Context, p Published) (notices.SettlementFlow, error) {
	base := "/organizations/" + url.PathEscape(c.Organization) + "/fdrs/" + url.PathEscape(p.ID) +
		"/revisions/" + strconv.FormatInt(p.Revision, 10) + "/psps/" + url.PathEscape(p.PSP)
	var h struct {
		FDR            string      `json:"fdr"`
		FDRDate        time.Time   `json:"fdrDate"`
		Regulation     string      `json:"regulation"`
		RegulationDate string      `json:"regulationDate"`
		BIC            string      `json:"bicCodePouringBank"`
		TotPayments    json.Number `json:"totPayments"`
		SumPayments    json.Number `json:"sumPayments"`
		Sender         struct {
			PSPID   string `json:"pspId"`
			PSPName string `json:"pspName"`
		} `json:"sender"`
		Receiver struct {
			OrganizationID   string `json:"organizationId"`
			OrganizationName string `json:"organizationName"`
		} `json:"receiver"`
	}
	var f notices.SettlementFlow
	if err := c.get(ctx, base, nil, &h); err != nil {
		return f, err
	}
	bad := func(field, format string, args ...any) error {
		return &notices.ValidationError{Fields: []notices.FieldError{{Field: field, Message: fmt.Sprintf(format, args...)}}}
	}
	rd, err := notices.ParseDate(h.RegulationDate)
	if err != nil {
		return f, bad("regulationDate", "not a date: %q", clip(h.RegulationDate))
	}
	n, err := strconv.Atoi(h.TotPayments.String())
	if err != nil {
		return f, bad("totPayments", "not a whole number: %q", clip(h.TotPayments.String()))
	}
	sum, err := decimalCents(h.SumPayments.String())
	if err != nil {
		return f, bad("sumPayments", "not an amount: %q", clip(h.SumPayments.String()))
	}
	f = notices.SettlementFlow{ID: h.FDR, FlowTime: h.FDRDate, RegulationID: h.Regulation, RegulationDate: rd, BIC: h.BIC,
		PSP: h.Sender.PSPID, PSPName: h.Sender.PSPName, Creditor: h.Receiver.OrganizationID, CreditorName: h.Receiver.OrganizationName,
		DeclaredCount: n, DeclaredCents: sum}
	if f.ID != p.ID {
		return f, bad("fdr", "asked for flow %s, got %s", p.ID, clip(f.ID))
	}
	for page := 1; page <= maxPages; page++ {
		var res struct {
			Metadata metadata `json:"metadata"`
			Data     []struct {
				IUV        string      `json:"iuv"`
				IUR        string      `json:"iur"`
				IDTransfer int         `json:"idTransfer"`
				Pay        json.Number `json:"pay"`
				PayStatus  string      `json:"payStatus"`
				PayDate    time.Time   `json:"payDate"`
			} `json:"data"`
		}
		q := url.Values{"page": {strconv.Itoa(page)}, "size": {c.pageSize()}}
		if err := c.get(ctx, base+"/payments", q, &res); err != nil {
			return f, err
		}
		for i, d := range res.Data {
			at := fmt.Sprintf("payments[%d]", len(f.Lines))
			cents, err := decimalCents(d.Pay.String())
			if err != nil {
				return f, bad(at+".pay", "not an amount: %q", clip(d.Pay.String()))
			}
			o, ok := payStatus[d.PayStatus]
			if !ok {
				return f, bad(at+".payStatus", "unknown: %q", clip(d.PayStatus))
			}
			if len(f.Lines) >= notices.MaxFlowLines {
				return f, bad("payments", "more than %d", notices.MaxFlowLines)
			}
			_ = i
			f.Lines = append(f.Lines, notices.SettlementLine{IUV: d.IUV, IUR: d.IUR, TransferIndex: d.IDTransfer, AmountCents: cents,
				Outcome: o, Date: notices.DateOf(d.PayDate)})
		}
		if page >= res.Metadata.TotPage || len(res.Data) == 0 {
			return f, f.Validate()
		}
	}
	return f, fmt.Errorf("FdR API: more than %d pages of payments", maxPages)
}

// decimalCents parses a JSON number of euro with at most two decimals
// exactly (never through a float): "100.95" is 10095 cents.
func decimalCents(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(whole) > 12 || len(frac) > 2 || strings.HasPrefix(whole, "-") {
		return 0, strconv.ErrSyntax
	}
	for len(frac) < 2 {
		frac += "0"
	}
	return strconv.ParseInt(whole+frac, 10, 64)
}
