package spreadsheet

import (
	"context"

	"golang.org/x/sync/errgroup"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/xlsx"
)

// pipeline reads an import's workbook and decides its rows as they come,
// in stages of one errgroup: the sheet's XML is read on one core while
// the rows read so far are matched against the store and the read model
// on the others (in turn, the two took ~3 s and ~5 s for 100,000 rows),
// and decided rows are staged in the store in batches and let go:
//
//	read → route (the read model settles unchanged rows) → match and
//	decide (Service.Workers at once) → stage
//
// The first stage to fail stops the others; a row's own faults are on
// the row, never a stage's error.
type pipeline struct {
	s         *Service
	community *domain.Community
	caughtUp  bool // the read model has applied the whole log (see fastpath.go)
	rep       *domain.ImportReport
	keys      Run
	flight    rowsInFlight
	h         header // set by read before it sends any row
}

// rowsPage is how many decided rows the stager writes at once.
const rowsPage = 1000

// readAndMatch runs the pipeline over data. An error returned refuses the
// file (or the store failed, or ctx ended) and nothing was written but
// staged rows.
func (s *Service) readAndMatch(ctx context.Context, data []byte, community *domain.Community, caughtUp bool, rep *domain.ImportReport, keys Run) (header, error) {
	p := &pipeline{s: s, community: community, caughtUp: caughtUp, rep: rep, keys: keys, flight: newRowsInFlight()}
	g, gctx := errgroup.WithContext(ctx)
	read := make(chan *sheetRow, 1024)
	decided := make(chan *DecidedRow, rowsPage)
	g.Go(func() error {
		defer close(read)
		return p.read(gctx, data, read)
	})
	g.Go(func() error {
		defer close(decided)
		return p.matchAll(gctx, read, decided)
	})
	g.Go(func() error { return p.stage(gctx, decided) })
	if err := g.Wait(); err != nil {
		return p.h, err
	}
	return p.h, ctx.Err()
}

// read streams the sheet: its header matched to the community's fields,
// then each row parsed, once the rows in flight leave it room.
func (p *pipeline) read(ctx context.Context, data []byte, out chan<- *sheetRow) error {
	return fileRefused(xlsx.StreamWorkbook(ctx, data, func(name string, cells []string) error {
		var err error
		p.h, err = matchHeader(cells, p.community.Fields())
		p.rep.Sheet = name
		return err
	}, func(r xlsx.Row, formulas []string) error {
		row := parseRow(r, formulas, p.h)
		if err := p.flight.take(ctx, row); err != nil {
			return err
		}
		return send(ctx, out, row)
	}))
}

// matchAll routes the rows read, and matches and decides those that need
// it with Service.Workers at once (each is a few round trips to the store).
func (p *pipeline) matchAll(ctx context.Context, read <-chan *sheetRow, decided chan<- *DecidedRow) error {
	g, ctx := errgroup.WithContext(ctx)
	toMatch := make(chan *sheetRow, 256)
	g.Go(func() error {
		defer close(toMatch)
		return p.route(ctx, read, toMatch, decided)
	})
	for range p.s.workers() {
		g.Go(func() error { return p.match(ctx, toMatch, decided) })
	}
	return g.Wait()
}

// route decides the rows whose cells are wrong (rejected), lets the read
// model settle, a batch at a time, the rows that name their contact by ID
// when it may be trusted, and sends the others to be matched.
func (p *pipeline) route(ctx context.Context, read <-chan *sheetRow, toMatch chan<- *sheetRow, decided chan<- *DecidedRow) error {
	var batch []*sheetRow
	var weight int64
	for r := range read {
		var err error
		switch {
		case len(r.errs) > 0:
			err = send(ctx, decided, rejected(r, ""))
		case p.caughtUp && r.keys.ID != "":
			batch, weight = append(batch, r), weight+r.weight
			if len(batch) == fastBatch || weight >= batchWeight {
				err = p.settle(ctx, batch, toMatch, decided)
				batch, weight = batch[:0], 0
			}
		default:
			err = send(ctx, toMatch, r)
		}
		if err != nil {
			return err
		}
	}
	if len(batch) > 0 {
		return p.settle(ctx, batch, toMatch, decided)
	}
	return nil
}

// settle decides the rows of batch the read model shows unchanged, and
// sends the others to be matched.
func (p *pipeline) settle(ctx context.Context, batch []*sheetRow, toMatch chan<- *sheetRow, decided chan<- *DecidedRow) error {
	settled, err := p.s.settleUnchanged(ctx, p.community.ID, batch)
	if err != nil {
		return err
	}
	for i, r := range batch {
		if settled[i] != nil {
			err = send(ctx, decided, settled[i])
		} else {
			err = send(ctx, toMatch, r)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// match matches each row to its contact and decides it, while the
// contact is at hand.
func (p *pipeline) match(ctx context.Context, toMatch <-chan *sheetRow, decided chan<- *DecidedRow) error {
	for r := range toMatch {
		m, reject, err := p.s.match(ctx, p.community.ID, r)
		if err != nil {
			return err
		}
		var d *DecidedRow
		if reject != nil {
			d = rejected(r, "", *reject)
		} else {
			d = decide(p.community, p.h, m)
		}
		if err := send(ctx, decided, d); err != nil {
			return err
		}
	}
	return nil
}

// stage writes decided rows, with their keys, in batches of rowsPage (or
// of batchWeight, for heavy rows), and lets them go.
func (p *pipeline) stage(ctx context.Context, decided <-chan *DecidedRow) error {
	batch := make([]*DecidedRow, 0, rowsPage)
	var weight int64
	for d := range decided {
		batch, weight = append(batch, d), weight+d.weight
		if len(batch) == rowsPage || weight >= batchWeight {
			if err := p.stageBatch(ctx, batch); err != nil {
				return err
			}
			batch, weight = batch[:0], 0
		}
	}
	return p.stageBatch(ctx, batch)
}

func (p *pipeline) stageBatch(ctx context.Context, batch []*DecidedRow) error {
	if len(batch) == 0 {
		return nil
	}
	if err := p.s.Reports.StageRows(ctx, p.rep.ID, p.rep.DryRun, batch); err != nil {
		return err
	}
	if err := p.keys.AddKeys(ctx, batch); err != nil {
		return err
	}
	for _, d := range batch {
		p.flight.give(d)
	}
	clear(batch)
	return nil
}

// send sends v on ch, unless ctx ends first (a later stage stopped).
func send[T any](ctx context.Context, ch chan<- T, v T) error {
	select {
	case ch <- v:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
