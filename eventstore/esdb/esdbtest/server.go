// Package esdbtest is an in-process fake of the EventStoreDB gRPC server,
// for tests: the Streams service (append with the four kinds of expected
// revision and the real server's idempotency, reads of one stream and of
// $all in both directions, catch-up subscriptions with stream or event
// type filters, soft and hard deletes) on the client module's own
// generated interfaces, over a real gRPC connection. Other services
// answer Unimplemented; the client takes that as a server without
// optional features. Everything is in memory.
//
// It is faithful where the backend's behaviour depends on the server
// (revisions from 0, inclusive $all reads and exclusive subscription
// starts, idempotent retries answered without a position, system events in
// $all) and simple elsewhere (one lock, no authentication, no TLS).
package esdbtest

import (
	"net"
	"testing"

	"google.golang.org/grpc"

	api "github.com/EventStore/EventStore-Client-Go/v4/protos/streams"
)

// Server is a running fake.
type Server struct {
	api.UnimplementedStreamsServer
	store *store
	grpc  *grpc.Server
	lis   net.Listener
	done  chan struct{} // closed when Serve returns
	err   error         // what Serve returned
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves until
// Close.
func Start(addr string) (*Server, error) {
	lis, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	f := &Server{store: newStore(), grpc: grpc.NewServer(), lis: lis, done: make(chan struct{})}
	api.RegisterStreamsServer(f.grpc, f)
	go func() { f.err = f.grpc.Serve(lis); close(f.done) }()
	return f, nil
}

// New starts a fake on a free local port for the test, and stops it when
// the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	f, err := Start("127.0.0.1:0")
	if err != nil {
		t.Fatalf("start fake EventStoreDB: %v", err)
	}
	t.Cleanup(f.Close)
	return f
}

// Addr is the address the fake listens on.
func (f *Server) Addr() string { return f.lis.Addr().String() }

// URL is the connection string a client uses to reach the fake.
func (f *Server) URL() string { return "esdb://" + f.Addr() + "?tls=false" }

// Close stops the fake, ending open subscriptions.
func (f *Server) Close() {
	f.grpc.Stop()
	<-f.done
}

// Wait blocks until the fake stops serving and returns why.
func (f *Server) Wait() error {
	<-f.done
	return f.err
}
