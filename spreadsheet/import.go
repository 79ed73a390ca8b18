package spreadsheet

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/xlsx"
)

// Import reads the workbook, matches each row to a contact, decides what
// it changes and, unless it is a dry run, applies it; it stores and returns
// the report (its rows stay in the store: see PGReports). A file refused
// whole returns an EINVALID error naming "file" and changes nothing; a bad
// row is reported and the others go on.
//
// At most MaxImports imports read and match at once; another waits its
// turn up to ImportWait, then is refused with EUNAVAILABLE. When ctx ends
// (the client left), a dry run stops at once and leaves nothing; so does
// an import that has applied no row yet. An import applying its rows stops
// at a row boundary: the rows applied stay applied, the rows left are
// rejected as not applied, and the report, stored, says where it stopped
// (StoppedAtRow) and why; Import returns it with the error.
func (s *Service) Import(ctx context.Context, req domain.ImportRequest) (*domain.ImportReport, error) {
	endTurn, err := s.takeTurn(ctx)
	if err != nil {
		return nil, err
	}
	defer endTurn()
	if req.Data == nil && req.Upload != nil {
		if req.FileName, req.Data, err = req.Upload(); err != nil {
			return nil, err
		}
	}
	community, err := domain.LoadCommunity(ctx, s.Handler.Store, req.Caller.CommunityID)
	if err != nil {
		return nil, err
	}
	fresh, err := s.fresh(ctx)
	if err != nil {
		return nil, err
	}
	rep := &domain.ImportReport{
		ID: domain.NewID(), CommunityID: req.Caller.CommunityID, DryRun: req.DryRun, FileName: req.FileName,
		Actor: req.Caller.Actor, CreatedAt: s.now(), Columns: map[string]string{},
	}
	caller := req.Caller
	caller.CorrelationID = rep.ID
	keys, err := s.Reports.newKeyStage(ctx)
	if err != nil {
		return nil, err
	}
	defer keys.close()
	if err := keys.hold(ctx, rep.ID); err != nil {
		return nil, err
	}
	if err := s.Reports.beginImport(ctx, rep); err != nil {
		return nil, err
	}
	// Whatever happens, the import is finished (or discarded), even if the
	// caller has left.
	keep := context.WithoutCancel(ctx)
	// It runs for as long as its caller stays and it holds the import.
	ctx, stop := context.WithCancelCause(ctx)
	var holding sync.WaitGroup
	holding.Go(func() { keys.keepHold(ctx, rep.ID, stop) })
	defer func() { stop(nil); holding.Wait() }()
	h, err := s.readAndMatch(ctx, req.Data, community, fresh, rep, keys)
	endTurn() // the file is read: the next import may read its own
	if err == nil {
		err = s.checkAcrossRows(ctx, rep.ID, h, keys)
	}
	if err == nil && req.DryRun {
		err = ctx.Err() // a dry run whose caller left is of no use to anyone
	}
	if err != nil {
		return nil, errors.Join(err, s.Reports.discardImport(keep, rep.ID)) // nothing written but its rows
	}
	rep.UnknownColumns = h.unknown
	for _, c := range h.columns {
		rep.Columns[c.header] = c.field.Key
	}
	if err := s.Reports.saveSummary(ctx, rep); err != nil {
		return nil, errors.Join(err, s.Reports.discardImport(keep, rep.ID))
	}
	var (
		last       domain.Position
		unrecorded []*rowPlan
	)
	if !req.DryRun {
		last, unrecorded, err = s.applyRows(ctx, caller, rep.ID, h)
	}
	if cause := context.Cause(ctx); err != nil && errors.Is(cause, errLostHold) {
		err = cause
	}
	rep.Position = last.String()
	counts, stoppedAt, ferr := s.Reports.finishRows(keep, rep.ID, req.DryRun, stopReason(err), unrecorded)
	rep.Counts = counts
	switch {
	case ferr != nil:
	case stoppedAt > 0:
		rep.StoppedAtRow, rep.StoppedReason = stoppedAt, stopReason(err)
	case callerLeft(err) && len(unrecorded) == 0:
		err = nil // the caller left once every row was applied
	}
	if ferr == nil {
		ferr = s.Reports.finishImport(keep, rep)
	}
	if ferr != nil {
		return nil, errors.Join(err, ferr)
	}
	if err != nil {
		return rep, fmt.Errorf("import %s stopped early: %w", rep.ID, err)
	}
	return rep, nil
}

