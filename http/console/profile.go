package console

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/http/errstatus"
)

// profileView is the profile page: the contact, its community's fields
// as inputs (with what was typed and the errors beside them), and the
// tab shown.
type profileView struct {
	Contact domain.ContactView
	Inputs  []input
	Tab     string
	// Conflict is set when someone else changed the contact since the
	// form was read: the form keeps what was typed, its version becomes
	// the current one ("save mine anyway"), and a link reloads theirs.
	Conflict bool
	Version  int64
	// History and AsOf are the other tabs' contents.
	History []historyItem
	AsOf    *asOfView
}

// Editable reports whether the profile can be changed (an active contact).
func (v profileView) Editable() bool { return v.Contact.Status == string(domain.StatusActive) }

// input is one field of the profile form.
type input struct {
	Field domain.Field
	// Kind is the HTML input type the field's type calls for.
	Kind  string
	Value string
	// Original is the value the form showed (the contact's, when read):
	// only the fields whose value differs from it are sent.
	Original string
	Error    string
}

// Name is the form name of the field's input.
func (in input) Name() string { return "f." + in.Field.Key }

// inputKinds maps field types to HTML input types.
var inputKinds = map[domain.FieldType]string{
	domain.FieldText: "text", domain.FieldEmail: "email", domain.FieldPhone: "tel",
	domain.FieldDate: "date", domain.FieldNumber: "number", domain.FieldChoice: "select",
}

// valueOf is the contact's value of field f.
func valueOf(v domain.ContactView, f domain.Field) string {
	switch f.Key {
	case domain.KeyEmail:
		return v.Email
	case domain.KeyFirstName:
		return v.FirstName
	case domain.KeyLastName:
		return v.LastName
	case domain.KeyExternalID:
		return v.ExternalID
	}
	return v.Fields[f.Key]
}

// inputsOf lays the fields out as inputs holding the contact's values,
// except those changed holds (what the person typed).
func inputsOf(v domain.ContactView, fields []domain.Field, changed map[string]string) []input {
	out := make([]input, 0, len(fields))
	for _, f := range fields {
		in := input{Field: f, Kind: inputKinds[f.Type], Value: valueOf(v, f)}
		in.Original = in.Value
		if typed, ok := changed[f.Key]; ok {
			in.Value = typed
		}
		out = append(out, in)
	}
	return out
}

// handleProfile shows a contact: its profile (a form for an admin), its
// history, or itself as of an instant.
func (con *Console) handleProfile(c *gin.Context) {
	ctx, s := c.Request.Context(), mustSession(c)
	deps := con.deps()
	v, err := deps.Contacts.Contact(ctx, s.Key.CommunityID, c.Param("id"), afterOf(c))
	if err != nil {
		con.contactFailed(c, err)
		return
	}
	fields, err := deps.Contacts.Fields(ctx, s.Key.CommunityID, afterOf(c))
	if err != nil {
		con.fail(c, err)
		return
	}
	view := profileView{Contact: v, Inputs: inputsOf(v, fields, nil), Tab: c.DefaultQuery("tab", "profile"), Version: v.Version}
	problem := ""
	switch view.Tab {
	case "history":
		view.History, err = con.history(c, v, fields)
	case "asof":
		view.AsOf, problem, err = con.asOf(c, v, fields)
	default:
		view.Tab = "profile"
	}
	if err != nil {
		con.fail(c, err)
		return
	}
	con.render(c, http.StatusOK, "profile", page{Title: "Profile", Nav: "contacts", Notice: noticeOf(c), Problem: problem, Data: view})
}

// contactFailed answers a contact that cannot be read: not found (or
// another community's: the same answer), or a failure.
func (con *Console) contactFailed(c *gin.Context, err error) {
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		con.render(c, http.StatusNotFound, "refused", page{Title: "Not found", Problem: langOf(c).T("This contact does not exist, or no longer does.")})
		return
	}
	con.fail(c, err)
}

// handleUpdateProfile runs UpdateContact with the fields the person
// changed (the form carries the values it showed), on the version the form
// was read at: a concurrent change is a conflict the page explains,
// keeping what was typed.
func (con *Console) handleUpdateProfile(c *gin.Context) {
	ctx, s := c.Request.Context(), mustSession(c)
	deps := con.deps()
	id := c.Param("id")
	fields, err := deps.Contacts.Fields(ctx, s.Key.CommunityID, domain.Start)
	if err != nil {
		con.fail(c, err)
		return
	}
	changed := map[string]string{}
	for _, f := range fields {
		if typed := c.PostForm("f." + f.Key); typed != c.PostForm("o."+f.Key) {
			changed[f.Key] = typed
		}
	}
	version, _ := strconv.ParseInt(c.PostForm("version"), 10, 64)
	res, err := deps.Commands.UpdateContact(ctx, callerOf(c), id, changed, max(version, 1))
	if err == nil {
		con.settle(c, res.Position)
		msg := "updated"
		if !res.Changed {
			msg = "unchanged"
		}
		c.Redirect(http.StatusSeeOther, withNotice(Prefix+"contacts/"+id, msg, -1, res.Position))
		return
	}
	con.showRefusedUpdate(c, id, fields, changed, err)
}

// showRefusedUpdate shows the form again, on the contact as it is now,
// with what was changed in it, and why the update was refused: beside the
// field at fault, or at the top.
func (con *Console) showRefusedUpdate(c *gin.Context, id string, fields []domain.Field, changed map[string]string, refusal error) {
	l := langOf(c)
	v, err := con.deps().Contacts.Contact(c.Request.Context(), mustSession(c).Key.CommunityID, id, domain.Start)
	if err != nil {
		con.contactFailed(c, err)
		return
	}
	view := profileView{Contact: v, Inputs: inputsOf(v, fields, changed), Tab: "profile", Version: v.Version}
	p := page{Title: "Profile", Nav: "contacts", Data: &view}
	status := http.StatusBadRequest
	var de *domain.Error
	switch code := domain.ErrorCode(refusal); {
	case code == domain.EPRECONDITION:
		view.Conflict, status = true, http.StatusPreconditionFailed
		p.Problem = l.T("Someone changed this contact since you opened it. Your typing is kept below: save it anyway, or reload their version.")
	case code == domain.EINTERNAL:
		con.fail(c, refusal)
		return
	case asDomainError(refusal, &de) && de.Field != "" && markField(view.Inputs, de.Field, l.Problem(refusal)):
		p.Problem = l.T("The profile was not updated: see the field marked below.")
		if code == domain.ECONFLICT {
			status = http.StatusConflict
		}
	default:
		p.Problem = l.Problem(refusal)
		status = errstatus.Of(code)
	}
	con.render(c, status, "profile", p)
}

// markField puts msg beside the input of field key; false when no input
// has that key.
func markField(inputs []input, key, msg string) bool {
	for i := range inputs {
		if inputs[i].Field.Key == key {
			inputs[i].Error = msg
			return true
		}
	}
	return false
}
