// Command ferretdb is the MongoDB stand-in of kubeprint's real test node (image
// kubeprint.local/ferretdb:1): FerretDB v1's embeddable server with its SQLite backend (pure
// Go), behind a small MongoDB wire-protocol relay.
//
// It is ours, not FerretDB's cmd/ferretdb, because that command refuses to start unless it
// was built from a FerretDB git checkout (build/version/version.txt); the embeddable package
// is the supported way to build FerretDB as a dependency.
//
// The relay listens on -listen and passes every message through unchanged to FerretDB on
// -backend (loopback), except one: in a createIndexes command it drops the index option
// expireAfterSeconds, which FerretDB v1 rejects ("not implemented yet") and Parse Server
// sends unconditionally at start-up (the TTL index of _Idempotency). The index is then
// created without expiry, and each dropped option is logged. Nothing else is changed.
//
// Usage: ferretdb [-listen ADDR] [-backend ADDR] [-sqlite-url URL] [-log-level LEVEL]
// Exits 0 on SIGTERM/SIGINT.
package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/bson"
)

const (
	opMsg          = 2013
	maxMessageSize = 48 << 20 // MongoDB's maxMessageSizeBytes
	checksumFlag   = 1
)

func main() {
	listen := flag.String("listen", "0.0.0.0:27017", "TCP address clients connect to")
	backend := flag.String("backend", "127.0.0.1:27018", "loopback TCP address of FerretDB itself")
	sqliteURL := flag.String("sqlite-url", "file:/data/db/", "SQLite URI of the directory holding the databases (one file each)")
	level := flag.String("log-level", "info", "debug, info, warn or error")
	flag.Parse()

	var l slog.Level
	if err := l.UnmarshalText([]byte(*level)); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb: -log-level: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l}))

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *backend},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: *sqliteURL,
	})
	if err != nil {
		logger.Error("start", "error", err)
		os.Exit(1)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		logger.Error("listen", "error", err)
		os.Exit(1)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	go func() {
		<-ctx.Done()
		_ = ln.Close()
	}()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				if ctx.Err() == nil {
					logger.Error("accept", "error", err)
				}
				return
			}
			go relay(c, *backend, logger)
		}
	}()
	logger.Info("serving", "listen", *listen, "backend", *backend, "sqlite", *sqliteURL)
	if err := f.Run(ctx); err != nil {
		logger.Error("run", "error", err)
		os.Exit(1)
	}
	logger.Info("stopped")
}

// relay copies one client connection to FerretDB and back, rewriting client messages.
func relay(c net.Conn, backend string, logger *slog.Logger) {
	defer c.Close()
	b, err := net.Dial("tcp", backend)
	if err != nil {
		logger.Error("dial backend", "error", err)
		return
	}
	defer b.Close()
	go func() {
		_, _ = io.Copy(c, b)
		_ = c.Close()
	}()
	r := bufio.NewReader(c)
	for {
		msg, err := readMessage(r)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				logger.Debug("client message", "error", err)
			}
			return
		}
		if _, err := b.Write(rewrite(msg, logger)); err != nil {
			return
		}
	}
}

// readMessage reads one whole wire-protocol message (header included).
func readMessage(r io.Reader) ([]byte, error) {
	var header [16]byte
	if _, err := io.ReadFull(r, header[:]); err != nil {
		return nil, err
	}
	n := int(int32(binary.LittleEndian.Uint32(header[:4])))
	if n < len(header) || n > maxMessageSize {
		return nil, fmt.Errorf("message length %d out of range", n)
	}
	msg := make([]byte, n)
	copy(msg, header[:])
	if _, err := io.ReadFull(r, msg[len(header):]); err != nil {
		return nil, err
	}
	return msg, nil
}

// rewrite drops expireAfterSeconds from the index specifications of an OP_MSG createIndexes
// command; any other message (or one it cannot parse) is returned as it is.
func rewrite(msg []byte, logger *slog.Logger) []byte {
	if len(msg) < 25 || binary.LittleEndian.Uint32(msg[12:16]) != opMsg ||
		binary.LittleEndian.Uint32(msg[16:20])&checksumFlag != 0 || msg[20] != 0 {
		return msg
	}
	docLen := int(int32(binary.LittleEndian.Uint32(msg[21:25])))
	if docLen < 5 || 21+docLen > len(msg) {
		return msg
	}
	var cmd bson.D
	if err := bson.Unmarshal(msg[21:21+docLen], &cmd); err != nil || len(cmd) == 0 ||
		cmd[0].Key != "createIndexes" {
		return msg
	}
	changed := false
	for i := range cmd {
		if cmd[i].Key != "indexes" {
			continue
		}
		indexes, ok := cmd[i].Value.(bson.A)
		if !ok {
			continue
		}
		for j, spec := range indexes {
			d, ok := spec.(bson.D)
			if !ok {
				continue
			}
			kept := d[:0:0]
			for _, e := range d {
				if e.Key == "expireAfterSeconds" {
					changed = true
					logger.Info("dropped index option FerretDB v1 does not implement",
						"collection", cmd[0].Value, "option", e.Key, "index", indexName(d))
					continue
				}
				kept = append(kept, e)
			}
			indexes[j] = kept
		}
	}
	if !changed {
		return msg
	}
	doc, err := bson.Marshal(cmd)
	if err != nil {
		logger.Error("re-encode createIndexes", "error", err)
		return msg
	}
	out := make([]byte, 0, len(msg)-docLen+len(doc))
	out = append(out, msg[:21]...)
	out = append(out, doc...)
	out = append(out, msg[21+docLen:]...)
	binary.LittleEndian.PutUint32(out[:4], uint32(len(out)))
	return out
}

func indexName(spec bson.D) any {
	for _, e := range spec {
		if e.Key == "name" {
			return e.Value
		}
	}
	return nil
}
