package console

import (
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
)

// historyItem is one event of a contact's timeline, told in plain words.
type historyItem struct {
	Time    time.Time
	What    string
	Actor   string
	Command string
	// ImportID is the import that caused the event, when one did.
	ImportID string
	Changes  []changeItem
	// Related are the contacts the event ties this one to; Undo those a
	// merge absorbed and that can still be given back.
	Related []string
	Undo    []string
	Erased  bool
}

// changeItem is one field's change, old → new, by the field's label.
type changeItem struct {
	Label, Old, New string
}

// eventWords name the events in the timeline.
var eventWords = map[string]string{
	"ContactRegistered":  "Registered",
	"ContactUpdated":     "Profile updated",
	"ContactArchived":    "Archived",
	"ContactRestored":    "Restored",
	"ContactDeleted":     "Deleted for good",
	"ContactMerged":      "Merged into another contact",
	"ContactUnmerged":    "Given back by a merge",
	"MergeStarted":       "Merge started",
	"DuplicatesAbsorbed": "Absorbed duplicates",
	"DuplicateReleased":  "Duplicate given back",
}

// history reads the contact's timeline, newest first, and which merged
// duplicates can still be given back.
func (con *Console) history(c *gin.Context, v domain.ContactView, fields []domain.Field) ([]historyItem, error) {
	ctx, community := c.Request.Context(), mustSession(c).Key.CommunityID
	entries, err := con.deps().Contacts.History(ctx, community, v.ID)
	if err != nil {
		return nil, err
	}
	l := langOf(c)
	labels := fieldLabels(l, fields)
	actors := con.actorNames(c)
	out := make([]historyItem, 0, len(entries))
	undoable := map[string]bool{}
	for i := len(entries) - 1; i >= 0; i-- {
		e := entries[i]
		item := historyItem{Time: e.Time, What: l.T(wordOr(e.Type)), Actor: actorName(actors, e.Actor), Command: e.Command, Related: e.Related, Erased: e.Erased}
		if id, ok := strings.CutPrefix(e.Actor, "import:"); ok {
			item.ImportID = id
		}
		for _, ch := range e.Changes {
			label := labels[ch.Field]
			if label == "" {
				label = ch.Field
			}
			old, new := ch.Old, ch.New
			if ch.Field == domain.StatusField { // a status is a word of the page's language
				old, new = translateNonEmpty(l, old), translateNonEmpty(l, new)
			}
			item.Changes = append(item.Changes, changeItem{Label: label, Old: old, New: new})
		}
		if e.Type == "DuplicatesAbsorbed" && v.Status == string(domain.StatusActive) {
			for _, dup := range e.Related {
				if !undoable[dup] && con.stillMergedInto(c, community, dup, v.ID) {
					undoable[dup] = true
					item.Undo = append(item.Undo, dup)
				}
			}
		}
		out = append(out, item)
	}
	return out, nil
}

// stillMergedInto reports whether duplicate dup is merged into survivor
// now (an undone merge has given it back).
func (con *Console) stillMergedInto(c *gin.Context, community, dup, survivor string) bool {
	d, err := con.deps().Contacts.Contact(c.Request.Context(), community, dup, domain.Start)
	return err == nil && d.Status == string(domain.StatusMerged) && d.MergedInto != nil && *d.MergedInto == survivor
}

// actorNames names the community's keys by role ("admin key 01a2…"), so
// the timeline says who acted in words (revoked keys keep their ID).
func (con *Console) actorNames(c *gin.Context) map[string]string {
	names := map[string]string{}
	keys, err := con.deps().Keys.List(c.Request.Context(), mustSession(c).Key.CommunityID)
	if err != nil {
		return names
	}
	l := langOf(c)
	for _, k := range keys {
		names["key:"+k.ID] = l.T("%s key %s", l.T(string(k.Role)), shortID(k.ID))
	}
	return names
}

// actorName is how the timeline names an event's actor.
func actorName(names map[string]string, actor string) string {
	if name, ok := names[actor]; ok {
		return name
	}
	return actor
}

// shortID is enough of an ID to tell it from its neighbours.
func shortID(id string) string {
	if len(id) > 13 {
		return id[len(id)-12:]
	}
	return id
}

// translateNonEmpty translates a word, leaving "" empty.
func translateNonEmpty(l lang, word string) string {
	if word == "" {
		return ""
	}
	return l.T(word)
}

func wordOr(eventType string) string {
	if w, ok := eventWords[eventType]; ok {
		return w
	}
	return eventType
}

// fieldLabels maps field keys (and the status pseudo-field) to labels.
func fieldLabels(l lang, fields []domain.Field) map[string]string {
	labels := map[string]string{domain.StatusField: l.T("Status")}
	for _, f := range fields {
		labels[f.Key] = fieldLabel(l, f)
		if f.ID != "" {
			labels[f.ID] = f.Label
		}
	}
	return labels
}

// fieldLabel is a field's label: the built-ins' in the page's language.
func fieldLabel(l lang, f domain.Field) string {
	if domain.IsBuiltin(f.Key) {
		return l.T(f.Label)
	}
	return f.Label
}
