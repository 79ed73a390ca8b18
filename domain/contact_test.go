package domain_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/assoc/contacts/domain"
)

// The fixtures: one community with a field of each admin-definable type.

const commID = "community-1"

var (
	phoneField = domain.Field{ID: "f-phone", Key: "phone", Label: "Phone", Type: domain.FieldPhone}
	birthField = domain.Field{ID: "f-birth", Key: "birthday", Label: "Birthday", Type: domain.FieldDate}
	feeField   = domain.Field{ID: "f-fee", Key: "fee", Label: "Fee", Type: domain.FieldNumber}
	levelField = domain.Field{ID: "f-level", Key: "level", Label: "Level", Type: domain.FieldChoice, Choices: []string{"Gold", "Silver"}}
	workField  = domain.Field{ID: "f-work", Key: "work_email", Label: "Work email", Type: domain.FieldEmail}
	notesField = domain.Field{ID: "f-notes", Key: "notes", Label: "Notes", Type: domain.FieldText}

	customFields = []domain.Field{phoneField, birthField, feeField, levelField, workField, notesField}
)

// t0 is when the first given event was recorded; each next one a minute later.
var t0 = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// communityOf folds community events with versions 1..n.
func communityOf(events ...domain.Event) *domain.Community {
	c := &domain.Community{}
	for i, e := range events {
		c.Apply(e, int64(i+1))
	}
	return c
}

// testCommunity is the fixture community with every custom field defined.
func testCommunity() *domain.Community {
	events := []domain.Event{domain.CommunityCreated{CommunityID: commID, Name: "Choir"}}
	for _, f := range customFields {
		events = append(events, domain.FieldDefined{CommunityID: commID, Field: f})
	}
	return communityOf(events...)
}

// given folds contact events with versions 1..n.
func given(events ...domain.Event) *domain.Contact {
	c := &domain.Contact{}
	for i, e := range events {
		c.Apply(e, int64(i+1), t0.Add(time.Duration(i)*time.Minute))
	}
	return c
}

// val is a Value of the fixture community: built-ins by key, custom fields
// with their field ID.
func val(key, value string) domain.Value {
	for _, f := range customFields {
		if f.Key == key {
			return domain.Value{Field: key, FieldID: f.ID, Value: value}
		}
	}
	return domain.Value{Field: key, Value: value}
}

// change is a Change of the fixture community (see val).
func change(key, old, new string) domain.Change {
	v := val(key, "")
	return domain.Change{Field: key, FieldID: v.FieldID, Old: old, New: new}
}

// from sets the duplicate a merged change came from.
func from(c domain.Change, dup string) domain.Change {
	c.From = dup
	return c
}

func registered(id string, values ...domain.Value) domain.ContactRegistered {
	return domain.ContactRegistered{ContactID: id, CommunityID: commID, Values: values}
}

func updated(id string, changes ...domain.Change) domain.ContactUpdated {
	return domain.ContactUpdated{ContactID: id, Changes: changes}
}

// wantErr fails t unless err is a *domain.Error with code and field, whose
// message holds msg.
func wantErr(t *testing.T, err error, code, field, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s (field %q)", code, field)
	}
	var e *domain.Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %T %v, want a *domain.Error %s (field %q)", err, err, code, field)
	}
	if e.Code != code || e.Field != field {
		t.Fatalf("got error code %q field %q (%v), want code %q field %q", e.Code, e.Field, err, code, field)
	}
	if !strings.Contains(e.Message, msg) {
		t.Fatalf("got message %q, want it to contain %q", e.Message, msg)
	}
}

// contactCase is one given-events / when-command / then-events case.
type contactCase struct {
	name  string
	given []domain.Event
	when  func(*domain.Contact) ([]domain.Event, error)
	then  []domain.Event // nil: nothing recorded
	// code, field and msg describe the expected refusal, when code is set.
	code, field, msg string
	// state, when set, checks the contact after the given and then events.
	state func(t *testing.T, c *domain.Contact)
}

func runContactCases(t *testing.T, cases []contactCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := given(tc.given...)
			before := fmt.Sprintf("%+v", *c)
			events, err := tc.when(c)
			if after := fmt.Sprintf("%+v", *c); after != before {
				t.Errorf("deciding changed the state:\nbefore %s\nafter  %s", before, after)
			}
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
			} else if !reflect.DeepEqual(events, tc.then) {
				t.Fatalf("events differ\ngot  %#v\nwant %#v", events, tc.then)
			}
			if tc.state != nil {
				c := given(append(append([]domain.Event{}, tc.given...), events...)...)
				tc.state(t, c)
			}
		})
	}
}

// Contacts used across cases.
var (
	ann      = registered("ann", val("email", "ann@example.org"), val("first_name", "Ann"))
	annOnly  = registered("ann", val("email", "ann@example.org"))
	archived = domain.ContactArchived{ContactID: "ann"}
	restored = domain.ContactRestored{ContactID: "ann"}
	deleted  = domain.ContactDeleted{ContactID: "ann"}
	mergedTo = domain.ContactMerged{ContactID: "ann", SurvivorID: "bob", MergeID: "m0"}
)

