// Package storetest is the contract suite of the domain.EventStore port.
// Every backend runs it from its own tests:
//
//	func TestContract(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) domain.EventStore {
//			return newEmptyStore(t) // a store over a fresh, empty log
//		})
//	}
//
// Each case gets its own store from the factory, so most cases run in
// parallel. The stress case is skipped with -short.
//
// Beyond the port's comments, the suite assumes that ReadStream sees an append
// as soon as Append returns, that appends made one after the other are in the
// log in that order, and that ReadAll shows committed events within a few
// seconds (it may hold them back meanwhile, as the port allows).
package storetest

import (
	"testing"

	"github.com/assoc/contacts/domain"
)

// testCase is one case of the suite. serial cases do not call t.Parallel.
type testCase struct {
	name   string
	run    func(t *testing.T, s domain.EventStore)
	serial bool
}

// group is a set of cases on one method or property of the port.
type group struct {
	name  string
	cases []testCase
}

// Option changes how Run runs the suite.
type Option func(*options)

type options struct {
	except map[string]string // "Group/Case" -> why it is skipped
}

// Except skips the case named "Group/Case" (such as
// "Idempotency/IDsStoredInAnotherStream") with reason, for a backend that
// cannot keep that part of the contract. The skip shows in the test output,
// and the backend's docs must say so too.
func Except(name, reason string) Option {
	return func(o *options) { o.except[name] = reason }
}

// Run runs the contract suite against stores made by newStore; each call must
// return a store over an empty log of its own.
func Run(t *testing.T, newStore func(t *testing.T) domain.EventStore, opts ...Option) {
	o := options{except: map[string]string{}}
	for _, opt := range opts {
		opt(&o)
	}
	groups := []group{
		{"Append", appendCases},
		{"ExpectedVersion", expectedVersionCases},
		{"Idempotency", idempotencyCases},
		{"ReadStream", readStreamCases},
		{"ReadAll", readAllCases},
		{"Subscribe", subscribeCases},
		{"Concurrency", concurrencyCases},
		{"Stress", stressCases},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) {
					if reason, ok := o.except[g.name+"/"+c.name]; ok {
						t.Skip(reason)
					}
					if !c.serial {
						t.Parallel()
					}
					c.run(t, newStore(t))
				})
			}
		})
	}
}
