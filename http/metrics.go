package http

import (
	"fmt"
	"net/http"
	"runtime"
	"strings"

	"github.com/gin-gonic/gin"
)

// handleMetrics serves the Prometheus text format: how far each read model
// lags behind the log, and a few process figures.
func (s *Server) handleMetrics(c *gin.Context) {
	var b strings.Builder
	if s.Services.Projections != nil {
		statuses, err := s.Services.Projections.Status(c.Request.Context())
		if err != nil {
			s.fail(c, err)
			return
		}
		b.WriteString("# HELP contacts_projection_lag_seconds Age of the oldest event a read model has not applied (0 when up to date).\n")
		b.WriteString("# TYPE contacts_projection_lag_seconds gauge\n")
		for _, st := range statuses {
			fmt.Fprintf(&b, "contacts_projection_lag_seconds{read_model=%q} %g\n", st.Name, st.LagSeconds)
		}
		b.WriteString("# HELP contacts_projection_behind 1 when a read model has events left to apply.\n")
		b.WriteString("# TYPE contacts_projection_behind gauge\n")
		for _, st := range statuses {
			behind := 0
			if st.Behind {
				behind = 1
			}
			fmt.Fprintf(&b, "contacts_projection_behind{read_model=%q} %d\n", st.Name, behind)
		}
		b.WriteString("# HELP contacts_projection_parked_events Events a read model could not apply and set aside (contacts parked list).\n")
		b.WriteString("# TYPE contacts_projection_parked_events gauge\n")
		for _, st := range statuses {
			fmt.Fprintf(&b, "contacts_projection_parked_events{read_model=%q} %d\n", st.Name, st.Parked)
		}
	}
	var mem runtime.MemStats
	runtime.ReadMemStats(&mem)
	b.WriteString("# TYPE go_goroutines gauge\n")
	fmt.Fprintf(&b, "go_goroutines %d\n", runtime.NumGoroutine())
	b.WriteString("# TYPE go_memstats_heap_inuse_bytes gauge\n")
	fmt.Fprintf(&b, "go_memstats_heap_inuse_bytes %d\n", mem.HeapInuse)
	c.Data(http.StatusOK, "text/plain; version=0.0.4; charset=utf-8", []byte(b.String()))
}
