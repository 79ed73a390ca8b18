package console

import (
	"context"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// maxSelected is the most contacts one action takes (the API's bulk cap).
const maxSelected = 1000

// bulkWorkers is how many contacts of one action are handled at once.
const bulkWorkers = 8

// bulkOutcome is what an action on many contacts did: how many it changed,
// the refusals by contact, and the last log position it appended (the next
// page read waits for it).
type bulkOutcome struct {
	Done    int
	Refused map[string]error
	Last    domain.Position
}

// runEach runs command on each contact (one refusal stops no other), as the
// API's bulk routes do, with the same domain commands.
func runEach(ctx context.Context, ids []string, command func(context.Context, string) (domain.Result, error)) bulkOutcome {
	out := bulkOutcome{Refused: map[string]error{}}
	var mu sync.Mutex
	next := make(chan string)
	var wg sync.WaitGroup
	for range min(bulkWorkers, len(ids)) {
		wg.Go(func() {
			for id := range next {
				res, err := command(ctx, id)
				mu.Lock()
				if err != nil {
					out.Refused[id] = err
				} else {
					out.Done++
					if res.Position.Compare(out.Last) > 0 {
						out.Last = res.Position
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, id := range ids {
		next <- id
	}
	close(next)
	wg.Wait()
	return out
}

// selectedIDs returns the contacts a form ticked (its "id" values), once
// each, and whether they are 1 to maxSelected.
func selectedIDs(c *gin.Context) ([]string, bool) {
	seen := map[string]bool{}
	var ids []string
	for _, id := range c.PostFormArray("id") {
		if domain.ValidID(id) && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, len(ids) > 0 && len(ids) <= maxSelected
}

// settle waits, briefly, until every read model shows the action's last
// event: the one rule of every command's answer, here before the redirect.
func (con *Console) settle(c *gin.Context, pos domain.Position) {
	if _, err := con.deps().Contacts.Settle(c.Request.Context(), pos); err != nil {
		con.logger.Warn("console: wait for the read models", "err", err)
	}
}
