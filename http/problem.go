package http

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// problem is an RFC 9457 problem details body. Field names the input at fault
// when there is one.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Field  string `json:"field,omitempty"`
}

// writeProblem answers with an application/problem+json body and stops the
// handler chain.
func writeProblem(c *gin.Context, status int, detail, field, code string) {
	p := problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Field: field}
	if code != "" {
		p.Type = "https://contacts.invalid/problems/" + code
	}
	c.Header("Content-Type", "application/problem+json")
	c.AbortWithStatusJSON(status, p)
}
