package console

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/assoc/contacts/domain"
	"github.com/gin-gonic/gin"
	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// lang is the language a page is written in: English, or French when the
// person chose it or their browser asks for it first.
type lang struct {
	Code string // "en" or "fr"
}

// langCookie keeps a person's choice of language (set by the switch).
const langCookie = "console_lang"

var (
	english = lang{Code: "en"}
	french  = lang{Code: "fr"}
	// matcher picks English or French from Accept-Language (English first:
	// it is the answer when neither is asked for).
	matcher = language.NewMatcher([]language.Tag{language.English, language.French})
)

// langOf is the language of the request: the switch's cookie, else the
// best match of Accept-Language.
func langOf(c *gin.Context) lang {
	if v, err := c.Cookie(langCookie); err == nil {
		switch v {
		case "fr":
			return french
		case "en":
			return english
		}
	}
	tags, _, err := language.ParseAcceptLanguage(c.GetHeader("Accept-Language"))
	if err != nil || len(tags) == 0 {
		return english
	}
	_, i, conf := matcher.Match(tags...)
	if i == 1 && conf != language.No {
		return french
	}
	return english
}

// T translates an English text (a format when args are given) into the
// page's language; a text without a translation stays in English.
func (l lang) T(text string, args ...any) string {
	if l.Code == "fr" {
		if fr, ok := frenchTexts[text]; ok {
			text = fr
		}
	}
	if len(args) == 0 {
		return text
	}
	return fmt.Sprintf(text, args...)
}

// Problem is err's message for people in the page's language: a domain
// error's English format translated (frenchDomainMessages) and formatted
// with its arguments; any other message as the domain words it.
func (l lang) Problem(err error) string {
	var de *domain.Error
	if l.Code == "fr" && errors.As(err, &de) && de.Format != "" {
		if fr, ok := frenchDomainMessages[de.Format]; ok {
			return fmt.Sprintf(fr, de.Args...)
		}
	}
	return domain.ErrorMessage(err)
}

// Other is the other language, which the switch offers.
func (l lang) Other() lang {
	if l.Code == "fr" {
		return english
	}
	return french
}

// Name is the language's name, in itself.
func (l lang) Name() string {
	if l.Code == "fr" {
		return "Français"
	}
	return "English"
}

var (
	englishMonths = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	frenchMonths  = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}
)

// Date writes an instant the way the page's readers write dates ("8 déc.
// 2026 à 14:05" in French, "8 Dec 2026, 14:05" in English), in UTC, which
// the page says.
func (l lang) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	if l.Code == "fr" {
		return fmt.Sprintf("%d %s %d à %s", t.Day(), frenchMonths[t.Month()-1], t.Year(), t.Format("15:04"))
	}
	return fmt.Sprintf("%d %s %d, %s", t.Day(), englishMonths[t.Month()-1], t.Year(), t.Format("15:04"))
}

// Day writes a field's date value (YYYY-MM-DD) the page's way: 08/12/2026
// in French, 2026-12-08 in English (unambiguous to every English reader).
func (l lang) Day(v string) string {
	t, err := time.Parse(time.DateOnly, v)
	if err != nil || l.Code != "fr" {
		return v
	}
	return t.Format("02/01/2006")
}

// collator orders texts as the page's readers expect: "Élodie" beside
// "Elodie", not after "Zoé".
func (l lang) collator() *collate.Collator {
	tag := language.English
	if l.Code == "fr" {
		tag = language.French
	}
	return collate.New(tag, collate.IgnoreCase)
}

// sortTexts orders items by text(item) in the page's language.
func sortTexts[T any](l lang, items []T, text func(T) string) {
	col := l.collator()
	keys := make(map[string][]byte, len(items))
	var buf collate.Buffer
	for _, it := range items {
		s := text(it)
		if _, ok := keys[s]; !ok {
			keys[s] = append([]byte(nil), col.KeyFromString(&buf, s)...)
			buf.Reset()
		}
	}
	slices.SortStableFunc(items, func(a, b T) int { return strings.Compare(string(keys[text(a)]), string(keys[text(b)])) })
}
