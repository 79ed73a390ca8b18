package spreadsheet

import (
	"context"
	"fmt"

	"github.com/assoc/contacts/domain"
)

// RevertImport undoes an import with new events: each contact it updated gets
// its previous values back, and each contact it created is archived (not
// deleted: deleting erases for good, and the admin may want some of them;
// the archived list shows them for a delete). A contact changed since the
// import (its version moved) is skipped and reported, never overwritten.
// The revert's events carry the import's ID as correlation, and the
// revert's own ID as causation. A dry run, or an import reverted already,
// cannot be reverted (ECONFLICT).
func (s *Service) RevertImport(ctx context.Context, caller domain.Caller, importID string) (*domain.ImportReport, error) {
	rep, err := s.Reports.Summary(ctx, caller.CommunityID, importID)
	if err != nil {
		return nil, err
	}
	if rep.DryRun {
		return nil, domain.Errorf(domain.ECONFLICT, "import %s was a dry run: it changed nothing to revert", importID)
	}
	if rep.Revert != nil {
		return nil, domain.Errorf(domain.ECONFLICT, "import %s was reverted already", importID)
	}
	rev := &domain.ImportRevert{ID: domain.NewID(), RevertedAt: s.now(), Actor: caller.Actor, Contacts: []domain.RevertOutcome{}}
	caller.CorrelationID, caller.CausationID = importID, "revert:"+rev.ID
	var todo []*revertPlan
	err = s.Reports.EachRow(ctx, importID, func(o domain.ImportRow) error {
		if o.Outcome == domain.RowCreated || o.Outcome == domain.RowUpdated {
			todo = append(todo, &revertPlan{row: o})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = inOrder(ctx, s.workers(), len(todo), func(i int) error { return s.revertOne(ctx, caller, todo[i]) })
	if err != nil {
		return nil, err
	}
	var last domain.Position
	for _, p := range todo {
		rev.Contacts = append(rev.Contacts, p.out)
		if p.pos.Compare(last) > 0 {
			last = p.pos
		}
		switch p.out.Outcome {
		case "reverted":
			rev.Reverted++
		case "archived":
			rev.Archived++
		default:
			rev.Skipped++
		}
	}
	rev.Position = last.String()
	if err := s.Reports.SaveRevert(context.WithoutCancel(ctx), caller.CommunityID, importID, rev); err != nil {
		return nil, err
	}
	rep.Revert = rev
	return rep, nil
}

type revertPlan struct {
	row domain.ImportRow
	out domain.RevertOutcome
	pos domain.Position
}

// revertOne undoes the import's change to one contact, if it is still the
// contact's last change.
func (s *Service) revertOne(ctx context.Context, caller domain.Caller, p *revertPlan) error {
	o := p.row
	p.out = domain.RevertOutcome{Row: o.Row, ContactID: o.ContactID, Outcome: "skipped"}
	c, err := domain.LoadContact(ctx, s.Handler.Store, caller.CommunityID, o.ContactID)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		p.out.Reason = "the contact no longer exists"
		return nil
	}
	if err != nil {
		return err
	}
	if c.Version != o.Version {
		p.out.Reason = fmt.Sprintf("changed since the import (version %d, the import left %d)", c.Version, o.Version)
		return nil
	}
	var res domain.Result
	if o.Outcome == domain.RowCreated {
		res, err = s.Handler.ArchiveContact(ctx, caller, c.ID)
		p.out.Outcome = "archived"
	} else {
		old := map[string]string{}
		for _, ch := range o.Changes {
			old[ch.Field] = ch.Old
		}
		res, err = s.Handler.UpdateContact(ctx, caller, c.ID, old, c.Version)
		p.out.Outcome = "reverted"
	}
	if code := domain.ErrorCode(err); code == domain.EINTERNAL || code == domain.EUNAVAILABLE {
		return err
	}
	if err != nil {
		p.out.Outcome, p.out.Reason = "skipped", domain.ErrorMessage(err)
	}
	p.pos = res.Position
	return nil
}
