package http

import "github.com/gin-gonic/gin"

// Routes lists the server's registered routes, for tests.
func Routes(s *Server) gin.RoutesInfo { return s.engine.Routes() }
