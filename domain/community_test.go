package domain_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/assoc/contacts/domain"
)

func TestCreateCommunity(t *testing.T) {
	cases := []struct {
		name, in string
		want     string // the recorded name, when accepted
		msg      string // the refusal, when not "must be 1-100 characters"
	}{
		{name: "NUL", in: "Les Amis\x00", msg: "control character (U+0000)"},
		{name: "line break", in: "Les\nAmis", msg: "holds one line"},
		{name: "invalid UTF-8", in: "Les Amis \xc3", msg: "not valid UTF-8"},
		{name: "plain", in: "Choir", want: "Choir"},
		{name: "trimmed", in: "  Chorale de Lyon ", want: "Chorale de Lyon"},
		{name: "100 characters", in: strings.Repeat("é", 100), want: strings.Repeat("é", 100)},
		{name: "empty", in: ""},
		{name: "blank", in: "   "},
		{name: "101 characters", in: strings.Repeat("é", 101)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			events, err := domain.CreateCommunity("k1", tc.in)
			if tc.want == "" {
				msg := tc.msg
				if msg == "" {
					msg = "must be 1-100 characters"
				}
				wantErr(t, err, domain.EINVALID, "name", msg)
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			want := []domain.Event{domain.CommunityCreated{CommunityID: "k1", Name: tc.want}}
			if !reflect.DeepEqual(events, want) {
				t.Fatalf("events %#v, want %#v", events, want)
			}
			c := communityOf(events...)
			if !c.Exists() || c.ID != "k1" || c.Name != tc.want || c.Version != 1 {
				t.Fatalf("state id %q name %q version %d, want k1 %q 1", c.ID, c.Name, c.Version, tc.want)
			}
		})
	}
}

// communityCase is one given-events / when-command / then-events case on a
// community.
type communityCase struct {
	name             string
	given            []domain.Event
	when             func(*domain.Community) ([]domain.Event, error)
	then             []domain.Event // nil: nothing recorded
	code, field, msg string
}

func runCommunityCases(t *testing.T, cases []communityCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := communityOf(tc.given...)
			events, err := tc.when(c)
			if tc.code != "" {
				wantErr(t, err, tc.code, tc.field, tc.msg)
				if len(events) != 0 {
					t.Fatalf("refused command recorded %#v", events)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tc.then == nil {
				if len(events) != 0 {
					t.Fatalf("got events %#v, want none", events)
				}
				return
			}
			if !reflect.DeepEqual(events, tc.then) {
				t.Fatalf("events differ\ngot  %#v\nwant %#v", events, tc.then)
			}
		})
	}
}

