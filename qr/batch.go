package qr

import (
	"io"

	"github.com/multa/multa/notices"
)

// MaxBatchNotices bounds one batch print: a few hundred A4 pages is what
// an office printer takes in one job, and what one request should render.
const MaxBatchNotices = 200

// NoticesPDF writes the A4 notices of many fines as one document, in the
// order given, so that an office prints a day's batch in one job. Each
// fine's pages are what NoticePDF draws for it. Errors: those of
// NoticePDF, for the first notice that cannot be drawn; validation_failed
// for no notice or more than MaxBatchNotices.
func NoticesPDF(w io.Writer, docs []NoticeDoc) error {
	const op = "qr.NoticesPDF"
	if len(docs) == 0 || len(docs) > MaxBatchNotices {
		return &notices.Error{Code: notices.EValidation, Op: op, Message: "give 1 to 200 fine ids"}
	}
	ns := make([]*notice, len(docs))
	for i, d := range docs {
		n, err := prepare(d, op)
		if err != nil {
			return err
		}
		ns[i] = n
	}
	p := newPage(210, 297, "Avvisi di pagamento", docs[0].Fine.CreatedAt)
	for i, n := range ns {
		if i > 0 {
			p.AddPage()
		}
		n.drawPages(p)
	}
	return p.finish(w, op)
}
