package console

import (
	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// selectedIDs returns the contacts a form ticked (its "id" values), once
// each, and whether they are 1 to domain.MaxBulk.
func selectedIDs(c *gin.Context) ([]string, bool) {
	seen := map[string]bool{}
	var ids []string
	for _, id := range c.PostFormArray("id") {
		if domain.ValidID(id) && !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	return ids, len(ids) > 0 && len(ids) <= domain.MaxBulk
}

// settle waits, briefly, until every read model shows the action's last
// event: the one rule of every command's answer, here before the redirect.
func (con *Console) settle(c *gin.Context, pos domain.Position) {
	if _, err := con.deps().Contacts.Settle(c.Request.Context(), pos); err != nil {
		con.logger.Warn("console: wait for the read models", "err", err)
	}
}
