package domain_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/assoc/contacts/domain"
)

func TestFieldNormalize(t *testing.T) {
	text := domain.Field{Key: "notes", Type: domain.FieldText}
	email := domain.Field{Key: "email", Type: domain.FieldEmail}
	phone := domain.Field{Key: "phone", Type: domain.FieldPhone}
	date := domain.Field{Key: "birthday", Type: domain.FieldDate}
	number := domain.Field{Key: "fee", Type: domain.FieldNumber}
	choice := domain.Field{Key: "level", Type: domain.FieldChoice, Choices: []string{"Gold", "Silver", "Ünïcode"}}
	accented := domain.Field{Key: "status", Type: domain.FieldChoice, Choices: []string{"Élève", "Membre d'honneur", "Cœur"}}
	firstName := domain.Field{Key: domain.KeyFirstName, Type: domain.FieldText}
	cases := []struct {
		field domain.Field
		in    string
		want  string // normalised value, when ok
		msg   string // expected refusal (message part), when not ok
	}{
		// Every type: blank means no value, surrounding space goes.
		{field: text, in: "", want: ""},
		{field: email, in: "   ", want: ""},
		{field: date, in: "\t", want: ""},
		{field: number, in: " ", want: ""},
		{field: choice, in: "", want: ""},
		{field: text, in: "  Hello  world ", want: "Hello  world"},
		{field: text, in: strings.Repeat("é", 1000), want: strings.Repeat("é", 1000)},
		{field: text, in: strings.Repeat("é", 1001), msg: "longer than 1000"},
		{field: text, in: "bad \xff byte", msg: "not valid UTF-8"},

		// Text a person cannot have meant is refused, whatever the type.
		{field: text, in: "a\x00b", msg: "holds a control character (U+0000) at character 2"},
		{field: text, in: "\x1b[31mred", msg: "control character (U+001B) at character 1"},
		{field: text, in: "del\x7f", msg: "control character (U+007F)"},
		{field: text, in: "c1\u0085x", msg: "control character (U+0085)"},
		{field: text, in: "lone \ufffd surrogate", msg: "replacement character (U+FFFD)"},
		{field: text, in: "non\ufdd0char", msg: "noncharacter (U+FDD0)"},
		{field: text, in: "non\U0010ffff", msg: "noncharacter (U+10FFFF)"},
		{field: email, in: "a\x00@example.org", msg: "control character"},
		{field: date, in: "1990-02-01\x00", msg: "control character"},
		{field: number, in: "4\x002", msg: "control character"},
		{field: choice, in: "Gold\x00", msg: "control character"},
		{field: firstName, in: "Ann\tLee", msg: "a tab or line break (U+0009) at character 4: this field holds one line"},
		{field: firstName, in: "Ann\nLee", msg: "a tab or line break (U+000A)"},
		{field: firstName, in: "Ann\u2028Lee", msg: "a line separator (U+2028)"},
		{field: phone, in: "01 23\n45 67", msg: "a tab or line break"},
		// Built-in names and keys are bounded tighter than other values.
		{field: firstName, in: strings.Repeat("é", 100), want: strings.Repeat("é", 100)},
		{field: firstName, in: strings.Repeat("é", 101), msg: "longer than 100 characters"},
		{field: email, in: strings.Repeat("a", 242) + "@example.org", want: strings.Repeat("a", 242) + "@example.org"},
		{field: email, in: strings.Repeat("a", 243) + "@example.org", msg: "longer than 254 characters"},
		{field: email, in: strings.Repeat("é", 200) + "@ex.org", msg: "longer than 254 bytes"},
		// An admin-defined text field holds lines: line breaks become LF.
		{field: text, in: "12 rue Haute\r\n75001 Paris", want: "12 rue Haute\n75001 Paris"},
		{field: text, in: "a\rb\tc", want: "a\nb\tc"},
		{field: text, in: "Zoë 🎻 Ωmega", want: "Zoë 🎻 Ωmega"},

		{field: email, in: "ann@example.org", want: "ann@example.org"},
		{field: email, in: " Ann.Lee+choir@Example.ORG ", want: "Ann.Lee+choir@Example.ORG"},
		{field: email, in: "ann@sub.example.co.uk", want: "ann@sub.example.co.uk"},
		{field: email, in: "ann", msg: "not an email"},
		{field: email, in: "ann@", msg: "not an email"},
		{field: email, in: "@example.org", msg: "not an email"},
		{field: email, in: "ann@example", msg: "not an email"},
		{field: email, in: "ann@@example.org", msg: "not an email"},
		{field: email, in: "ann lee@example.org", msg: "not an email"},
		{field: email, in: "Ann <ann@example.org>", msg: "not an email"},
		{field: email, in: "ann@example.org, bob@example.org", msg: "not an email"},

		{field: phone, in: "+33 1 23 45 67 89", want: "+33 1 23 45 67 89"},
		{field: phone, in: " (01) 23.45-67/89 ", want: "(01) 23.45-67/89"},
		{field: phone, in: "1234", want: "1234"},
		{field: phone, in: "123", msg: "not a phone number"},
		{field: phone, in: "+ - ( ) 1", msg: "not a phone number"},
		{field: phone, in: "0123 ext 4", msg: "not a phone number"},
		{field: phone, in: "++33 123", msg: "not a phone number"},
		{field: phone, in: strings.Repeat("1", 32), msg: "not a phone number"},

		{field: date, in: "1990-02-01", want: "1990-02-01"},
		{field: date, in: " 2024-02-29 ", want: "2024-02-29"},
		{field: date, in: "1990-02-01T23:30:00Z", want: "1990-02-01"},
		{field: date, in: "1990-02-01T00:30:00+02:00", want: "1990-02-01"},
		{field: date, in: "2023-02-29", msg: "not a date (want YYYY-MM-DD)"},
		{field: date, in: "1990-2-1", msg: "not a date"},
		{field: date, in: "01/02/1990", msg: "not a date"},
		{field: date, in: "1990-02-01 10:00", msg: "not a date"},
		{field: date, in: "yesterday", msg: "not a date"},

		{field: number, in: "42", want: "42"},
		{field: number, in: "007", want: "7"},
		{field: number, in: "12.50", want: "12.5"},
		{field: number, in: "12,50", want: "12.5"},
		{field: number, in: "-3", want: "-3"},
		{field: number, in: "+3.0", want: "3"},
		{field: number, in: "1e3", want: "1000"},
		{field: number, in: ".5", want: "0.5"},
		{field: number, in: "0.1", want: "0.1"},
		{field: number, in: "-0", want: "0"},
		{field: number, in: "0,0", want: "0"},
		{field: number, in: "twelve", msg: "not a number"},
		{field: number, in: "1.2.3", msg: "not a number"},
		{field: number, in: "1 000", msg: "not a number"},
		{field: number, in: "NaN", msg: "not a number"},
		{field: number, in: "1e999", msg: "not a number"},
		{field: number, in: "Inf", msg: "not a number"},
		{field: number, in: "-infinity", msg: "not a number"},
		{field: number, in: "0x1p4", msg: "not a number"},
		{field: number, in: "1_000", msg: "not a number"},
		{field: number, in: "1,5,0", msg: "not a number"},
		{field: number, in: "12.", want: "12"},
		{field: number, in: "2,5e2", want: "250"},

		{field: choice, in: "Gold", want: "Gold"},
		{field: choice, in: " silver ", want: "Silver"},
		{field: choice, in: "GOLD", want: "Gold"},
		{field: choice, in: "ünïcode", want: "Ünïcode"},
		{field: choice, in: "unicode", want: "Ünïcode"},
		{field: choice, in: " UNICODE ", want: "Ünïcode"},
		{field: accented, in: "eleve", want: "Élève"},
		{field: accented, in: "ÉLÈVE", want: "Élève"},
		{field: accented, in: "membre  d'honneur", want: "Membre d'honneur"},
		{field: accented, in: "coeur", want: "Cœur"},
		{field: choice, in: "Bronze", msg: "not one of the choices Gold, Silver, Ünïcode"},
		{field: choice, in: "Gol", msg: "not one of the choices"},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%q", tc.field.Type, tc.in), func(t *testing.T) {
			got, err := tc.field.Normalize(tc.in)
			if tc.msg != "" {
				wantErr(t, err, domain.EINVALID, tc.field.Key, tc.msg)
				if got != "" {
					t.Fatalf("refused value normalised to %q", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Normalize(%q): unexpected error %v", tc.in, err)
			}
			if got != tc.want {
				t.Fatalf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestNormalizeIsIdempotent: a normalised value normalises to itself, so
// setting it again is a no-op.
func TestNormalizeIsIdempotent(t *testing.T) {
	for _, f := range customFields {
		for _, in := range []string{" +33 1 23 ", "1990-02-01T10:00:00Z", "0012,50", "-0", "gold", " a@b.org ", " text "} {
			once, err := f.Normalize(in)
			if err != nil {
				continue
			}
			twice, err := f.Normalize(once)
			if err != nil || twice != once {
				t.Errorf("%s: Normalize(%q) = %q, then %q (%v): want a fixed point", f.Type, in, once, twice, err)
			}
		}
	}
}

func TestFieldSlotAndBuiltins(t *testing.T) {
	if got := (domain.Field{Key: "email"}).Slot(); got != "email" {
		t.Errorf("built-in slot %q, want its key", got)
	}
	if got := phoneField.Slot(); got != "f-phone" {
		t.Errorf("custom slot %q, want its ID f-phone", got)
	}
	if got := (domain.Change{Field: "phone", FieldID: "f-phone"}).Slot(); got != "f-phone" {
		t.Errorf("change slot %q, want f-phone", got)
	}
	if got := (domain.Change{Field: "email"}).Slot(); got != "email" {
		t.Errorf("built-in change slot %q, want email", got)
	}
	for _, key := range []string{"email", "first_name", "last_name", "external_id"} {
		if !domain.IsBuiltin(key) {
			t.Errorf("%s is not built in", key)
		}
	}
	for _, key := range []string{"phone", "Email", ""} {
		if domain.IsBuiltin(key) {
			t.Errorf("%q is built in", key)
		}
	}
	var keys []string
	for _, f := range testCommunity().Fields() {
		keys = append(keys, f.Key)
	}
	want := "email first_name last_name external_id phone birthday fee level work_email notes"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("field order %q, want built-ins first then definition order %q", got, want)
	}
}
