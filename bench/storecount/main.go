// Command storecount prints what a stopped vigie left in its store: the
// number of events, devices and links, one "name value" per line. It is the
// read-back side of bench/soak.sh ("nothing lost in the store"); it opens
// the file as vigie does (lock, consistency check), so run it only after
// vigie has exited.
package main

import (
	"fmt"
	"os"

	"github.com/vigie-rie/vigie/topology/store"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: storecount VIGIE.DB  (after vigie has stopped: the file is locked while it runs)")
		os.Exit(2)
	}
	s, err := store.Open(os.Args[1], store.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "storecount:", err)
		os.Exit(1)
	}
	defer s.Close()
	snap, err := s.Load()
	if err != nil {
		fmt.Fprintln(os.Stderr, "storecount:", err)
		os.Exit(1)
	}
	fmt.Printf("events %d\ndevices %d\nlinks %d\n", s.EventCount(), len(snap.Devices), len(snap.Links))
}
