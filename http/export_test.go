package http

import (
	"strings"

	"github.com/gin-gonic/gin"
)

// Routes lists the server's registered routes, for tests.
// Routes are the API's routes: the console's pages (and / that leads a
// browser to them) are HTML, not part of the API's document.
func Routes(s *Server) gin.RoutesInfo {
	var api gin.RoutesInfo
	for _, r := range s.engine.Routes() {
		if r.Path != "/" && !strings.HasPrefix(r.Path, "/console/") {
			api = append(api, r)
		}
	}
	return api
}