func TestRegisterContact(t *testing.T) {
	cases := []struct {
		name             string
		community        *domain.Community
		raw              map[string]string
		then             []domain.Event
		code, field, msg string
	}{
		{name: "first name is enough",
			raw:  map[string]string{"first_name": "Ann"},
			then: []domain.Event{registered("c1", val("first_name", "Ann"))}},
		{name: "last name is enough",
			raw:  map[string]string{"last_name": "Lee"},
			then: []domain.Event{registered("c1", val("last_name", "Lee"))}},
		{name: "email is enough",
			raw:  map[string]string{"email": "ann@example.org"},
			then: []domain.Event{registered("c1", val("email", "ann@example.org"))}},
		{name: "no name nor email refused",
			raw:  map[string]string{"phone": "+33 1 23 45 67 89", "external_id": "M-1"},
			code: domain.EINVALID, field: "", msg: "needs a first name, a last name or an email"},
		{name: "blank identity values count as none",
			raw:  map[string]string{"first_name": "  ", "last_name": "", "email": " \t"},
			code: domain.EINVALID, field: "", msg: "needs a first name"},
		{name: "nothing at all refused",
			raw:  map[string]string{},
			code: domain.EINVALID, field: "", msg: "needs a first name"},
		{name: "unknown field refused naming it",
			raw:  map[string]string{"first_name": "Ann", "nickname": "Annie"},
			code: domain.EINVALID, field: "nickname", msg: "not a field"},
		{name: "invalid email refused",
			raw:  map[string]string{"email": "ann.example.org"},
			code: domain.EINVALID, field: "email", msg: "not an email"},
		{name: "email without a dot in its domain refused",
			raw:  map[string]string{"email": "ann@localhost"},
			code: domain.EINVALID, field: "email", msg: "not an email"},
		{name: "email with a display name refused",
			raw:  map[string]string{"email": "Ann <ann@example.org>"},
			code: domain.EINVALID, field: "email", msg: "not an email"},
		{name: "invalid phone refused",
			raw:  map[string]string{"first_name": "Ann", "phone": "call me"},
			code: domain.EINVALID, field: "phone", msg: "not a phone"},
		{name: "invalid date refused",
			raw:  map[string]string{"first_name": "Ann", "birthday": "01/02/1990"},
			code: domain.EINVALID, field: "birthday", msg: "not a date"},
		{name: "invalid number refused",
			raw:  map[string]string{"first_name": "Ann", "fee": "twelve"},
			code: domain.EINVALID, field: "fee", msg: "not a number"},
		{name: "unknown choice refused",
			raw:  map[string]string{"first_name": "Ann", "level": "Bronze"},
			code: domain.EINVALID, field: "level", msg: "not one of the choices"},
		{name: "invalid custom email refused",
			raw:  map[string]string{"first_name": "Ann", "work_email": "ann@"},
			code: domain.EINVALID, field: "work_email", msg: "not an email"},
		{name: "values normalised by type, in field order",
			raw: map[string]string{
				"notes": "  likes Bach ", "level": "gOLD", "fee": "12,50", "birthday": "1990-02-01T10:00:00Z",
				"phone": " +33 (0)1 23-45-67 ", "last_name": " Lee ", "email": " ann@example.org ", "work_email": "ann@work.example.com",
				"external_id": " M-7 ",
			},
			then: []domain.Event{registered("c1",
				val("email", "ann@example.org"), val("last_name", "Lee"), val("external_id", "M-7"),
				val("phone", "+33 (0)1 23-45-67"), val("birthday", "1990-02-01"), val("fee", "12.5"),
				val("level", "Gold"), val("work_email", "ann@work.example.com"), val("notes", "likes Bach"))}},
		{name: "empty values dropped",
			raw:  map[string]string{"first_name": "Ann", "last_name": "", "phone": "   ", "notes": "", "email": ""},
			then: []domain.Event{registered("c1", val("first_name", "Ann"))}},
		{name: "unknown community refused",
			community: &domain.Community{ID: "nope"},
			raw:       map[string]string{"first_name": "Ann"},
			code:      domain.ENOTFOUND, msg: "community not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			community := tc.community
			if community == nil {
				community = testCommunity()
			}
			events, err := domain.RegisterContact(community, "c1", tc.raw)
			if tc.code != "" {
				wantErr(t, err, tc.code, tc.field, tc.msg)
				if events != nil {
					t.Fatalf("refused registration recorded %#v", events)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(events, tc.then) {
				t.Fatalf("events differ\ngot  %#v\nwant %#v", events, tc.then)
			}
		})
	}
}

func TestRegisteredState(t *testing.T) {
	c := given(registered("c1", val("email", "ann@example.org"), val("first_name", "Ann"), val("phone", "+33 1 23 45 67")))
	want := map[string]string{"email": "ann@example.org", "first_name": "Ann", "f-phone": "+33 1 23 45 67"}
	if !reflect.DeepEqual(c.Values, want) {
		t.Errorf("values by slot: got %v, want %v", c.Values, want)
	}
	if c.ID != "c1" || c.CommunityID != commID || c.Status != domain.StatusActive || c.Version != 1 || !c.Exists() {
		t.Errorf("got id %q community %q status %q version %d, want c1 %s active 1", c.ID, c.CommunityID, c.Status, c.Version, commID)
	}
	if !c.CreatedAt.Equal(t0) || !c.UpdatedAt.Equal(t0) {
		t.Errorf("created %v updated %v, want both %v", c.CreatedAt, c.UpdatedAt, t0)
	}
	if c.Email() != "ann@example.org" || c.FirstName() != "Ann" || c.LastName() != "" || c.ExternalID() != "" {
		t.Errorf("built-in accessors: email %q first %q last %q external %q", c.Email(), c.FirstName(), c.LastName(), c.ExternalID())
	}
	if (&domain.Contact{}).Exists() {
		t.Error("the zero contact exists")
	}
}

func TestUpdateContact(t *testing.T) {
	community := testCommunity()
	update := func(raw map[string]string) func(*domain.Contact) ([]domain.Event, error) {
		return func(c *domain.Contact) ([]domain.Event, error) { return c.Update(community, raw) }
	}
	runContactCases(t, []contactCase{
		{name: "change carries old and new",
			given: []domain.Event{ann},
			when:  update(map[string]string{"first_name": "Anna", "last_name": "Lee"}),
			then:  []domain.Event{updated("ann", change("first_name", "Ann", "Anna"), change("last_name", "", "Lee"))},
			state: func(t *testing.T, c *domain.Contact) {
				want := map[string]string{"email": "ann@example.org", "first_name": "Anna", "last_name": "Lee"}
				if !reflect.DeepEqual(c.Values, want) || c.Version != 2 || !c.UpdatedAt.Equal(t0.Add(time.Minute)) {
					t.Errorf("after update: values %v version %d updated %v, want %v version 2 at %v", c.Values, c.Version, c.UpdatedAt, want, t0.Add(time.Minute))
				}
			}},
		{name: "custom field value normalised and set by field ID",
			given: []domain.Event{ann},
			when:  update(map[string]string{"fee": "0010", "level": "silver"}),
			then:  []domain.Event{updated("ann", change("fee", "", "10"), change("level", "", "Silver"))},
			state: func(t *testing.T, c *domain.Contact) {
				if c.Value("f-fee") != "10" || c.Value("f-level") != "Silver" {
					t.Errorf("slots f-fee %q f-level %q, want 10 and Silver", c.Value("f-fee"), c.Value("f-level"))
				}
			}},
		{name: "fields not given keep their value; empty clears",
			given: []domain.Event{registered("ann", val("first_name", "Ann"), val("notes", "x"), val("phone", "0123 456"))},
			when:  update(map[string]string{"notes": ""}),
			then:  []domain.Event{updated("ann", change("notes", "x", ""))},
			state: func(t *testing.T, c *domain.Contact) {
				want := map[string]string{"first_name": "Ann", "f-phone": "0123 456"}
				if !reflect.DeepEqual(c.Values, want) {
					t.Errorf("values %v, want %v", c.Values, want)
				}
			}},
		{name: "same values after normalisation record nothing",
			given: []domain.Event{registered("ann", val("first_name", "Ann"), val("level", "Gold"), val("fee", "1.5"))},
			when:  update(map[string]string{"first_name": " Ann ", "level": "gold", "fee": "1,50", "last_name": ""}),
			then:  nil},
		{name: "empty update records nothing",
			given: []domain.Event{ann},
			when:  update(map[string]string{}),
			then:  nil},
		{name: "email case change is a change",
			given: []domain.Event{ann},
			when:  update(map[string]string{"email": "Ann@Example.org"}),
			then:  []domain.Event{updated("ann", change("email", "ann@example.org", "Ann@Example.org"))}},
		{name: "clearing one identity value while another remains",
			given: []domain.Event{ann},
			when:  update(map[string]string{"email": ""}),
			then:  []domain.Event{updated("ann", change("email", "ann@example.org", ""))}},
		{name: "clearing the last identity value refused",
			given: []domain.Event{annOnly},
			when:  update(map[string]string{"email": "", "phone": "0123 456"}),
			code:  domain.EINVALID, field: "", msg: "needs a first name, a last name or an email"},
		{name: "clearing every identity value refused",
			given: []domain.Event{ann},
			when:  update(map[string]string{"email": "", "first_name": " "}),
			code:  domain.EINVALID, field: "", msg: "needs a first name"},
		{name: "unknown field refused naming it",
			given: []domain.Event{ann},
			when:  update(map[string]string{"nickname": "Annie"}),
			code:  domain.EINVALID, field: "nickname", msg: "not a field"},
		{name: "invalid value refused naming the field",
			given: []domain.Event{ann},
			when:  update(map[string]string{"birthday": "2024-02-30"}),
			code:  domain.EINVALID, field: "birthday", msg: "not a date"},
		{name: "archived refused",
			given: []domain.Event{ann, archived},
			when:  update(map[string]string{"first_name": "Anna"}),
			code:  domain.ECONFLICT, msg: "cannot edit contact ann: it is archived; restore it first"},
		{name: "deleted refused",
			given: []domain.Event{ann, archived, deleted},
			when:  update(map[string]string{"first_name": "Anna"}),
			code:  domain.ECONFLICT, msg: "cannot edit contact ann: it was deleted"},
		{name: "merged refused",
			given: []domain.Event{ann, mergedTo},
			when:  update(map[string]string{"first_name": "Anna"}),
			code:  domain.ECONFLICT, msg: "cannot edit contact ann: it was merged into bob"},
		{name: "no-op on archived is still refused",
			given: []domain.Event{ann, archived},
			when:  update(map[string]string{}),
			code:  domain.ECONFLICT, msg: "archived"},
	})
}

func TestArchiveContact(t *testing.T) {
	archive := func(c *domain.Contact) ([]domain.Event, error) { return c.Archive() }
	runContactCases(t, []contactCase{
		{name: "active is archived, keeping every value",
			given: []domain.Event{ann},
			when:  archive,
			then:  []domain.Event{archived},
			state: func(t *testing.T, c *domain.Contact) {
				want := map[string]string{"email": "ann@example.org", "first_name": "Ann"}
				if c.Status != domain.StatusArchived || !reflect.DeepEqual(c.Values, want) || !c.ArchivedAt.Equal(t0.Add(time.Minute)) {
					t.Errorf("status %q values %v archived at %v, want archived %v at %v", c.Status, c.Values, c.ArchivedAt, want, t0.Add(time.Minute))
				}
			}},
		{name: "archived again records nothing",
			given: []domain.Event{ann, archived},
			when:  archive,
			then:  nil},
		{name: "deleted refused",
			given: []domain.Event{ann, archived, deleted},
			when:  archive,
			code:  domain.ECONFLICT, msg: "cannot archive contact ann: it was deleted"},
		{name: "merged refused",
			given: []domain.Event{ann, mergedTo},
			when:  archive,
			code:  domain.ECONFLICT, msg: "it was merged into bob"},
	})
}

func TestRestoreContact(t *testing.T) {
	restore := func(c *domain.Contact) ([]domain.Event, error) { return c.Restore() }
	runContactCases(t, []contactCase{
		{name: "archived comes back exactly as it was",
			given: []domain.Event{ann, updated("ann", change("phone", "", "0123 456")), archived},
			when:  restore,
			then:  []domain.Event{restored},
			state: func(t *testing.T, c *domain.Contact) {
				was := given(ann, updated("ann", change("phone", "", "0123 456")))
				if c.Status != domain.StatusActive || !reflect.DeepEqual(c.Values, was.Values) || !c.ArchivedAt.IsZero() {
					t.Errorf("status %q values %v archived at %v, want active %v, no archive time", c.Status, c.Values, c.ArchivedAt, was.Values)
				}
			}},
		{name: "active records nothing",
			given: []domain.Event{ann},
			when:  restore,
			then:  nil},
		{name: "restored twice records nothing",
			given: []domain.Event{ann, archived, restored},
			when:  restore,
			then:  nil},
		{name: "deleted refused",
			given: []domain.Event{ann, archived, deleted},
			when:  restore,
			code:  domain.ECONFLICT, msg: "cannot restore contact ann: it was deleted"},
		{name: "merged refused",
			given: []domain.Event{ann, mergedTo},
			when:  restore,
			code:  domain.ECONFLICT, msg: "cannot restore contact ann: it was merged into bob"},
	})
}

func TestDeleteContact(t *testing.T) {
	del := func(c *domain.Contact) ([]domain.Event, error) { return c.Delete() }
	runContactCases(t, []contactCase{
		{name: "active refused: archive first",
			given: []domain.Event{ann},
			when:  del,
			code:  domain.ECONFLICT, msg: "archive it before deleting it"},
		{name: "restored (active again) refused",
			given: []domain.Event{ann, archived, restored},
			when:  del,
			code:  domain.ECONFLICT, msg: "archive it before deleting it"},
		{name: "archived is deleted and its values are gone",
			given: []domain.Event{ann, updated("ann", change("phone", "", "0123 456")), archived},
			when:  del,
			then:  []domain.Event{deleted},
			state: func(t *testing.T, c *domain.Contact) {
				if c.Status != domain.StatusDeleted || len(c.Values) != 0 || c.Email() != "" || c.FirstName() != "" {
					t.Errorf("status %q values %v, want deleted with no values", c.Status, c.Values)
				}
			}},
		{name: "deleted again records nothing",
			given: []domain.Event{ann, archived, deleted},
			when:  del,
			then:  nil},
		{name: "merged refused",
			given: []domain.Event{ann, mergedTo},
			when:  del,
			code:  domain.ECONFLICT, msg: "cannot delete contact ann: it was merged into bob"},
	})
}

func TestDeletedSurvivorKeepsWhomItAbsorbed(t *testing.T) {
	absorbed := domain.DuplicatesAbsorbed{ContactID: "ann", MergeID: "m1", DuplicateIDs: []string{"d1", "d2"},
		Changes: []domain.Change{from(change("last_name", "", "Two"), "d2")}}
	c := given(ann, absorbed, archived, deleted)
	if c.Status != domain.StatusDeleted || len(c.Values) != 0 || c.Absorbed != nil {
		t.Errorf("status %q values %v absorbed %v, want deleted with no values nor absorbed values", c.Status, c.Values, c.Absorbed)
	}
	if !reflect.DeepEqual(c.MergeOf, map[string][]string{"m1": {"d1", "d2"}}) {
		t.Errorf("MergeOf %v, want the absorbed duplicates' IDs kept (to finish deleting them)", c.MergeOf)
	}
}

func TestDeleteWithSurvivor(t *testing.T) {
	// "ann" merged into "bob" by m0 (mergedTo); bob absorbed it.
	bobAbsorbed := domain.DuplicatesAbsorbed{ContactID: "bob", MergeID: "m0", DuplicateIDs: []string{"ann"}}
	bob := registered("bob", val("first_name", "Bob"))
	bobArchived := domain.ContactArchived{ContactID: "bob"}
	bobDeleted := domain.ContactDeleted{ContactID: "bob"}
	with := func(survivor ...domain.Event) func(*domain.Contact) ([]domain.Event, error) {
		return func(c *domain.Contact) ([]domain.Event, error) { return c.DeleteWithSurvivor(given(survivor...)) }
	}
	runContactCases(t, []contactCase{
		{name: "duplicate of a deleted survivor is deleted, values gone",
			given: []domain.Event{ann, mergedTo},
			when:  with(bob, bobAbsorbed, bobArchived, bobDeleted),
			then:  []domain.Event{deleted},
			state: func(t *testing.T, c *domain.Contact) {
				if c.Status != domain.StatusDeleted || len(c.Values) != 0 {
					t.Errorf("status %q values %v, want deleted with no values", c.Status, c.Values)
				}
			}},
		{name: "archived before the merge: deleted too",
			given: []domain.Event{ann, archived, mergedTo},
			when:  with(bob, bobAbsorbed, bobArchived, bobDeleted),
			then:  []domain.Event{deleted}},
		{name: "already deleted records nothing (a retried cascade)",
			given: []domain.Event{ann, mergedTo, deleted},
			when:  with(bob, bobAbsorbed, bobArchived, bobDeleted),
			then:  nil},
		{name: "survivor only archived refused",
			given: []domain.Event{ann, mergedTo},
			when:  with(bob, bobAbsorbed, bobArchived),
			code:  domain.ECONFLICT, msg: "bob is not deleted"},
		{name: "survivor that never absorbed it (interrupted merge) refused",
			given: []domain.Event{ann, mergedTo},
			when:  with(bob, bobArchived, bobDeleted),
			code:  domain.ECONFLICT, msg: "not merged into it"},
		{name: "merged into another survivor refused",
			given: []domain.Event{ann, domain.ContactMerged{ContactID: "ann", SurvivorID: "zed", MergeID: "m0"}},
			when:  with(bob, bobAbsorbed, bobArchived, bobDeleted),
			code:  domain.ECONFLICT, msg: "not merged into it"},
		{name: "active contact refused",
			given: []domain.Event{ann},
			when:  with(bob, bobAbsorbed, bobArchived, bobDeleted),
			code:  domain.ECONFLICT, msg: "not merged into it"},
		{name: "archived, not merged, refused",
			given: []domain.Event{ann, archived},
			when:  with(bob, bobAbsorbed, bobArchived, bobDeleted),
			code:  domain.ECONFLICT, msg: "not merged into it"},
	})
}

// Merge fixtures: survivor "sam" and duplicates d1..d3.
var (
	sam = registered("sam", val("first_name", "Sam"))
	d1  = registered("d1", val("first_name", "Dee"))
	d2  = registered("d2", val("last_name", "Two"), val("email", "two@example.org"))
	d3  = registered("d3", val("email", "three@example.org"), val("phone", "0333 333"))
)

func TestMergeContacts(t *testing.T) {
	community := testCommunity()
	many := func(n int) [][]domain.Event {
		out := make([][]domain.Event, n)
		for i := range out {
			out[i] = []domain.Event{registered(fmt.Sprintf("dup%d", i), val("first_name", fmt.Sprintf("Dup %d", i)))}
		}
		return out
	}
	manyIDs := func(n int) []string {
		ids := make([]string, n)
		for i := range ids {
			ids[i] = fmt.Sprintf("dup%d", i)
		}
		return ids
	}
	cases := []struct {
		name             string
		survivor         []domain.Event
		duplicates       [][]domain.Event
		take             map[string]string
		then             []domain.Event
		code, field, msg string
	}{
		{name: "survivor keeps its values; the first duplicate with a value fills an empty field",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{d1}, {d2}, {d3}},
			then: []domain.Event{domain.DuplicatesAbsorbed{ContactID: "sam", MergeID: "m1", DuplicateIDs: []string{"d1", "d2", "d3"},
				Changes: []domain.Change{
					from(change("email", "", "two@example.org"), "d2"),
					from(change("last_name", "", "Two"), "d2"),
					from(change("phone", "", "0333 333"), "d3"),
				}}}},
		{name: "order of duplicates decides who fills",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{d3}, {d2}},
			then: []domain.Event{domain.DuplicatesAbsorbed{ContactID: "sam", MergeID: "m1", DuplicateIDs: []string{"d3", "d2"},
				Changes: []domain.Change{
					from(change("email", "", "three@example.org"), "d3"),
					from(change("last_name", "", "Two"), "d2"),
					from(change("phone", "", "0333 333"), "d3"),
				}}}},
		{name: "take picks a duplicate's value over the survivor's",
			survivor:   []domain.Event{registered("sam", val("first_name", "Sam"), val("email", "sam@example.org"))},
			duplicates: [][]domain.Event{{d2}, {d3}},
			take:       map[string]string{"email": "d3", "first_name": "d2"},
			then: []domain.Event{domain.DuplicatesAbsorbed{ContactID: "sam", MergeID: "m1", DuplicateIDs: []string{"d2", "d3"},
				Changes: []domain.Change{
					from(change("email", "sam@example.org", "three@example.org"), "d3"),
					from(change("first_name", "Sam", ""), "d2"),
					from(change("last_name", "", "Two"), "d2"),
					from(change("phone", "", "0333 333"), "d3"),
				}}}},
		{name: "nothing to take still records the merge",
			survivor:   []domain.Event{registered("sam", val("first_name", "Sam"), val("email", "sam@example.org"))},
			duplicates: [][]domain.Event{{d1}},
			then:       []domain.Event{domain.DuplicatesAbsorbed{ContactID: "sam", MergeID: "m1", DuplicateIDs: []string{"d1"}}}},
		{name: "archived duplicate can be merged",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{d2, domain.ContactArchived{ContactID: "d2"}}},
			then: []domain.Event{domain.DuplicatesAbsorbed{ContactID: "sam", MergeID: "m1", DuplicateIDs: []string{"d2"},
				Changes: []domain.Change{from(change("email", "", "two@example.org"), "d2"), from(change("last_name", "", "Two"), "d2")}}}},
		{name: "ten duplicates accepted",
			survivor:   []domain.Event{registered("sam", val("first_name", "Sam"))},
			duplicates: many(10),
			then:       []domain.Event{domain.DuplicatesAbsorbed{ContactID: "sam", MergeID: "m1", DuplicateIDs: manyIDs(10)}}},
		{name: "eleven duplicates refused",
			survivor:   []domain.Event{sam},
			duplicates: many(11),
			code:       domain.EINVALID, field: "duplicates", msg: "1 to 10"},
		{name: "no duplicate refused",
			survivor: []domain.Event{sam},
			code:     domain.EINVALID, field: "duplicates", msg: "1 to 10"},
		{name: "self-merge refused",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{d1}, {sam}},
			code:       domain.EINVALID, field: "duplicates", msg: "cannot be merged into itself"},
		{name: "duplicate listed twice refused",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{d1}, {d2}, {d1}},
			code:       domain.EINVALID, field: "duplicates", msg: "d1 is listed twice"},
		{name: "duplicate of another community refused",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{domain.ContactRegistered{ContactID: "far", CommunityID: "community-2", Values: []domain.Value{val("first_name", "Far")}}}},
			code:       domain.ENOTFOUND, field: "duplicates", msg: "contact far not found"},
		{name: "duplicate that does not exist refused",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{}},
			code:       domain.ENOTFOUND, field: "duplicates", msg: "not found"},
		{name: "deleted duplicate refused",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{d1, domain.ContactArchived{ContactID: "d1"}, domain.ContactDeleted{ContactID: "d1"}}},
			code:       domain.ECONFLICT, msg: "cannot merge contact d1: it was deleted"},
		{name: "duplicate merged elsewhere refused",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{d1, domain.ContactMerged{ContactID: "d1", SurvivorID: "zed", MergeID: "m0"}}},
			code:       domain.ECONFLICT, msg: "cannot merge contact d1: it was merged into zed"},
		{name: "archived survivor refused",
			survivor:   []domain.Event{sam, domain.ContactArchived{ContactID: "sam"}},
			duplicates: [][]domain.Event{{d1}},
			code:       domain.ECONFLICT, msg: "cannot merge into contact sam: it is archived"},
		{name: "merged survivor refused",
			survivor:   []domain.Event{sam, domain.ContactMerged{ContactID: "sam", SurvivorID: "zed", MergeID: "m0"}},
			duplicates: [][]domain.Event{{d1}},
			code:       domain.ECONFLICT, msg: "merged into zed"},
		{name: "take of an unknown field refused",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{d1}},
			take:       map[string]string{"nickname": "d1"},
			code:       domain.EINVALID, field: "take.nickname", msg: "not a field"},
		{name: "take of a contact that is not a duplicate refused",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{d1}},
			take:       map[string]string{"email": "d2"},
			code:       domain.EINVALID, field: "take.email", msg: "d2 is not one of the duplicates"},
		{name: "take of the survivor itself refused",
			survivor:   []domain.Event{sam},
			duplicates: [][]domain.Event{{d1}},
			take:       map[string]string{"email": "sam"},
			code:       domain.EINVALID, field: "take.email", msg: "not one of the duplicates"},
		{name: "take leaving the survivor with no name nor email refused",
			survivor: []domain.Event{registered("sam", val("first_name", "Sam"), val("last_name", "Smith"))},
			duplicates: [][]domain.Event{
				{registered("d1", val("last_name", "Lee"))},
				{registered("d2", val("first_name", "Dan"))},
			},
			take: map[string]string{"first_name": "d1", "last_name": "d2"},
			code: domain.EINVALID, field: "take", msg: "no first name, last name or email"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			survivor := given(tc.survivor...)
			dups := make([]*domain.Contact, len(tc.duplicates))
			for i, events := range tc.duplicates {
				dups[i] = given(events...)
				if len(events) == 0 {
					dups[i].ID = "ghost"
				}
			}
			events, err := survivor.Merge(community, "m1", dups, tc.take)
			if tc.code != "" {
				wantErr(t, err, tc.code, tc.field, tc.msg)
				if events != nil {
					t.Fatalf("refused merge recorded %#v", events)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !reflect.DeepEqual(events, tc.then) {
				t.Fatalf("events differ\ngot  %#v\nwant %#v", events, tc.then)
			}
		})
	}
}

