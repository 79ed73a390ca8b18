package console

import (
	"time"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// asOfLayout is how a datetime-local input writes an instant.
const asOfLayout = "2006-01-02T15:04"

// asOfView is the As of tab: the instant asked (in UTC) and the contact
// then (nil before it existed).
type asOfView struct {
	At     string
	Inputs []input
	Status string
}

// asOf reads the contact as it was at the instant asked (at=, UTC).
func (con *Console) asOf(c *gin.Context, v domain.ContactView, fields []domain.Field) (*asOfView, string, error) {
	raw := c.Query("at")
	out := &asOfView{At: raw}
	if raw == "" {
		out.At = time.Now().UTC().Format(asOfLayout)
		return out, "", nil
	}
	at, err := time.Parse(asOfLayout, raw)
	if err != nil {
		return out, langOf(c).T("Give a date and a time."), nil
	}
	then, err := con.deps().Contacts.AsOf(c.Request.Context(), mustSession(c).Key.CommunityID, v.ID, at.Add(59*time.Second))
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return out, langOf(c).T("The contact did not exist yet at that time."), nil
	}
	if err != nil {
		return nil, "", err
	}
	out.Inputs, out.Status = inputsOf(then, fields, nil), then.Status
	return out, "", nil
}
