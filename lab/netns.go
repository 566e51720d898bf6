// This file holds the lab's names (namespaces, state directory) and the few
// operations that must run with a thread inside a network namespace.

package lab

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

const (
	// netnsDir is where named namespaces are bind-mounted (as iproute2 does).
	netnsDir = "/run/netns"
	// mgmtIface is each node's management interface, as in containerlab.
	mgmtIface = "eth0"
	// mgmtBridge is the bridge in the lab's mgmt namespace.
	mgmtBridge = "mgmt-br"
)

// DefaultStateRoot is where each lab keeps its pid files, logs and the
// record of its cuts, one directory per lab name.
const DefaultStateRoot = "/run/vigie-lab"

// nsPrefix returns the prefix of every namespace of the lab: a lab's
// leftovers are found by this prefix alone, even without its file.
func nsPrefix(lab string) string { return "vlab-" + lab + "-" }

// NodeNetns returns the name of the namespace of a node of the lab.
func NodeNetns(lab, node string) string { return nsPrefix(lab) + node }

// MgmtNetns returns the name of the lab's management namespace, where the
// agent under test runs. Node names may not be "mgmt", so it never clashes.
func MgmtNetns(lab string) string { return nsPrefix(lab) + "mgmt" }

// frrPathspace is the FRR pathspace (-N) of a node: its config lives in
// /etc/frr/PATHSPACE and its sockets in /var/run/frr/PATHSPACE.
func frrPathspace(lab, node string) string { return NodeNetns(lab, node) }

// labNamespaces lists the existing namespaces of the lab, by prefix.
func labNamespaces(lab string) ([]string, error) {
	ents, err := os.ReadDir(netnsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("lab: list %s: %w", netnsDir, err)
	}
	var out []string
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), nsPrefix(lab)) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// createNetns makes a named namespace, or one without a name if name is
// "" (the kernel probe's), and returns a handle on it, leaving the calling
// goroutine's thread where it was.
func createNetns(name string) (netns.NsHandle, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	orig, err := netns.Get()
	if err != nil {
		return netns.None(), fmt.Errorf("lab: read the current namespace: %w", err)
	}
	defer orig.Close()
	var h netns.NsHandle
	if name == "" {
		h, err = netns.New()
	} else {
		h, err = netns.NewNamed(name)
	}
	if serr := netns.Set(orig); serr != nil {
		// The thread is stuck in the new namespace: never let it run other
		// goroutines (LockOSThread without Unlock makes it exit with us).
		runtime.LockOSThread()
		return netns.None(), fmt.Errorf("lab: return to the original namespace: %w", serr)
	}
	switch {
	case err != nil && name == "":
		return netns.None(), fmt.Errorf("lab: create a probe namespace (root needed): %w", err)
	case err != nil:
		return netns.None(), fmt.Errorf("lab: create namespace %s (is a leftover there? run `vigie-lab down`): %w", name, err)
	}
	return h, nil
}

// deleteNetns removes a named namespace; a missing one is not an error.
func deleteNetns(name string) error {
	p := filepath.Join(netnsDir, name)
	if err := unix.Unmount(p, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("lab: unmount %s: %w", p, err)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("lab: remove %s: %w", p, err)
	}
	return nil
}

// inNetns runs fn with the calling thread inside the named namespace.
func inNetns(name string, fn func() error) error {
	h, err := netns.GetFromName(name)
	if err != nil {
		return fmt.Errorf("lab: namespace %s: %w", name, err)
	}
	defer h.Close()
	runtime.LockOSThread()
	orig, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("lab: read the current namespace: %w", err)
	}
	defer orig.Close()
	if err := netns.Set(h); err != nil {
		runtime.UnlockOSThread()
		return fmt.Errorf("lab: enter namespace %s: %w", name, err)
	}
	ferr := fn()
	if err := netns.Set(orig); err != nil {
		// Leave the thread locked: it dies with the goroutine instead of
		// carrying the lab's namespace into unrelated code.
		return errors.Join(ferr, fmt.Errorf("lab: leave namespace %s: %w", name, err))
	}
	runtime.UnlockOSThread()
	return ferr
}

// startIn starts cmd with its process inside the named namespace: the child
// is forked from a thread that has entered it, and inherits it.
func startIn(name string, cmd *exec.Cmd) error {
	closeInheritedOnce.Do(closeInheritedOnExec)
	return inNetns(name, cmd.Start)
}

var closeInheritedOnce sync.Once

// closeInheritedOnExec marks every descriptor above stderr close-on-exec.
// Go opens its own that way, but not those it inherited: under
// `flock LOCK vigie-lab up` (or go test), the lock's descriptor passed to
// every FRR, snmpd and lldpd daemon of the lab, which then held the lock
// as long as the lab ran, and blocked every other user of it. Files a
// command should get go through exec.Cmd.ExtraFiles, which are dup'ed
// without the flag.
func closeInheritedOnExec() {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return
	}
	for _, e := range ents {
		if fd, err := strconv.Atoi(e.Name()); err == nil && fd > 2 {
			unix.CloseOnExec(fd)
		}
	}
}

// runIn runs cmd inside the named namespace and waits for it; the error
// carries the command's combined output, which says what went wrong.
func runIn(name string, cmd *exec.Cmd) ([]byte, error) {
	var out strings.Builder
	if cmd.Stdout == nil {
		cmd.Stdout = &out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = &out
	}
	// A daemon that forks into the background may keep the output pipe
	// open: once the command itself has exited, stop waiting for it.
	if cmd.WaitDelay == 0 {
		cmd.WaitDelay = 5 * time.Second
	}
	if err := startIn(name, cmd); err != nil {
		return nil, fmt.Errorf("lab: %s: start %s: %w", name, cmd.Path, err)
	}
	err := cmd.Wait()
	if errors.Is(err, exec.ErrWaitDelay) {
		err = nil
	}
	if err != nil {
		return []byte(out.String()), fmt.Errorf("lab: %s: %s: %w: %s", name, strings.Join(cmd.Args, " "), err, strings.TrimSpace(lastLines(out.String(), 5)))
	}
	return []byte(out.String()), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// writeSysctl writes a /proc/sys value inside the named namespace: net.*
// sysctls are per namespace, and /proc/sys/net follows the writing thread.
func writeSysctl(ns, key, value string) error {
	p := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
	return inNetns(ns, func() error {
		if err := os.WriteFile(p, []byte(value), 0o644); err != nil {
			return fmt.Errorf("lab: %s: sysctl %s=%s: %w", ns, key, value, err)
		}
		return nil
	})
}

// netnsInode identifies a namespace, to tell whether a process lives in it.
func netnsInode(path string) (uint64, bool) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, false
	}
	return st.Ino, true
}
