package console

import (
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/http/errstatus"
)

// fieldTypes are the types a field can have, in the add form's order.
var fieldTypes = []domain.FieldType{domain.FieldText, domain.FieldEmail, domain.FieldPhone, domain.FieldDate, domain.FieldNumber, domain.FieldChoice}

// fieldsView is the fields page: the community's fields, and the add
// form with what was typed and the error beside its input.
type fieldsView struct {
	Builtin, Custom []domain.Field
	Types           []domain.FieldType
	Form            fieldForm
}

// fieldForm is the add form's content.
type fieldForm struct {
	Label, Key, Type, Choices string
	// Errors are by input name (label, key, type, choices).
	Errors map[string]string
}

// handleFields lists the community's fields, built-ins first, then the
// community's own in the page's collation.
func (con *Console) handleFields(c *gin.Context) {
	con.showFields(c, http.StatusOK, fieldForm{Type: string(domain.FieldText)}, "")
}

func (con *Console) showFields(c *gin.Context, status int, form fieldForm, problem string) {
	fields, err := con.deps().Contacts.Fields(c.Request.Context(), mustSession(c).Key.CommunityID, afterOf(c))
	if err != nil {
		con.fail(c, err)
		return
	}
	l := langOf(c)
	view := fieldsView{Types: fieldTypes, Form: form}
	for _, f := range fields {
		if domain.IsBuiltin(f.Key) {
			view.Builtin = append(view.Builtin, f)
		} else {
			view.Custom = append(view.Custom, f)
		}
	}
	sortTexts(l, view.Custom, func(f domain.Field) string { return f.Label })
	con.render(c, status, "fields", page{Title: "Fields", Nav: "fields", Notice: noticeOf(c), Problem: problem, Data: view})
}

// handleDefineField adds a field (DefineField), or shows the form again
// with the refusal beside its input.
func (con *Console) handleDefineField(c *gin.Context) {
	form := fieldForm{Label: c.PostForm("label"), Key: strings.TrimSpace(c.PostForm("key")), Type: c.PostForm("type"), Choices: c.PostForm("choices")}
	var choices []string
	if form.Type == string(domain.FieldChoice) {
		for line := range strings.Lines(form.Choices) {
			if line = strings.TrimSpace(line); line != "" {
				choices = append(choices, line)
			}
		}
	}
	_, res, err := con.deps().Commands.DefineField(c.Request.Context(), callerOf(c),
		domain.Field{Key: form.Key, Label: form.Label, Type: domain.FieldType(form.Type), Choices: choices})
	if err != nil {
		var de *domain.Error
		if domain.ErrorCode(err) == domain.EINTERNAL || !asDomainError(err, &de) {
			con.fail(c, err)
			return
		}
		form.Errors = map[string]string{de.Field: langOf(c).Problem(de)}
		problem := langOf(c).T("The field was not added: see the input marked below.")
		if de.Field == "" {
			problem = langOf(c).Problem(de)
		}
		con.showFields(c, errstatus.Of(de.Code), form, problem)
		return
	}
	con.settle(c, res.Position)
	c.Redirect(http.StatusSeeOther, withNotice(Prefix+"fields", "field", -1, res.Position))
}

// confirmRemoveField is the confirmation page of a field's removal.
type confirmRemoveField struct {
	Field domain.Field
}

// handleRemoveField removes a field once the person has confirmed it on a
// page that warns that every contact's value for it goes.
func (con *Console) handleRemoveField(c *gin.Context) {
	key := c.Param("key")
	if c.PostForm("confirm") != "yes" {
		fields, err := con.deps().Contacts.Fields(c.Request.Context(), mustSession(c).Key.CommunityID, domain.Start)
		if err != nil {
			con.fail(c, err)
			return
		}
		for _, f := range fields {
			if f.Key == key && !domain.IsBuiltin(key) {
				con.render(c, http.StatusOK, "confirm-remove-field", page{Title: "Remove this field?", Nav: "fields", Data: confirmRemoveField{Field: f}})
				return
			}
		}
		con.refuse(c, domain.Errorf(domain.ENOTFOUND, "%s", langOf(c).T("This field does not exist, or is built in.")))
		return
	}
	res, err := con.deps().Commands.RemoveField(c.Request.Context(), callerOf(c), key)
	if err != nil {
		con.refuse(c, err)
		return
	}
	con.settle(c, res.Position)
	c.Redirect(http.StatusSeeOther, withNotice(Prefix+"fields", "removed", -1, res.Position))
}
