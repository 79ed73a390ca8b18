package domain

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// CommunityStream names a community's stream (its creation and fields).
func CommunityStream(id string) string { return "community-" + id }

// Community is a community's state: its name and its profile fields.
type Community struct {
	ID      string
	Name    string
	Version int64
	// fields are the admin-defined fields in definition order.
	fields []Field
	// removed keeps removed definitions, so history can still label them.
	removed []Field
}

// Exists reports whether the community has been created.
func (c *Community) Exists() bool { return c.Version > 0 }

// Apply folds one event into the state.
func (c *Community) Apply(e Event, version int64) {
	c.Version = version
	switch e := e.(type) {
	case CommunityCreated:
		c.ID, c.Name = e.CommunityID, e.Name
	case FieldDefined:
		c.fields = append(c.fields, e.Field)
	case FieldRemoved:
		i := slices.IndexFunc(c.fields, func(f Field) bool { return f.ID == e.FieldID })
		if i >= 0 {
			c.removed = append(c.removed, c.fields[i])
			c.fields = slices.Delete(c.fields, i, i+1)
		}
	}
}

// Fields returns every field of the community: built-ins first, then the
// admin-defined ones in the order they were defined.
func (c *Community) Fields() []Field {
	return append(slices.Clone(BuiltinFields), c.fields...)
}

// Field returns the current field with that key.
func (c *Community) Field(key string) (Field, bool) {
	for _, f := range BuiltinFields {
		if f.Key == key {
			return f, true
		}
	}
	for _, f := range c.fields {
		if f.Key == key {
			return f, true
		}
	}
	return Field{}, false
}

// FieldByID returns a field, current or removed, by its ID.
func (c *Community) FieldByID(id string) (Field, bool) {
	for _, f := range append(slices.Clone(c.fields), c.removed...) {
		if f.ID == id {
			return f, true
		}
	}
	return Field{}, false
}

// CreateCommunity decides the creation of a community.
func CreateCommunity(id, name string) ([]Event, error) {
	name = strings.TrimSpace(name)
	if name == "" || utf8.RuneCountInString(name) > maxLabelLength {
		return nil, FieldError("name", "must be 1-%d characters", maxLabelLength)
	}
	if err := checkText("name", name, false, maxLabelLength); err != nil {
		return nil, err
	}
	return []Event{CommunityCreated{CommunityID: id, Name: name}}, nil
}

// DefineField decides the definition of a new field. Defining a field again
// exactly as it is changes nothing; a different definition under a key in
// use is refused (remove the field first).
func (c *Community) DefineField(f Field, newID string) ([]Event, error) {
	if !c.Exists() {
		return nil, Errorf(ENOTFOUND, "community not found")
	}
	f.Label = strings.TrimSpace(f.Label)
	for i := range f.Choices {
		f.Choices[i] = strings.TrimSpace(f.Choices[i])
	}
	if err := f.validateDefinition(); err != nil {
		return nil, err
	}
	if existing, ok := c.Field(f.Key); ok {
		if existing.Label == f.Label && existing.Type == f.Type && slices.Equal(existing.Choices, f.Choices) {
			return nil, nil
		}
		return nil, fieldErrorf(ECONFLICT, "key", "field %s exists with another definition; remove it first", f.Key)
	}
	f.ID = newID
	return []Event{FieldDefined{CommunityID: c.ID, Field: f}}, nil
}

// RemoveField decides the removal of an admin-defined field.
func (c *Community) RemoveField(key string) ([]Event, error) {
	if IsBuiltin(key) {
		return nil, FieldError("key", "%s is a built-in field and cannot be removed", key)
	}
	f, ok := c.Field(key)
	if !ok {
		return nil, Errorf(ENOTFOUND, "field %s not found", key)
	}
	return []Event{FieldRemoved{CommunityID: c.ID, FieldID: f.ID, Key: f.Key}}, nil
}
