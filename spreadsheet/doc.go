// Package spreadsheet is the Excel (.xlsx) import and export service
// (domain.Imports): it writes a community's contacts to a workbook, and
// turns the rows of an edited workbook into the domain's commands
// (register, update), keeping a report of what each row did. Workbooks
// are read and written by package xlsx; reports and the rows of a running
// import are kept by a Store (spreadsheet/postgres); every decision is the
// domain's.
//
// An import is a pipeline (pipeline.go): read → route → match and decide
// → stage, then, unless a dry run, apply (apply.go) and finish
// (import.go); a row has a type per stage (rows.go).
//
// Import rules (see the README, "Excel import/export"):
//   - Row 1 holds the headers: field labels or keys, compared without case
//     or accents, and French names of the built-in fields (Prénom, Nom,
//     Courriel, Identifiant…; see aliases); "Contact ID" (or "id") names
//     the contact ID column.
//     Unknown headers are reported and their columns ignored. A file with
//     no identifying column (contact ID, email, external ID) is refused.
//   - A row is matched on its contact ID, then its email, then its external
//     ID (key reservations decide who holds a key). Matched: update;
//     unmatched: register.
//   - An empty cell changes nothing. A cell holding only ClearMarker
//     (#CLEAR) empties the field. Text numbers and dates may be written
//     the French way (1 000,5; 14/07/1975; see cellValue).
//   - A row that cannot be applied whole is rejected with its row number,
//     column and reason; the other rows go on.
package spreadsheet

// ClearMarker, alone in a cell, empties the field (an empty cell leaves it).
const ClearMarker = "#CLEAR"
