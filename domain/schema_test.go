package domain_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/assoc/contacts/domain"
)

// jsonSchema is the part of a JSON Schema the catalogue test checks.
type jsonSchema struct {
	Title      string                     `json:"title"`
	Version    int                        `json:"x-schema-version"`
	Required   []string                   `json:"required"`
	Properties map[string]json.RawMessage `json:"properties"`
	Defs       map[string]jsonSchema      `json:"$defs"`
}

// TestEveryEventTypeHasItsSchema fails when an event type lacks its JSON
// Schema in docs/schemas, or when a schema no longer matches the event's
// payload: its properties must be the payload's JSON members, and the
// required ones those always written (not omitempty), nested types too.
func TestEveryEventTypeHasItsSchema(t *testing.T) {
	files, _ := filepath.Glob("../docs/schemas/*.json")
	if len(files) != len(domain.EventTypes) {
		t.Errorf("docs/schemas holds %d schemas for %d event types", len(files), len(domain.EventTypes))
	}
	for _, name := range domain.EventTypes {
		raw, err := os.ReadFile(filepath.Join("../docs/schemas", name+".json"))
		if err != nil {
			t.Errorf("event type %s has no schema: %v", name, err)
			continue
		}
		var s jsonSchema
		if err := json.Unmarshal(raw, &s); err != nil {
			t.Errorf("schema of %s is not JSON: %v", name, err)
			continue
		}
		if s.Title != name || s.Version != domain.SchemaVersion(name) {
			t.Errorf("schema of %s: title %q, version %d; want %s, %d", name, s.Title, s.Version, name, domain.SchemaVersion(name))
		}
		e, ok := domain.NewEvent(name)
		if !ok {
			t.Fatalf("no Go type for %s", name)
		}
		checkSchema(t, name, s, reflect.TypeOf(e).Elem(), s.Defs)
	}
}

func checkSchema(t *testing.T, where string, s jsonSchema, typ reflect.Type, defs map[string]jsonSchema) {
	t.Helper()
	var members, required []string
	for f := range typ.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" || name == "-" {
			continue
		}
		members = append(members, name)
		if !strings.Contains(opts, "omitempty") {
			required = append(required, name)
		}
		// Nested payload types are described in $defs under their Go name.
		elem := f.Type
		if elem.Kind() == reflect.Slice {
			elem = elem.Elem()
		}
		if elem.Kind() == reflect.Struct {
			def, ok := defs[elem.Name()]
			if !ok {
				t.Errorf("%s.%s: no $defs/%s in the schema", where, name, elem.Name())
				continue
			}
			checkSchema(t, where+"."+name, def, elem, defs)
		}
	}
	var props []string
	for p := range s.Properties {
		props = append(props, p)
	}
	slices.Sort(members)
	slices.Sort(props)
	slices.Sort(required)
	got := slices.Clone(s.Required)
	slices.Sort(got)
	if !slices.Equal(members, props) {
		t.Errorf("%s: schema properties %v, payload members %v", where, props, members)
	}
	// Field's ID is omitempty (built-ins have none) yet always set on a
	// defined field: a schema may require more than the Go type writes
	// always, never less.
	for _, r := range required {
		if !slices.Contains(got, r) {
			t.Errorf("%s: %s is always written but not required by the schema", where, r)
		}
	}
	for _, r := range got {
		if !slices.Contains(members, r) {
			t.Errorf("%s: the schema requires %s, which the payload lacks", where, r)
		}
	}
}