func TestMergedState(t *testing.T) {
	community := testCommunity()
	survivor := given(sam)
	events, err := survivor.Merge(community, "m1", []*domain.Contact{given(d1), given(d2), given(d3)}, nil)
	if err != nil {
		t.Fatal(err)
	}
	after := given(append([]domain.Event{sam}, events...)...)
	want := map[string]string{"first_name": "Sam", "last_name": "Two", "email": "two@example.org", "f-phone": "0333 333"}
	if !reflect.DeepEqual(after.Values, want) {
		t.Errorf("survivor values %v, want %v", after.Values, want)
	}
	if got := after.MergeOf["m1"]; !reflect.DeepEqual(got, []string{"d1", "d2", "d3"}) {
		t.Errorf("survivor MergeOf[m1] = %v, want [d1 d2 d3]", got)
	}
	if got := len(after.Absorbed["m1"]); got != 3 {
		t.Errorf("survivor absorbed %d changes, want 3", got)
	}

	dup := given(d2)
	events, err = dup.MergeInto("sam", "m1")
	if err != nil {
		t.Fatal(err)
	}
	want2 := []domain.Event{domain.ContactMerged{ContactID: "d2", SurvivorID: "sam", MergeID: "m1"}}
	if !reflect.DeepEqual(events, want2) {
		t.Fatalf("duplicate events %#v, want %#v", events, want2)
	}
	merged := given(append([]domain.Event{d2}, events...)...)
	if merged.Status != domain.StatusMerged || merged.MergedInto != "sam" || merged.StatusBeforeMerge != domain.StatusActive {
		t.Errorf("duplicate status %q into %q before %q, want merged into sam, before active", merged.Status, merged.MergedInto, merged.StatusBeforeMerge)
	}
	if merged.Email() != "two@example.org" {
		t.Errorf("merged duplicate lost its values: %v", merged.Values)
	}
}