// callerLeft reports whether err is the caller's leaving (its context
// ended), not a failure.
func callerLeft(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// stopReason says why an import stopped early ("" when it did not).
func stopReason(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, context.Canceled):
		return "the client left"
	case errors.Is(err, context.DeadlineExceeded):
		return "it ran out of time"
	case errors.Is(err, errLostHold):
		return "it lost its connection to the database"
	}
	return domain.ErrorMessage(err)
}

// readAndMatch reads the workbook and matches its rows as they come: the
// sheet's XML is read on one core while the rows read so far are matched
// against the store and the read model on the others (in turn, the two
// took ~3 s and ~5 s for 100,000 rows). Each row, once decided, is staged
// in the store and let go. The rows' own errors are on them; an error
// returned refuses the file (or the store failed) and nothing was written
// but staged rows.
func (s *Service) readAndMatch(ctx context.Context, data []byte, community *domain.Community, fresh bool, rep *domain.ImportReport, keys *keyStage) (header, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var h header // set by the reader before it sends any row
	rows := make(chan *rowPlan, 1024)
	readErr := make(chan error, 1)
	flight := newRowsInFlight()
	go func() {
		defer close(rows)
		readErr <- fileRefused(xlsx.StreamWorkbook(ctx, data, func(name string, cells []string) error {
			var err error
			h, err = matchHeader(cells, community.Fields())
			rep.Sheet = name
			return err
		}, func(r xlsx.Row, formulas []string) error {
			p := parseRow(r, formulas, h)
			if err := flight.take(ctx, p); err != nil {
				return err
			}
			select {
			case rows <- p:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}))
	}()

	var once sync.Once
	var stopErr error
	fail := func(err error) { once.Do(func() { stopErr = err; cancel() }) }

	// The stager writes decided rows in batches of rowsPage (or of
	// batchWeight, for heavy rows).
	decided := make(chan *rowPlan, rowsPage)
	staged := make(chan struct{})
	go func() {
		defer close(staged)
		batch := make([]*rowPlan, 0, rowsPage)
		var weight int64
		flush := func() {
			if len(batch) > 0 && ctx.Err() == nil {
				if err := s.Reports.stageRows(ctx, rep.ID, rep.DryRun, batch); err != nil {
					fail(err)
				} else if err := keys.add(ctx, batch); err != nil {
					fail(err)
				}
			}
			for _, p := range batch {
				flight.give(p)
			}
			clear(batch)
			batch, weight = batch[:0], 0
		}
		for p := range decided {
			batch, weight = append(batch, p), weight+p.weight
			if len(batch) == rowsPage || weight >= batchWeight {
				flush()
			}
		}
		flush()
	}()

	work := make(chan *rowPlan, 256)
	var wg sync.WaitGroup
	for range s.workers() {
		wg.Go(func() {
			for p := range work {
				if ctx.Err() != nil {
					continue
				}
				if err := s.match(ctx, community.ID, p); err != nil {
					fail(err)
					continue
				}
				// Decide now, while the contact is at hand.
				if len(p.errs) == 0 {
					p.decide(community, h)
				}
				p.shed()
				decided <- p
			}
		})
	}
	var batch []*rowPlan
	var weight int64
	flush := func() {
		if ctx.Err() == nil {
			if err := s.settleUnchanged(ctx, community.ID, batch); err != nil {
				fail(err)
			}
		}
		for _, p := range batch {
			if p.done {
				decided <- p
			} else {
				work <- p
			}
		}
		batch, weight = batch[:0], 0
	}
	for p := range rows {
		switch {
		case len(p.errs) > 0:
			p.shed()
			decided <- p
		case fresh && p.id != "":
			batch, weight = append(batch, p), weight+p.weight
			if len(batch) == fastBatch || weight >= batchWeight {
				flush()
			}
		default:
			work <- p
		}
	}
	if len(batch) > 0 {
		flush()
	}
	close(work)
	wg.Wait()
	close(decided)
	<-staged
	if stopErr != nil {
		return h, stopErr
	}
	if err := <-readErr; err != nil {
		return h, err
	}
	return h, ctx.Err()
}

// checkAcrossRows rejects the rows that claim the same contact ID, email
// or external ID as another row of the file (which one should win is a
// guess, so neither does), then the rows matched to the same contact as
// another (by different keys: one by ID, one by external ID), which would
// let the last one win silently.
func (s *Service) checkAcrossRows(ctx context.Context, importID string, h header, keys *keyStage) error {
	shared, err := keys.shared(ctx)
	if err != nil {
		return err
	}
	rejected := map[int][]domain.CellError{}
	for _, k := range shared {
		col := h.columns[h.byKey[k.kind]]
		for _, n := range k.rows {
			rejected[n] = append(rejected[n], domain.CellError{Cell: xlsx.CellName(col.index, n), Column: col.header, Field: k.kind,
				Reason: fmt.Sprintf("%q is also in row %s: each contact once per file", k.key, otherRows(k.rows, n))})
		}
	}
	if err := s.Reports.rejectRows(ctx, importID, rejected); err != nil {
		return err
	}
	shared, err = s.Reports.sharedContacts(ctx, importID)
	if err != nil {
		return err
	}
	rejected = map[int][]domain.CellError{}
	for _, k := range shared {
		for _, n := range k.rows {
			rejected[n] = append(rejected[n], domain.CellError{
				Reason: fmt.Sprintf("contact %s is also matched by row %s: each contact once per file", k.key, otherRows(k.rows, n))})
		}
	}
	return s.Reports.rejectRows(ctx, importID, rejected)
}

// applyRows applies the rows to apply, a page at a time and in sheet
// order, and returns the position of the last event. An error stops it
// (the store is down, the caller left); the rows not applied stay pending.
// Rows are handed to the workers in order and none starts once the caller
// has left, so the rows applied then are the ones before a row. When writing a page's
// outcomes fails, that page is returned, to be written again: its rows
// were applied.
func (s *Service) applyRows(ctx context.Context, caller domain.Caller, importID string, h header) (domain.Position, []*rowPlan, error) {
	var last domain.Position
	for after := 0; ; {
		page, err := s.Reports.pendingRows(ctx, importID, after)
		if err != nil || len(page) == 0 {
			return last, nil, err
		}
		err = each(ctx, s.workers(), page, func(p *rowPlan) error {
			// A row boundary: once the caller has left, no row starts.
			// A row started goes to its end (its command is one append,
			// and the report must say for sure whether it was applied).
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := s.apply(context.WithoutCancel(ctx), caller, importID, p, h); err != nil {
				return err
			}
			p.done = true
			return nil
		})
		for _, p := range page {
			if p.done && p.position.Compare(last) > 0 {
				last = p.position
			}
		}
		if rerr := s.Reports.appliedRows(context.WithoutCancel(ctx), importID, page); rerr != nil {
			return last, page, errors.Join(err, rerr)
		}
		if err != nil {
			return last, nil, err
		}
		after = page[len(page)-1].number
	}
}

// each runs fn on every item with at most workers at once. fn records an
// item's own failures on the item; an error it returns (the store is down,
// the caller left) stops the run.
func each[T any](ctx context.Context, workers int, items []T, fn func(T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	work := make(chan T)
	var wg sync.WaitGroup
	var once sync.Once
	var first error
	for range min(workers, max(len(items), 1)) {
		wg.Go(func() {
			for p := range work {
				if err := fn(p); err != nil {
					once.Do(func() { first = err; cancel() })
				}
			}
		})
	}
	for _, p := range items {
		if ctx.Err() != nil {
			break
		}
		work <- p
	}
	close(work)
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}

// match finds the row's contact: by its contact ID, then by the contact
// holding its email, then its external ID (the key reservations say who).
// Keys pointing at different contacts make the row ambiguous. A key the
// matched contact already has needs no lookup: re-importing an export
// costs one read per row.
func (s *Service) match(ctx context.Context, communityID string, p *rowPlan) error {
	if p.id == "" && p.email == "" && p.externalID == "" {
		// Registered, it could never be matched again: importing the same
		// file twice would register it twice.
		p.reject(domain.CellError{Reason: "no contact ID, email or external ID: the row cannot be matched (a second import would register it again)"})
		return nil
	}
	if p.id != "" {
		c, err := domain.LoadContact(ctx, s.Handler.Store, communityID, p.id)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			p.reject(domain.CellError{Field: idColumn, Reason: fmt.Sprintf("no contact has the ID %s", p.id)})
			return nil
		}
		if err != nil {
			return err
		}
		p.contact = c
	}
	for _, key := range []string{domain.KeyEmail, domain.KeyExternalID} {
		v := p.values[key]
		if v == "" || (p.contact != nil && sameKey(key, p.contact.Value(key), v)) {
			continue
		}
		holder, err := s.Handler.KeyHolder(ctx, communityID, key, v)
		if err != nil {
			return err
		}
		switch {
		case holder == "":
		case p.contact == nil:
			c, err := domain.LoadContact(ctx, s.Handler.Store, communityID, holder)
			if err != nil {
				return err
			}
			p.contact = c
		case holder != p.contact.ID:
			p.reject(domain.CellError{Field: key, Reason: fmt.Sprintf("ambiguous: the row matches contact %s, but its %s belongs to contact %s", p.contact.ID, key, holder)})
			return nil
		}
	}
	return nil
}

func sameKey(kind, a, b string) bool {
	if kind == domain.KeyEmail {
		return equalFold(a, b)
	}
	return a == b
}

// decide works out what the row does, with the domain's own decisions (the
// same rules as the JSON API), without writing anything.
func (p *rowPlan) decide(community *domain.Community, h header) {
	c := p.contact
	if c == nil {
		p.newID = domain.NewID()
		values := map[string]string{}
		for k, v := range p.values {
			if v != "" {
				values[k] = v // #CLEAR on a new contact: nothing to clear
			}
		}
		p.values = values
		if _, err := domain.RegisterContact(community, p.newID, values); err != nil {
			p.domainReject(err, h)
			return
		}
		p.outcome, p.contactID = domain.RowCreated, p.newID
		return
	}
	p.contactID = c.ID
	switch c.Status {
	case domain.StatusArchived:
		p.reject(domain.CellError{Reason: "archived: restore it first"})
		return
	case domain.StatusMerged:
		p.reject(domain.CellError{Reason: fmt.Sprintf("merged into contact %s: edit that one", c.MergedInto)})
		return
	case domain.StatusDeleted:
		p.reject(domain.CellError{Reason: "deleted"})
		return
	}
	events, err := c.Update(community, p.values)
	if err != nil {
		p.domainReject(err, h)
		return
	}
	p.outcome, p.version, p.contact = domain.RowUnchanged, c.Version, nil // what apply needs is the ID and version
	for _, e := range events {
		if u, ok := e.(domain.ContactUpdated); ok {
			for _, ch := range u.Changes {
				p.changes = append(p.changes, domain.FieldChange{Field: ch.Field, Old: ch.Old, New: ch.New})
			}
		}
	}
	if len(p.changes) > 0 {
		p.outcome = domain.RowUpdated
	}
}

// apply issues the row's command. The update is pinned to the version it
// was decided on, so the report says exactly what changed; a contact
// changed meanwhile rejects the row (import the file again).
func (s *Service) apply(ctx context.Context, caller domain.Caller, importID string, p *rowPlan, h header) error {
	caller.CausationID = fmt.Sprintf("import:%s:row:%d", importID, p.number)
	var res domain.Result
	var err error
	switch p.outcome {
	case domain.RowCreated:
		res, err = s.Handler.RegisterContactWithID(ctx, caller, p.newID, maps.Clone(p.values))
	case domain.RowUpdated:
		res, err = s.Handler.UpdateContact(ctx, caller, p.contactID, p.values, p.version)
	default:
		return nil
	}
	switch code := domain.ErrorCode(err); {
	case err == nil:
		p.version, p.position = res.Version, res.Position
	case code == domain.EINTERNAL || code == domain.EUNAVAILABLE || ctx.Err() != nil:
		return err // not the row's fault: the import stops
	default:
		p.domainReject(err, h)
	}
	return nil
}

// result is the row's outcome for the report.
func (p *rowPlan) result() domain.ImportRow {
	if len(p.errs) > 0 {
		return domain.ImportRow{Row: p.number, Outcome: domain.RowRejected, ContactID: p.contactID, Errors: p.errs}
	}
	o := domain.ImportRow{Row: p.number, Outcome: p.outcome, ContactID: p.contactID, Changes: p.changes}
	if p.outcome != domain.RowUnchanged {
		o.Version = p.version
	}
	return o
}
