package esdb

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/EventStore/EventStore-Client-Go/v4/esdb"

	"github.com/assoc/contacts/domain"
)

// clientError translates an error of the client into the port's terms, in
// one place. The client's errors are *esdb.Error, possibly wrapped, told
// apart by Code() (esdb.FromError misses wrapped ones).
func clientError(ctx context.Context, what string, err error) error {
	if cerr := ctxErr(ctx); cerr != nil {
		return fmt.Errorf("%s: %w", what, cerr)
	}
	var e *esdb.Error
	if !errors.As(err, &e) {
		return fmt.Errorf("%s: %w", what, err)
	}
	switch e.Code() {
	case esdb.ErrorCodeResourceNotFound:
		return domain.ErrStreamNotFound
	case esdb.ErrorCodeStreamDeleted:
		return fmt.Errorf("%s: %w", what, domain.ErrStreamNotFound)
	case esdb.ErrorUnavailable, esdb.ErrorCodeDeadlineExceeded, esdb.ErrorCodeNotLeader,
		esdb.ErrorCodeConnectionClosed, esdb.ErrorAborted:
		return domain.Errorf(domain.EUNAVAILABLE, "%s: %v", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// ctxErr is ctx.Err(), or context.DeadlineExceeded once ctx's deadline
// has passed though its timer has not fired yet: gRPC enforces a call's
// deadline with a timer of its own, which may fire first, and the call's
// error must still read as the caller's deadline.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
		return context.DeadlineExceeded
	}
	return nil
}

// currentRevision finds the stream's revision in the client's wrong
// expected version message, which carries no field for it ("expecting '1'
// but got '3'", "… but got 'no_stream'").
var currentRevision = regexp.MustCompile(`but got '([^']*)'`)

// actualVersion returns the stream's version a wrong expected version
// error reports, and false when the message does not say.
func actualVersion(err error) (int64, bool) {
	m := currentRevision.FindStringSubmatch(err.Error())
	if m == nil {
		return 0, false
	}
	if m[1] == "no_stream" {
		return 0, true
	}
	rev, perr := strconv.ParseInt(m[1], 10, 64)
	if perr != nil || rev < 0 {
		return 0, false
	}
	return rev + 1, true
}