func TestDefineField(t *testing.T) {
	created := domain.CommunityCreated{CommunityID: commID, Name: "Choir"}
	phoneDefined := domain.FieldDefined{CommunityID: commID, Field: phoneField}
	levelDefined := domain.FieldDefined{CommunityID: commID, Field: levelField}
	define := func(f domain.Field) func(*domain.Community) ([]domain.Event, error) {
		return func(c *domain.Community) ([]domain.Event, error) { return c.DefineField(f, "new-id") }
	}
	field := func(key, label string, typ domain.FieldType, choices ...string) domain.Field {
		return domain.Field{Key: key, Label: label, Type: typ, Choices: choices}
	}
	defined := func(f domain.Field) []domain.Event {
		f.ID = "new-id"
		return []domain.Event{domain.FieldDefined{CommunityID: commID, Field: f}}
	}
	hundred := make([]string, 100)
	for i := range hundred {
		hundred[i] = fmt.Sprintf("c%d", i)
	}
	cases := []communityCase{
		{name: "text field gets the new ID",
			given: []domain.Event{created},
			when:  define(field("city", "City", domain.FieldText)),
			then:  defined(field("city", "City", domain.FieldText))},
		{name: "every type accepted",
			given: []domain.Event{created},
			when:  define(field("d", "D", domain.FieldDate)),
			then:  defined(field("d", "D", domain.FieldDate))},
		{name: "email type", given: []domain.Event{created},
			when: define(field("e", "E", domain.FieldEmail)), then: defined(field("e", "E", domain.FieldEmail))},
		{name: "phone type", given: []domain.Event{created},
			when: define(field("p", "P", domain.FieldPhone)), then: defined(field("p", "P", domain.FieldPhone))},
		{name: "number type", given: []domain.Event{created},
			when: define(field("n", "N", domain.FieldNumber)), then: defined(field("n", "N", domain.FieldNumber))},
		{name: "choice field, label and choices trimmed",
			given: []domain.Event{created},
			when:  define(field("size", "  T-shirt size ", domain.FieldChoice, " S ", "M", "L ")),
			then:  defined(field("size", "T-shirt size", domain.FieldChoice, "S", "M", "L"))},
		{name: "100 choices accepted",
			given: []domain.Event{created},
			when:  define(field("many", "Many", domain.FieldChoice, hundred...)),
			then:  defined(field("many", "Many", domain.FieldChoice, hundred...))},
		{name: "longest key accepted",
			given: []domain.Event{created},
			when:  define(field("k"+strings.Repeat("x", 62), "Long", domain.FieldText)),
			then:  defined(field("k"+strings.Repeat("x", 62), "Long", domain.FieldText))},
		{name: "key too long", given: []domain.Event{created},
			when: define(field("k"+strings.Repeat("x", 63), "Long", domain.FieldText)),
			code: domain.EINVALID, field: "key", msg: "1-63 lower-case letters"},
		{name: "key with capitals", given: []domain.Event{created},
			when: define(field("City", "City", domain.FieldText)),
			code: domain.EINVALID, field: "key", msg: "lower-case"},
		{name: "key starting with a digit", given: []domain.Event{created},
			when: define(field("1st", "First", domain.FieldText)),
			code: domain.EINVALID, field: "key", msg: "starting with a letter"},
		{name: "key with a dash", given: []domain.Event{created},
			when: define(field("t-shirt", "T", domain.FieldText)),
			code: domain.EINVALID, field: "key", msg: "lower-case"},
		{name: "empty key", given: []domain.Event{created},
			when: define(field("", "Nothing", domain.FieldText)),
			code: domain.EINVALID, field: "key", msg: "lower-case"},
		{name: "built-in email refused", given: []domain.Event{created},
			when: define(field("email", "Email", domain.FieldEmail)),
			code: domain.EINVALID, field: "key", msg: `"email" is a built-in field`},
		{name: "built-in first_name refused", given: []domain.Event{created},
			when: define(field("first_name", "Given name", domain.FieldText)),
			code: domain.EINVALID, field: "key", msg: "built-in"},
		{name: "built-in last_name refused", given: []domain.Event{created},
			when: define(field("last_name", "Surname", domain.FieldText)),
			code: domain.EINVALID, field: "key", msg: "built-in"},
		{name: "built-in external_id refused", given: []domain.Event{created},
			when: define(field("external_id", "Member no", domain.FieldText)),
			code: domain.EINVALID, field: "key", msg: "built-in"},
		{name: "empty label", given: []domain.Event{created},
			when: define(field("city", "", domain.FieldText)),
			code: domain.EINVALID, field: "label", msg: "1-100 characters"},
		{name: "blank label", given: []domain.Event{created},
			when: define(field("city", "   ", domain.FieldText)),
			code: domain.EINVALID, field: "label", msg: "1-100 characters"},
		{name: "label of 101 characters", given: []domain.Event{created},
			when: define(field("city", strings.Repeat("é", 101), domain.FieldText)),
			code: domain.EINVALID, field: "label", msg: "1-100 characters"},
		{name: "label with a NUL", given: []domain.Event{created},
			when: define(field("city", "Ci\x00ty", domain.FieldText)),
			code: domain.EINVALID, field: "label", msg: "control character (U+0000)"},
		{name: "label on two lines", given: []domain.Event{created},
			when: define(field("city", "Ci\nty", domain.FieldText)),
			code: domain.EINVALID, field: "label", msg: "holds one line"},
		{name: "label of invalid UTF-8", given: []domain.Event{created},
			when: define(field("city", "Ci\xffty", domain.FieldText)),
			code: domain.EINVALID, field: "label", msg: "not valid UTF-8"},
		{name: "choice with an escape sequence", given: []domain.Event{created},
			when: define(field("size", "Size", domain.FieldChoice, "S", "\x1b[2JM")),
			code: domain.EINVALID, field: "choices", msg: "control character (U+001B)"},
		{name: "choice of 101 characters", given: []domain.Event{created},
			when: define(field("size", "Size", domain.FieldChoice, strings.Repeat("s", 101))),
			code: domain.EINVALID, field: "choices", msg: "longer than 100 characters"},
		{name: "choices equal but for accents", given: []domain.Event{created},
			when: define(field("level", "Level", domain.FieldChoice, "Élève", "ELEVE")),
			code: domain.EINVALID, field: "choices", msg: "distinct (compared without case or accents)"},
		{name: "unknown type", given: []domain.Event{created},
			when: define(field("colour", "Colour", "colour")),
			code: domain.EINVALID, field: "type", msg: `"colour" is not a field type`},
		{name: "missing type", given: []domain.Event{created},
			when: define(field("colour", "Colour", "")),
			code: domain.EINVALID, field: "type", msg: "not a field type"},
		{name: "choices on a text field", given: []domain.Event{created},
			when: define(field("city", "City", domain.FieldText, "Lyon")),
			code: domain.EINVALID, field: "choices", msg: "only a choice field has choices"},
		{name: "choice field without choices", given: []domain.Event{created},
			when: define(field("size", "Size", domain.FieldChoice)),
			code: domain.EINVALID, field: "choices", msg: "needs 1-100 choices"},
		{name: "101 choices", given: []domain.Event{created},
			when: define(field("size", "Size", domain.FieldChoice, append(hundred, "one more")...)),
			code: domain.EINVALID, field: "choices", msg: "needs 1-100 choices"},
		{name: "blank choice", given: []domain.Event{created},
			when: define(field("size", "Size", domain.FieldChoice, "S", " ")),
			code: domain.EINVALID, field: "choices", msg: "non-empty and distinct"},
		{name: "choices equal but for case", given: []domain.Event{created},
			when: define(field("size", "Size", domain.FieldChoice, "S", "M", "s")),
			code: domain.EINVALID, field: "choices", msg: "non-empty and distinct"},
		{name: "choices equal but for spaces", given: []domain.Event{created},
			when: define(field("size", "Size", domain.FieldChoice, "S", " S")),
			code: domain.EINVALID, field: "choices", msg: "distinct"},
		{name: "same definition again is a no-op",
			given: []domain.Event{created, phoneDefined},
			when:  define(field("phone", "Phone", domain.FieldPhone)),
			then:  nil},
		{name: "same definition with spaces is a no-op",
			given: []domain.Event{created, levelDefined},
			when:  define(field("level", " Level ", domain.FieldChoice, "Gold ", " Silver")),
			then:  nil},
		{name: "another label under the same key conflicts",
			given: []domain.Event{created, phoneDefined},
			when:  define(field("phone", "Mobile", domain.FieldPhone)),
			code:  domain.ECONFLICT, field: "key", msg: "field phone exists with another definition; remove it first"},
		{name: "another type under the same key conflicts",
			given: []domain.Event{created, phoneDefined},
			when:  define(field("phone", "Phone", domain.FieldText)),
			code:  domain.ECONFLICT, field: "key", msg: "another definition"},
		{name: "other choices under the same key conflict",
			given: []domain.Event{created, levelDefined},
			when:  define(field("level", "Level", domain.FieldChoice, "Gold", "Silver", "Bronze")),
			code:  domain.ECONFLICT, field: "key", msg: "another definition"},
		{name: "choices in another order conflict",
			given: []domain.Event{created, levelDefined},
			when:  define(field("level", "Level", domain.FieldChoice, "Silver", "Gold")),
			code:  domain.ECONFLICT, field: "key", msg: "another definition"},
		{name: "removed key can be defined again, with a new ID",
			given: []domain.Event{created, phoneDefined, domain.FieldRemoved{CommunityID: commID, FieldID: "f-phone", Key: "phone"}},
			when:  define(field("phone", "Phone", domain.FieldPhone)),
			then:  defined(field("phone", "Phone", domain.FieldPhone))},
		{name: "community that does not exist",
			when: define(field("city", "City", domain.FieldText)),
			code: domain.ENOTFOUND, msg: "community not found"},
	}
	runCommunityCases(t, cases)
}

