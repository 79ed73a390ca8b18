package console

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/apikeys"
	"github.com/assoc/contacts/domain"
)

// BenchmarkRenderArchivedPage renders the archived page of 1000 contacts,
// the template alone (no query): the page's own share of its time.
func BenchmarkRenderArchivedPage(b *testing.B) {
	con, err := New(func() Deps { return Deps{} }, nil)
	if err != nil {
		b.Fatal(err)
	}
	now := time.Now()
	items := make([]domain.ContactView, 1000)
	for i := range items {
		items[i] = domain.ContactView{ID: domain.NewID(), FirstName: "Hélène", LastName: fmt.Sprintf("Dupré %d", i),
			Email: fmt.Sprintf("helene.%d@example.org", i), ArchivedAt: &now, UpdatedAt: now}
	}
	view := archivedView{listView: newListView(english, Prefix+"archived", listRequest{}, domain.ContactPage{Items: items}, nil, archivedSortKeys),
		Total: 30000, Count: 1000}
	gin.SetMode(gin.ReleaseMode)
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		c, _ := gin.CreateTestContext(w)
		c.Request = httptest.NewRequest("GET", "/console/archived", nil)
		c.Set(ctxSession, apikeys.Session{Key: apikeys.Key{Role: apikeys.RoleAdmin}, CSRF: "x"})
		con.render(c, 200, "archived", page{Title: "Archived contacts", Data: view})
		if w.Code != 200 {
			b.Fatal(w.Code)
		}
	}
}
