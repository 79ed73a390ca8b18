package console

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

func (con *Console) notYet(c *gin.Context) { c.String(http.StatusNotImplemented, "not yet") }

func (con *Console) handleMergePage(c *gin.Context)   { con.notYet(c) }
func (con *Console) handleMerge(c *gin.Context)       { con.notYet(c) }
func (con *Console) handleFields(c *gin.Context)      { con.notYet(c) }
func (con *Console) handleDefineField(c *gin.Context) { con.notYet(c) }
func (con *Console) handleRemoveField(c *gin.Context) { con.notYet(c) }
func (con *Console) handleKeys(c *gin.Context)        { con.notYet(c) }
func (con *Console) handleCreateKey(c *gin.Context)   { con.notYet(c) }
func (con *Console) handleRevokeKey(c *gin.Context)   { con.notYet(c) }