func TestRemoveField(t *testing.T) {
	created := domain.CommunityCreated{CommunityID: commID, Name: "Choir"}
	phoneDefined := domain.FieldDefined{CommunityID: commID, Field: phoneField}
	remove := func(key string) func(*domain.Community) ([]domain.Event, error) {
		return func(c *domain.Community) ([]domain.Event, error) { return c.RemoveField(key) }
	}
	runCommunityCases(t, []communityCase{
		{name: "custom field removed by key, naming its ID",
			given: []domain.Event{created, phoneDefined},
			when:  remove("phone"),
			then:  []domain.Event{domain.FieldRemoved{CommunityID: commID, FieldID: "f-phone", Key: "phone"}}},
		{name: "built-in refused",
			given: []domain.Event{created},
			when:  remove("email"),
			code:  domain.EINVALID, field: "key", msg: "email is a built-in field and cannot be removed"},
		{name: "built-in external_id refused",
			given: []domain.Event{created},
			when:  remove("external_id"),
			code:  domain.EINVALID, field: "key", msg: "built-in"},
		{name: "unknown field refused",
			given: []domain.Event{created},
			when:  remove("city"),
			code:  domain.ENOTFOUND, msg: "field city not found"},
		{name: "removed twice refused",
			given: []domain.Event{created, phoneDefined, domain.FieldRemoved{CommunityID: commID, FieldID: "f-phone", Key: "phone"}},
			when:  remove("phone"),
			code:  domain.ENOTFOUND, msg: "field phone not found"},
	})
}