func TestMergeInto(t *testing.T) {
	into := func(c *domain.Contact) ([]domain.Event, error) { return c.MergeInto("bob", "m1") }
	runContactCases(t, []contactCase{
		{name: "active duplicate merged",
			given: []domain.Event{ann},
			when:  into,
			then:  []domain.Event{domain.ContactMerged{ContactID: "ann", SurvivorID: "bob", MergeID: "m1"}}},
		{name: "archived duplicate merged, remembering it was archived",
			given: []domain.Event{ann, archived},
			when:  into,
			then:  []domain.Event{domain.ContactMerged{ContactID: "ann", SurvivorID: "bob", MergeID: "m1"}},
			state: func(t *testing.T, c *domain.Contact) {
				if c.StatusBeforeMerge != domain.StatusArchived {
					t.Errorf("status before merge %q, want archived", c.StatusBeforeMerge)
				}
			}},
		{name: "already merged into the same survivor records nothing (retried merge)",
			given: []domain.Event{ann, mergedTo},
			when:  into,
			then:  nil},
		{name: "merged into another survivor refused",
			given: []domain.Event{ann, domain.ContactMerged{ContactID: "ann", SurvivorID: "zed", MergeID: "m0"}},
			when:  into,
			code:  domain.ECONFLICT, msg: "merged into zed"},
		{name: "deleted refused",
			given: []domain.Event{ann, archived, deleted},
			when:  into,
			code:  domain.ECONFLICT, msg: "it was deleted"},
	})
}

