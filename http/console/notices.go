package console

import (
	"net/url"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// notices are the messages a page shows about the action that led to it,
// named in its address (msg=, with n= for a count): a fixed set, so an
// address can never make the page say something else.
var notices = map[string]string{
	"archived":  "%d archived.",
	"restored":  "%d restored.",
	"deleted":   "%d deleted for good.",
	"refused":   "%d could not be changed: someone changed them meanwhile, or they are no longer there.",
	"updated":   "Profile updated.",
	"unchanged": "Nothing to update: the profile already holds these values.",
	"merged":    "Contacts merged.",
	"unmerged":  "Merge undone: the duplicate is back.",
	"field":     "Field added.",
	"removed":   "Field removed.",
	"revoked":   "Key revoked.",
	"imported":  "Import applied. Its report stays at this address.",
	"reverted":  "Import reverted: the contacts it changed are back as they were (where no one changed them since).",
	"none":      "Select at least one contact first.",
}

// noticeOf is the translated message the request's address names.
func noticeOf(c *gin.Context) string {
	format, ok := notices[c.Query("msg")]
	if !ok {
		return ""
	}
	l := langOf(c)
	if n, err := strconv.Atoi(c.Query("n")); err == nil {
		return l.T(format, n)
	}
	return l.T(format)
}

// withNotice returns target with the notice msg (count n, when >= 0) and,
// when pos is past the start, after= so the page waits for the read model
// to show the action.
func withNotice(target, msg string, n int, pos domain.Position) string {
	u, err := url.Parse(target)
	if err != nil {
		return Prefix
	}
	q := u.Query()
	q.Del("cursor")
	q.Del("back")
	q.Set("msg", msg)
	if n >= 0 {
		q.Set("n", strconv.Itoa(n))
	} else {
		q.Del("n")
	}
	if !pos.IsStart() {
		q.Set("after", pos.String())
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// afterOf is the position a page read waits for (the address's after=).
func afterOf(c *gin.Context) domain.Position {
	pos, err := domain.ParsePosition(c.Query("after"))
	if err != nil {
		return domain.Start
	}
	return pos
}