// TestFieldRedefinedGetsEmptyValues: removing a field and defining it again
// gives it a new ID, so the values kept under the old ID do not come back.
func TestFieldRedefinedGetsEmptyValues(t *testing.T) {
	created := domain.CommunityCreated{CommunityID: commID, Name: "Choir"}
	old := domain.Field{ID: "f-old", Key: "member_no", Label: "Member no", Type: domain.FieldText}
	history := []domain.Event{created, domain.FieldDefined{CommunityID: commID, Field: old}}
	community := communityOf(history...)

	regEvents, err := domain.RegisterContact(community, "ann", map[string]string{"first_name": "Ann", "member_no": "A-17"})
	if err != nil {
		t.Fatal(err)
	}
	contactEvents := regEvents
	if c := given(contactEvents...); c.Value("f-old") != "A-17" {
		t.Fatalf("value under the old field's ID %q, want A-17 (values %v)", c.Value("f-old"), c.Values)
	}

	removed, err := community.RemoveField("member_no")
	if err != nil {
		t.Fatal(err)
	}
	history = append(history, removed...)
	community = communityOf(history...)
	if _, ok := community.Field("member_no"); ok {
		t.Fatal("removed field still listed by Field")
	}
	if f, ok := community.FieldByID("f-old"); !ok || f.Key != "member_no" {
		t.Fatalf("FieldByID(f-old) = %+v %v, want the removed definition kept for history", f, ok)
	}
	for _, f := range community.Fields() {
		if f.Key == "member_no" {
			t.Fatalf("removed field still in Fields: %+v", f)
		}
	}
	// While removed, the key is no field of the community.
	_, err = given(contactEvents...).Update(community, map[string]string{"member_no": "A-18"})
	wantErr(t, err, domain.EINVALID, "member_no", "not a field")

	redefined, err := community.DefineField(domain.Field{Key: "member_no", Label: "Member no", Type: domain.FieldText}, "f-new")
	if err != nil {
		t.Fatal(err)
	}
	if len(redefined) != 1 || redefined[0].(domain.FieldDefined).Field.ID != "f-new" {
		t.Fatalf("redefinition recorded %#v, want one FieldDefined with ID f-new", redefined)
	}
	history = append(history, redefined...)
	community = communityOf(history...)
	f, ok := community.Field("member_no")
	if !ok || f.ID != "f-new" || f.Slot() != "f-new" {
		t.Fatalf("current member_no %+v, want ID f-new", f)
	}

	c := given(contactEvents...)
	if got := c.Value(f.Slot()); got != "" {
		t.Errorf("redefined field shows %q, want empty (old values belong to the old field)", got)
	}
	// Setting the same old value again is a change of the new field.
	events, err := c.Update(community, map[string]string{"member_no": "A-17"})
	if err != nil {
		t.Fatal(err)
	}
	want := []domain.Event{domain.ContactUpdated{ContactID: "ann", Changes: []domain.Change{
		{Field: "member_no", FieldID: "f-new", Old: "", New: "A-17"}}}}
	if !reflect.DeepEqual(events, want) {
		t.Fatalf("update events %#v, want %#v", events, want)
	}
	c = given(append(contactEvents, events...)...)
	if c.Value("f-new") != "A-17" || c.Value("f-old") != "A-17" {
		t.Errorf("slots f-new %q f-old %q, want the new one set and the old one untouched", c.Value("f-new"), c.Value("f-old"))
	}

	// A new registration stores its value under the new ID.
	regEvents, err = domain.RegisterContact(community, "bob", map[string]string{"first_name": "Bob", "member_no": "B-1"})
	if err != nil {
		t.Fatal(err)
	}
	wantReg := []domain.Event{registered("bob", val("first_name", "Bob"), domain.Value{Field: "member_no", FieldID: "f-new", Value: "B-1"})}
	if !reflect.DeepEqual(regEvents, wantReg) {
		t.Fatalf("registration %#v, want %#v", regEvents, wantReg)
	}

	// A merge sees only the current definition: the old slot is not carried.
	survivor := given(registered("sam", val("first_name", "Sam")))
	merge, err := survivor.Merge(community, "m1", []*domain.Contact{given(contactEvents...)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	wantMerge := []domain.Event{domain.DuplicatesAbsorbed{ContactID: "sam", MergeID: "m1", DuplicateIDs: []string{"ann"}}}
	if !reflect.DeepEqual(merge, wantMerge) {
		t.Fatalf("merge %#v, want %#v (nothing taken from the removed field)", merge, wantMerge)
	}
}

func TestCommunityFieldsOrderAfterRemove(t *testing.T) {
	c := testCommunity()
	removed, err := c.RemoveField("fee")
	if err != nil {
		t.Fatal(err)
	}
	c.Apply(removed[0], c.Version+1)
	var keys []string
	for _, f := range c.Fields() {
		keys = append(keys, f.Key)
	}
	want := "email first_name last_name external_id phone birthday level work_email notes"
	if got := strings.Join(keys, " "); got != want {
		t.Errorf("fields %q, want %q", got, want)
	}
	if c.Version != 8 {
		t.Errorf("version %d, want 8", c.Version)
	}
}
