// Command fakeesdb runs the in-process fake EventStoreDB of package
// esdbtest on its own, for trying the service without a real server:
//
//	go run ./eventstore/esdb/esdbtest/fakeesdb -addr 127.0.0.1:2113
//	EVENTSTORE_URL='esdb://127.0.0.1:2113?tls=false' go run ./cmd/contacts serve
//
// Its log lives in memory and is lost when it stops.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"syscall"

	"github.com/assoc/contacts/eventstore/esdb/esdbtest"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:2113", "listen address")
	flag.Parse()
	srv, err := esdbtest.Start(*addr)
	if err != nil {
		log.Fatalf("fakeesdb: %v", err)
	}
	fmt.Printf("fake EventStoreDB listening; EVENTSTORE_URL=%s\n", srv.URL())
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	select {
	case <-sig:
		srv.Close()
	case err := <-waitErr(srv):
		log.Fatalf("fakeesdb: %v", err)
	}
}

func waitErr(srv *esdbtest.Server) <-chan error {
	ch := make(chan error, 1)
	go func() { ch <- srv.Wait() }()
	return ch
}
