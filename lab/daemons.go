// This file starts a node's daemons from the host's Debian packages with
// the node's bound configuration files: net-snmp snmpd (AgentX master), FRR
// (one pathspace per node) and lldpd (LLDP-MIB over AgentX).

package lab

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Paths inside a node that the runner looks for among its binds, as a
// containerlab image of Debian with these packages would use them.
const (
	bindFRRConf    = "/etc/frr/frr.conf"
	bindFRRDaemons = "/etc/frr/daemons"
	bindSnmpd      = "/etc/snmp/snmpd.conf"
	bindLldpd      = "/etc/lldpd.conf"
)

// Where Debian's packages install the programs the lab runs.
const (
	frrLibDir    = "/usr/lib/frr"
	frrModuleDir = "/usr/lib/x86_64-linux-gnu/frr/modules"
	frrEtc       = "/etc/frr"
	frrRun       = "/var/run/frr"
)

// binaries lists the programs a lab needs, with the Debian package that
// ships each, so that a missing one is reported with what to install.
var binaries = map[string]string{
	frrLibDir + "/zebra":           "frr",
	"/usr/bin/vtysh":               "frr",
	"/usr/sbin/snmpd":              "snmpd",
	"/usr/sbin/lldpd":              "lldpd",
	"/usr/sbin/lldpcli":            "lldpd",
	frrModuleDir + "/bgpd_snmp.so": "frr-snmp",
}

