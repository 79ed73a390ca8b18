package http

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"syscall"
	"testing"

	"github.com/assoc/contacts/domain"
)

// sqlStateError is a driver's error carrying a SQLSTATE.
type sqlStateError string

func (e sqlStateError) Error() string    { return "server said " + string(e) }
func (e sqlStateError) SQLState() string { return string(e) }

func TestProblemOfUnreachableDatabase(t *testing.T) {
	dial := &net.OpError{Op: "dial", Net: "unix", Err: &net.AddrError{Err: "no such file", Addr: "/tmp/x"}}
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"dial failed", fmt.Errorf("connect: %w", dial), http.StatusServiceUnavailable},
		{"connection refused", fmt.Errorf("connect: %w", syscall.ECONNREFUSED), http.StatusServiceUnavailable},
		{"connection reset", fmt.Errorf("read: %w", syscall.ECONNRESET), http.StatusServiceUnavailable},
		{"server gone mid-answer", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), http.StatusServiceUnavailable},
		{"connection failure (08006)", fmt.Errorf("query: %w", sqlStateError("08006")), http.StatusServiceUnavailable},
		{"admin shutdown (57P01)", sqlStateError("57P01"), http.StatusServiceUnavailable},
		{"crash shutdown (57P02)", sqlStateError("57P02"), http.StatusServiceUnavailable},
		{"starting up (57P03)", sqlStateError("57P03"), http.StatusServiceUnavailable},
		{"unique violation (23505)", sqlStateError("23505"), http.StatusInternalServerError},
		{"query canceled (57014)", sqlStateError("57014"), http.StatusInternalServerError},
		{"a bug", errors.New("nil map"), http.StatusInternalServerError},
		{"context canceled", context.Canceled, http.StatusInternalServerError},
		{"coded error wins", fmt.Errorf("%w: %w", domain.Errorf(domain.ECONFLICT, "taken"), dial), http.StatusConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, internal := problemOf(tc.err)
			if p.Status != tc.want {
				t.Errorf("problemOf(%v) = %d, want %d", tc.err, p.Status, tc.want)
			}
			if tc.want >= http.StatusInternalServerError && !internal {
				t.Errorf("problemOf(%v) not internal: the error would not be logged", tc.err)
			}
		})
	}
}
