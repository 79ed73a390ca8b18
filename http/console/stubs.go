package console

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (con *Console) notYet(c *gin.Context) { c.String(http.StatusNotImplemented, "not yet") }

func (con *Console) handleMergePage(c *gin.Context) { con.notYet(c) }
func (con *Console) handleMerge(c *gin.Context)     { con.notYet(c) }