// CheckBinaries returns an error naming the Debian packages to install when
// a program the lab runs is missing.
func CheckBinaries() error {
	var missing []string
	for bin, pkg := range binaries {
		if _, err := os.Stat(bin); err != nil {
			missing = append(missing, pkg+" ("+bin+")")
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("lab: missing programs: install the Debian packages %s", strings.Join(missing, ", "))
	}
	return nil
}

// frrDaemonOrder is the order FRR daemons start in: zebra first, since the
// others register with it.
var frrDaemonOrder = []string{"zebra", "mgmtd", "staticd", "ospfd", "ospf6d", "bgpd", "isisd", "ripd", "ripngd", "bfdd", "pimd", "ldpd", "pbrd", "vrrpd", "fabricd", "eigrpd", "babeld", "pathd", "nhrpd"}

// parseDaemons reads an FRR daemons file (NAME=yes lines) and returns the
// daemons to start, zebra always first.
func parseDaemons(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	on := map[string]bool{"zebra": true}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		k, v, ok := strings.Cut(line, "=")
		if !ok || strings.HasPrefix(line, "#") || strings.HasSuffix(k, "_options") {
			continue
		}
		if strings.Trim(v, `"' `) == "yes" {
			on[strings.TrimSpace(k)] = true
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	var out []string
	for _, d := range frrDaemonOrder {
		if on[d] {
			if _, err := os.Stat(filepath.Join(frrLibDir, d)); err != nil {
				return nil, fmt.Errorf("daemon %s is enabled but %s/%s is missing (install frr or set %s=no)", d, frrLibDir, d, d)
			}
			out = append(out, d)
		}
	}
	return out, nil
}

// agentxSocket returns the agentXSocket an snmpd.conf sets. Every node runs
// its own snmpd on a shared filesystem, so the default Unix socket
// (/var/agentx/master) would be shared: the lab requires a TCP socket on
// the node's own loopback instead.
func agentxSocket(conf string) (string, error) {
	f, err := os.Open(conf)
	if err != nil {
		return "", err
	}
	defer f.Close()
	sock := ""
	master := false
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "agentXSocket" {
			sock = fields[1]
		}
		if len(fields) >= 2 && fields[0] == "master" && fields[1] == "agentx" {
			master = true
		}
	}
	if !master {
		return "", nil
	}
	if !strings.HasPrefix(sock, "tcp:127.") {
		return "", fmt.Errorf("%s: set `agentXSocket tcp:127.0.0.1:705`: each node's snmpd needs its own AgentX socket, and files are shared between nodes", conf)
	}
	return sock, nil
}

// nodeRun holds what the runner knows of one node while starting it.
type nodeRun struct {
	lab  *Lab
	node *Node
	ns   string
	dir  string // the node's state directory
}

func (r *nodeRun) hasFRR() bool {
	return r.node.Binds[bindFRRDaemons] != "" && r.node.Binds[bindFRRConf] != ""
}
func (r *nodeRun) hasSnmpd() bool { return r.node.Binds[bindSnmpd] != "" }
func (r *nodeRun) hasLldpd() bool { return r.node.Binds[bindLldpd] != "" }

func (r *nodeRun) pathspace() string { return frrPathspace(r.lab.Topo.Name, r.node.Name) }
func (r *nodeRun) lldpCtl() string   { return filepath.Join(r.dir, "lldpd.ctl") }

func daemonEnv(extra ...string) []string {
	return append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LANG=C"}, extra...)
}

// start brings the node's daemons up: snmpd first (the AgentX master the
// others register with), then FRR, then lldpd.
func (r *nodeRun) start(ctx context.Context) error {
	if err := os.MkdirAll(r.dir, 0o755); err != nil {
		return err
	}
	agentx := ""
	if r.hasSnmpd() {
		var err error
		if agentx, err = r.startSnmpd(); err != nil {
			return err
		}
	}
	if r.hasFRR() {
		if err := r.startFRR(ctx, agentx); err != nil {
			return err
		}
	}
	if r.hasLldpd() {
		if err := r.startLldpd(ctx, agentx); err != nil {
			return err
		}
	}
	return nil
}

func (r *nodeRun) startSnmpd() (string, error) {
	conf := r.node.Binds[bindSnmpd]
	agentx, err := agentxSocket(conf)
	if err != nil {
		return "", fmt.Errorf("node %s: %w", r.node.Name, err)
	}
	persist := filepath.Join(r.dir, "snmp")
	if err := os.MkdirAll(persist, 0o700); err != nil {
		return "", err
	}
	cmd := exec.Command("/usr/sbin/snmpd", "-C", "-c", conf, "-p", filepath.Join(r.dir, "snmpd.pid"),
		"-Lf", filepath.Join(r.dir, "snmpd.log"))
	cmd.Env = daemonEnv("SNMP_PERSISTENT_DIR="+persist, "MIBS=")
	if _, err := runIn(r.ns, cmd); err != nil {
		return "", fmt.Errorf("node %s: snmpd: %w (see %s/snmpd.log)", r.node.Name, err, r.dir)
	}
	return agentx, nil
}

func (r *nodeRun) startFRR(ctx context.Context, agentx string) error {
	daemons, err := parseDaemons(r.node.Binds[bindFRRDaemons])
	if err != nil {
		return fmt.Errorf("node %s: FRR daemons file: %w", r.node.Name, err)
	}
	ps := r.pathspace()
	etc, run := filepath.Join(frrEtc, ps), filepath.Join(frrRun, ps)
	u, err := user.Lookup("frr")
	if err != nil {
		return fmt.Errorf("node %s: user frr: %w (install the frr package)", r.node.Name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, d := range []string{etc, run} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		if err := os.Chown(d, uid, gid); err != nil {
			return err
		}
	}
	files := map[string][]byte{"vtysh.conf": []byte("service integrated-vtysh-config\n")}
	for name, bind := range map[string]string{"frr.conf": bindFRRConf, "daemons": bindFRRDaemons} {
		b, err := os.ReadFile(r.node.Binds[bind])
		if err != nil {
			return fmt.Errorf("node %s: %w", r.node.Name, err)
		}
		if name == "frr.conf" {
			b = rewriteVRFNames(b, r.node.netnsVRFs)
		}
		files[name] = b
	}
	for name, b := range files {
		p := filepath.Join(etc, name)
		if err := os.WriteFile(p, b, 0o640); err != nil {
			return err
		}
		if err := os.Chown(p, uid, gid); err != nil {
			return err
		}
	}
	// FRR's AgentX client reads net-snmp's client configuration; point it
	// at this node's snmpd over its own loopback.
	snmpConf := filepath.Join(r.dir, "frr-snmp")
	if err := os.MkdirAll(snmpConf, 0o755); err != nil {
		return err
	}
	if agentx != "" {
		if err := os.WriteFile(filepath.Join(snmpConf, "frr.conf"), []byte("agentXSocket "+agentx+"\n"), 0o644); err != nil {
			return err
		}
	}
	// Every daemon is started at once: the others retry until zebra
	// answers. vtysh loads the configuration once every vty is open.
	for _, d := range daemons {
		args := []string{"-d", "-N", ps, "-P", "0", "--log", "file:" + filepath.Join(run, d+".log")}
		if agentx != "" {
			if _, err := os.Stat(filepath.Join(frrModuleDir, d+"_snmp.so")); err == nil {
				args = append(args, "-M", "snmp")
			}
		}
		if d == "zebra" && len(r.node.netnsVRFs) > 0 {
			args = append(args, "-n") // VRFs as namespaces (netnsvrf.go)
		}
		cmd := exec.Command(filepath.Join(frrLibDir, d), args...)
		cmd.Env = daemonEnv("SNMPCONFPATH="+snmpConf, "MIBS=")
		if _, err := runIn(r.ns, cmd); err != nil {
			return fmt.Errorf("node %s: start FRR %s: %w (see %s)", r.node.Name, d, err, filepath.Join(run, d+".log"))
		}
	}
	for _, d := range daemons {
		if err := waitFile(ctx, filepath.Join(run, d+".vty"), 10*time.Second); err != nil {
			return fmt.Errorf("node %s: FRR %s did not open its vty: %w (see %s)", r.node.Name, d, err, filepath.Join(run, d+".log"))
		}
	}
	cmd := exec.Command("/usr/bin/vtysh", "-N", ps, "-b")
	cmd.Env = daemonEnv()
	if _, err := runIn(r.ns, cmd); err != nil {
		return fmt.Errorf("node %s: FRR rejected part of %s: %w", r.node.Name, r.node.Binds[bindFRRConf], err)
	}
	return nil
}

func (r *nodeRun) startLldpd(ctx context.Context, agentx string) error {
	ctl := r.lldpCtl()
	// Every namespace shares the host's name: lldpd must be told its own,
	// in the configuration it applies before its first LLDPDU (set later,
	// it races with lldpd's own start and may be lost).
	bound, err := os.ReadFile(r.node.Binds[bindLldpd])
	if err != nil {
		return fmt.Errorf("node %s: %w", r.node.Name, err)
	}
	conf := filepath.Join(r.dir, "lldpd.conf")
	body := "configure system hostname " + r.node.Name + "\n" + string(bound)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		return err
	}
	args := []string{"-u", ctl, "-p", filepath.Join(r.dir, "lldpd.pid"), "-I", "eth*,!" + mgmtIface,
		"-m", r.node.MgmtAddr.String(), "-O", conf}
	if agentx != "" {
		args = append(args, "-x", "-X", agentx)
	}
	cmd := exec.Command("/usr/sbin/lldpd", args...)
	persist := filepath.Join(r.dir, "snmp")
	if err := os.MkdirAll(persist, 0o700); err != nil {
		return err
	}
	cmd.Env = daemonEnv("SNMP_PERSISTENT_DIR="+persist, "MIBS=")
	if _, err := runIn(r.ns, cmd); err != nil {
		return fmt.Errorf("node %s: lldpd: %w", r.node.Name, err)
	}
	if err := waitFile(ctx, ctl, 10*time.Second); err != nil {
		return fmt.Errorf("node %s: lldpd did not open %s: %w", r.node.Name, ctl, err)
	}
	return nil
}

// waitFile waits until path exists.
func waitFile(ctx context.Context, path string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		if _, err := os.Stat(path); err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s still missing after %s", path, limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}
