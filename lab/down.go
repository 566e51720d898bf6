// This file takes a lab down, from its name alone: it must work after a
// crash, a killed Up, or with the topology file gone (containerlab issues
// #1444, #1978, #842 are what happens otherwise).

package lab

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Down stops every process the lab started, deletes its namespaces (and so
// every veth) and removes its state. It is idempotent.
func (l *Lab) Down(ctx context.Context) error { return Down(ctx, l.Topo.Name, l.opts) }

// Down takes down the lab called name, whatever state it is in.
func Down(ctx context.Context, name string, opts Options) error {
	if !nameRE.MatchString(name) {
		return fmt.Errorf("lab: %q is not a lab name", name)
	}
	opts.setDefaults()
	dir := filepath.Join(opts.StateRoot, name)
	nss, err := labNamespaces(name)
	if err != nil {
		return err
	}
	inodes := map[uint64]string{}
	for _, ns := range nss {
		if ino, ok := netnsInode(filepath.Join(netnsDir, ns)); ok {
			inodes[ino] = ns
		}
	}
	pids := labPids(name, dir, inodes)
	var errs []error
	if len(pids) > 0 {
		opts.Logger.Info("lab down: stopping processes", "lab", name, "count", len(pids))
		if err := stopProcesses(ctx, pids); err != nil {
			errs = append(errs, err)
		}
	}
	for _, ns := range nss {
		if err := deleteNetns(ns); err != nil {
			errs = append(errs, err)
		}
	}
	// FRR pathspaces of the lab's nodes.
	for _, base := range []string{frrEtc, frrRun} {
		ents, _ := os.ReadDir(base)
		for _, e := range ents {
			if e.IsDir() && strings.HasPrefix(e.Name(), nsPrefix(name)) {
				if err := os.RemoveAll(filepath.Join(base, e.Name())); err != nil {
					errs = append(errs, err)
				}
			}
		}
	}
	if err := os.RemoveAll(dir); err != nil {
		errs = append(errs, err)
	}
	if len(errs) == 0 {
		opts.Logger.Info("lab down", "lab", name, "namespaces", len(nss))
	}
	return errors.Join(errs...)
}

// labPids returns the processes the lab started: those named by its pid
// files (FRR's in its pathspaces, snmpd's and lldpd's in the state dir)
// that still live in one of its namespaces or run a program the lab runs,
// and any other process living in one of its namespaces (a killed Up may
// not have written every pid file; `vigie-lab exec` starts processes there
// too). Nothing outside the lab can live in the lab's namespaces.
func labPids(name, dir string, inodes map[uint64]string) map[int]bool {
	pids := map[int]bool{}
	files, _ := filepath.Glob(filepath.Join(frrRun, nsPrefix(name)+"*", "*.pid"))
	fs, _ := filepath.Glob(filepath.Join(dir, "nodes", "*", "*.pid"))
	files = append(files, fs...)
	for _, f := range files {
		pid, err := strconv.Atoi(readTrim(f))
		if err != nil || pid <= 1 || pid == os.Getpid() {
			continue
		}
		if inLab(pid, inodes) || runsLabDaemon(pid, name, dir) {
			pids[pid] = true
		}
	}
	if len(inodes) > 0 {
		procs, _ := os.ReadDir("/proc")
		for _, p := range procs {
			pid, err := strconv.Atoi(p.Name())
			if err != nil || pid == os.Getpid() {
				continue
			}
			if inLab(pid, inodes) {
				pids[pid] = true
			}
		}
	}
	return pids
}

func inLab(pid int, inodes map[uint64]string) bool {
	ino, ok := netnsInode(fmt.Sprintf("/proc/%d/ns/net", pid))
	if !ok {
		return false
	}
	_, in := inodes[ino]
	return in
}

// runsLabDaemon tells whether a pid from a pid file still runs one of the
// daemons this lab started (the pid may have been reused since a crash):
// the program must be one the lab runs and its command line must name the
// lab's state directory or FRR pathspace.
func runsLabDaemon(pid int, name, dir string) bool {
	exe, err := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
	if err != nil {
		return false
	}
	exe = strings.TrimSuffix(exe, " (deleted)")
	if !strings.HasPrefix(exe, frrLibDir+"/") && exe != "/usr/sbin/snmpd" && exe != "/usr/sbin/lldpd" {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return false
	}
	cmdline := string(b)
	return strings.Contains(cmdline, dir+"/") || strings.Contains(cmdline, "\x00"+nsPrefix(name))
}

// stopProcesses sends SIGTERM, waits up to 5 s, then SIGKILLs what is left.
func stopProcesses(ctx context.Context, pids map[int]bool) error {
	for pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGTERM)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(pids) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		for pid := range pids {
			if !alive(pid) {
				delete(pids, pid)
			}
		}
		if len(pids) > 0 {
			time.Sleep(50 * time.Millisecond)
		}
	}
	for pid := range pids {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	time.Sleep(100 * time.Millisecond)
	var left []string
	for pid := range pids {
		if alive(pid) {
			left = append(left, strconv.Itoa(pid))
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("lab: processes %s survived SIGKILL", strings.Join(left, ", "))
	}
	return nil
}

// alive tells whether pid is a live process (a zombie counts as gone).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	s := string(b)
	if i := strings.LastIndexByte(s, ')'); i >= 0 && i+2 < len(s) {
		return s[i+2] != 'Z'
	}
	return true
}
