package http

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"github.com/goccy/go-yaml"
)

// openAPIYAML is the OpenAPI 3.1 description of the API: a file, written
// by hand next to the routes, that the tests hold the server to (every
// request and answer of http's tests is validated against it, and
// TestOpenAPIDescribesEveryRoute compares it with the registered routes).
//
//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPI returns the document as written (YAML), for tools and tests.
func OpenAPI() []byte { return bytes.Clone(openAPIYAML) }

// openAPIJSON is the document as JSON, converted once: clients that read
// only JSON keep /openapi.json.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	raw, err := yaml.YAMLToJSON(openAPIYAML)
	if err != nil {
		return nil, fmt.Errorf("openapi.yaml to JSON: %w", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "", "  "); err != nil {
		return nil, fmt.Errorf("openapi.yaml to JSON: %w", err)
	}
	return out.Bytes(), nil
})

func (s *Server) handleOpenAPIJSON(c *gin.Context) {
	doc, err := openAPIJSON()
	if err != nil {
		s.fail(c, err) // a broken file: TestOpenAPIDocument fails first
		return
	}
	c.Data(http.StatusOK, "application/json", doc)
}

func (s *Server) handleOpenAPIYAML(c *gin.Context) {
	c.Data(http.StatusOK, "application/yaml", openAPIYAML)
}