func TestUnmerge(t *testing.T) {
	absorbed := domain.DuplicatesAbsorbed{ContactID: "sam", MergeID: "m1", DuplicateIDs: []string{"d2", "d3"},
		Changes: []domain.Change{
			from(change("email", "", "two@example.org"), "d2"),
			from(change("last_name", "", "Two"), "d2"),
			from(change("phone", "", "0333 333"), "d3"),
		}}
	takenOver := domain.DuplicatesAbsorbed{ContactID: "sam", MergeID: "m1", DuplicateIDs: []string{"d2"},
		Changes: []domain.Change{from(change("first_name", "Sam", "Dee"), "d2")}}
	unmerge := func(dup string) func(*domain.Contact) ([]domain.Event, error) {
		return func(c *domain.Contact) ([]domain.Event, error) {
			events, mergeID, err := c.Unmerge(dup)
			if err == nil && mergeID != "m1" {
				return nil, fmt.Errorf("merge ID %q, want m1", mergeID)
			}
			return events, err
		}
	}
	runContactCases(t, []contactCase{
		{name: "gives back the values taken from that duplicate only",
			given: []domain.Event{sam, absorbed},
			when:  unmerge("d2"),
			then: []domain.Event{domain.DuplicateReleased{ContactID: "sam", MergeID: "m1", DuplicateID: "d2",
				Changes: []domain.Change{
					from(change("email", "two@example.org", ""), "d2"),
					from(change("last_name", "Two", ""), "d2"),
				}}},
			state: func(t *testing.T, c *domain.Contact) {
				want := map[string]string{"first_name": "Sam", "f-phone": "0333 333"}
				if !reflect.DeepEqual(c.Values, want) {
					t.Errorf("survivor values %v, want %v", c.Values, want)
				}
				// What it took from d3 stays, to give back; d2's is settled.
				if !reflect.DeepEqual(c.MergeOf["m1"], []string{"d3"}) || len(c.Absorbed["m1"]) != 1 || c.Absorbed["m1"][0].From != "d3" {
					t.Errorf("MergeOf %v Absorbed %v, want d3 still absorbed by m1", c.MergeOf, c.Absorbed)
				}
			}},
		{name: "gives back the survivor's own value a take replaced",
			given: []domain.Event{sam, takenOver},
			when:  unmerge("d2"),
			then: []domain.Event{domain.DuplicateReleased{ContactID: "sam", MergeID: "m1", DuplicateID: "d2",
				Changes: []domain.Change{from(change("first_name", "Dee", "Sam"), "d2")}}}},
		{name: "values changed since are kept and listed",
			given: []domain.Event{sam, absorbed, updated("sam", change("last_name", "Two", "Twain"))},
			when:  unmerge("d2"),
			then: []domain.Event{domain.DuplicateReleased{ContactID: "sam", MergeID: "m1", DuplicateID: "d2",
				Changes: []domain.Change{from(change("email", "two@example.org", ""), "d2")},
				Kept:    []string{"last_name"}}}},
		{name: "a value cleared since is kept (not brought back)",
			given: []domain.Event{sam, absorbed, updated("sam", change("phone", "0333 333", ""))},
			when:  unmerge("d3"),
			then: []domain.Event{domain.DuplicateReleased{ContactID: "sam", MergeID: "m1", DuplicateID: "d3",
				Kept: []string{"phone"}}}},
		{name: "last duplicate released forgets the merge",
			given: []domain.Event{sam, absorbed, domain.DuplicateReleased{ContactID: "sam", MergeID: "m1", DuplicateID: "d2",
				Changes: []domain.Change{from(change("email", "two@example.org", ""), "d2"), from(change("last_name", "Two", ""), "d2")}}},
			when: unmerge("d3"),
			then: []domain.Event{domain.DuplicateReleased{ContactID: "sam", MergeID: "m1", DuplicateID: "d3",
				Changes: []domain.Change{from(change("phone", "0333 333", ""), "d3")}}},
			state: func(t *testing.T, c *domain.Contact) {
				if len(c.MergeOf) != 0 || len(c.Absorbed) != 0 {
					t.Errorf("MergeOf %v Absorbed %v, want both empty", c.MergeOf, c.Absorbed)
				}
				if !reflect.DeepEqual(c.Values, map[string]string{"first_name": "Sam"}) {
					t.Errorf("survivor values %v, want only its own first name", c.Values)
				}
			}},
		{name: "duplicate already released refused",
			given: []domain.Event{sam, absorbed, domain.DuplicateReleased{ContactID: "sam", MergeID: "m1", DuplicateID: "d2"}},
			when:  unmerge("d2"),
			code:  domain.ENOTFOUND, field: "duplicate", msg: "d2 was not merged into sam"},
		{name: "contact never merged refused",
			given: []domain.Event{sam, absorbed},
			when:  unmerge("d1"),
			code:  domain.ENOTFOUND, field: "duplicate", msg: "d1 was not merged into sam"},
		{name: "giving back that leaves no name nor email refused",
			given: []domain.Event{sam, absorbed, updated("sam", change("first_name", "Sam", ""), change("last_name", "Two", ""))},
			when:  unmerge("d2"),
			code:  domain.ECONFLICT, msg: "no name or email"},
		{name: "archived survivor refused",
			given: []domain.Event{sam, absorbed, domain.ContactArchived{ContactID: "sam"}},
			when:  unmerge("d2"),
			code:  domain.ECONFLICT, msg: "cannot unmerge contact sam: it is archived"},
	})
}

