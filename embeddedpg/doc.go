// Package embeddedpg runs a private PostgreSQL server from the machine's own
// binaries, for development and tests.
//
// Everything lives under one folder (Config.DataDir): the cluster in pgdata,
// the unix socket in socket, the server log in postgres.log. The server
// listens on no TCP address, only on its private unix socket, so instances
// never compete for ports. The first Start runs initdb; later Starts reuse the
// data. As root, initdb and postgres run as the "postgres" OS account, since
// PostgreSQL refuses to run as root.
//
// Supervise keeps a server running: it starts it again when it dies.
// StopLeftover stops a server whose owner died and left it running. A start
// after a crash first ends the processes the dead server left behind.
//
// The package reads /proc to tell live servers from stale pid files, so it
// works on Linux only.
package embeddedpg
