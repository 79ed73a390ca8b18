package xlsx

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// What a file that is not an .xlsx workbook is, so that its refusal says
// what to do: people send CSV exports, LibreOffice's .ods and old .xls
// files, and "not a zip archive" helps none of them.

// oleHeader starts a Compound File: an encrypted (password-protected)
// .xlsx, or a legacy .xls.
var oleHeader = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}

// encryptedPackage names, in UTF-16 as a Compound File stores its stream
// names, the stream that holds an encrypted .xlsx.
var encryptedPackage = utf16le("EncryptedPackage")

func utf16le(s string) []byte {
	var b []byte
	for _, u := range utf16.Encode([]rune(s)) {
		b = append(b, byte(u), byte(u>>8))
	}
	return b
}

// notZipError explains a file that is not a zip archive.
func notZipError(data []byte) error {
	switch {
	case bytes.HasPrefix(data, oleHeader) && bytes.Contains(data, encryptedPackage):
		return fileError("is password-protected: save it as .xlsx without a password")
	case bytes.HasPrefix(data, oleHeader):
		return fileError("is an old Excel 97-2003 workbook (.xls) or another Office file, not an .xlsx workbook: save it as .xlsx")
	case looksLikeText(data):
		return fileError("is a CSV or text file, not an .xlsx workbook: open it in a spreadsheet and save it as .xlsx")
	}
	return fileError("is not an .xlsx workbook (not a zip archive): save it as .xlsx")
}

// looksLikeText reports whether the start of data reads as text: UTF-8 or
// a single-byte encoding, no control characters but tab and line breaks.
func looksLikeText(data []byte) bool {
	head := data[:min(len(data), 4096)]
	if bytes.HasPrefix(head, []byte{0xff, 0xfe}) || bytes.HasPrefix(head, []byte{0xfe, 0xff}) {
		return true // UTF-16, as Excel's "Unicode text" export
	}
	for len(head) > 0 {
		r, size := utf8.DecodeRune(head)
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' || r == 0x7f {
			return false
		}
		head = head[size:] // invalid UTF-8 passes: Latin-1 text
	}
	return true
}

// notWorkbookError explains a zip archive without xl/workbook.xml.
func notWorkbookError(a *archive) error {
	f, err := a.find("mimetype")
	if err == nil && f != nil {
		// An OpenDocument file names its kind in this first, small part.
		if rc, err := f.Open(); err == nil {
			raw, _ := io.ReadAll(io.LimitReader(rc, 200))
			rc.Close()
			kind := strings.TrimSpace(string(raw))
			if kind == "application/vnd.oasis.opendocument.spreadsheet" {
				return fileError("is an OpenDocument spreadsheet (.ods), not an .xlsx workbook: save it as .xlsx (File, Save As, Excel 2007-365)")
			}
			if strings.HasPrefix(kind, "application/vnd.oasis.opendocument.") {
				return fileError("is an OpenDocument file (%q), not a workbook: save the contacts as an .xlsx workbook", strings.TrimPrefix(kind, "application/vnd.oasis.opendocument."))
			}
		}
	}
	return fileError("is a zip archive but not an .xlsx workbook (no xl/workbook.xml): save it as .xlsx")
}
