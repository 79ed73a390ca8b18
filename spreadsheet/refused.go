package spreadsheet

import (
	"errors"

	"github.com/assoc/contacts/domain"
	"github.com/assoc/contacts/xlsx"
)

// fileRefused turns the reader's refusal of a workbook into the domain's
// EINVALID error naming "file" (the multipart part an upload sends it
// in), so every adapter answers it as bad input; other errors pass.
func fileRefused(err error) error {
	var refused *xlsx.Error
	if errors.As(err, &refused) {
		return domain.FieldError("file", "%s", refused.Reason)
	}
	return err
}