func TestUnmergeFrom(t *testing.T) {
	back := func(c *domain.Contact) ([]domain.Event, error) { return c.UnmergeFrom("bob", "m0") }
	runContactCases(t, []contactCase{
		{name: "merged duplicate comes back active with its values",
			given: []domain.Event{ann, mergedTo},
			when:  back,
			then:  []domain.Event{domain.ContactUnmerged{ContactID: "ann", SurvivorID: "bob", MergeID: "m0"}},
			state: func(t *testing.T, c *domain.Contact) {
				if c.Status != domain.StatusActive || c.MergedInto != "" || c.Email() != "ann@example.org" || c.FirstName() != "Ann" {
					t.Errorf("status %q into %q values %v, want active, not merged, with its values", c.Status, c.MergedInto, c.Values)
				}
			}},
		{name: "duplicate archived before the merge comes back archived",
			given: []domain.Event{ann, archived, mergedTo},
			when:  back,
			then:  []domain.Event{domain.ContactUnmerged{ContactID: "ann", SurvivorID: "bob", MergeID: "m0"}},
			state: func(t *testing.T, c *domain.Contact) {
				if c.Status != domain.StatusArchived {
					t.Errorf("status %q, want archived", c.Status)
				}
			}},
		{name: "merged into another survivor refused",
			given: []domain.Event{ann, domain.ContactMerged{ContactID: "ann", SurvivorID: "zed", MergeID: "m0"}},
			when:  back,
			code:  domain.ECONFLICT, field: "duplicate", msg: "ann is not merged into bob"},
		{name: "active contact refused",
			given: []domain.Event{ann},
			when:  back,
			code:  domain.ECONFLICT, field: "duplicate", msg: "ann is not merged into bob"},
		{name: "already unmerged refused",
			given: []domain.Event{ann, mergedTo, domain.ContactUnmerged{ContactID: "ann", SurvivorID: "bob", MergeID: "m0"}},
			when:  back,
			code:  domain.ECONFLICT, field: "duplicate", msg: "not merged into bob"},
	})
}
