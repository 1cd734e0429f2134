package main

// Issue 11's peer for the array: Slurm, one node of this host's CPUs, the
// same trivial jobs.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkArrayVsSlurm runs, in one run and interleaved, BenchmarkArray5000's
// array (benchArraySize() children of `true`, 1 vCPU each, default host
// capacity, the local executor) and the same number of `true` jobs as a
// Slurm job array (`sbatch --array`, one CPU each) on a one-node Slurm of
// this host's CPUs, and reports both rates, end to end, and their ratio.
// It needs root and Slurm (Debian's slurm-wlm: slurmctld, slurmd, sbatch,
// squeue, sinfo) with munge and a key in /etc/munge/munge.key; without
// them it is skipped (it is a benchmark: CI does not run it).
//
// The Slurm is as fast as its High Throughput guide makes a single node:
// no accounting, the cheapest plugins, the scheduler run on each event,
// and an epilog of /bin/true — without an epilog, slurmd reports a job's
// end so that the controller schedules the next only from its
// once-a-second loop (2 jobs/s here). Its daemons, their state, logs and
// a munged of its own live in a temporary directory, on loopback ports
// of their own.
func BenchmarkArrayVsSlurm(b *testing.B) {
	s := startSlurm(b)
	n := benchArraySize()
	var batchd, slurm []float64
	for b.Loop() {
		wall, _ := runArray(b, n, nil)
		batchd = append(batchd, float64(n)/wall.Seconds())
		slurm = append(slurm, float64(n)/s.array(b, n).Seconds())
		b.Logf("batchd %.1f jobs/s, slurm %.1f jobs/s", batchd[len(batchd)-1], slurm[len(slurm)-1])
	}
	mb, ms := percentileMS(batchd, 0.5), percentileMS(slurm, 0.5)
	b.ReportMetric(mb, "batchd_jobs/s")
	b.ReportMetric(ms, "slurm_jobs/s")
	b.ReportMetric(mb/ms, "ratio")
}

// slurm is a one-node Slurm that startSlurm started.
type slurm struct {
	env []string // SLURM_CONF for its commands
}

// startSlurm starts munged, slurmctld and slurmd (stopped at cleanup) and
// waits for the node to be idle.
func startSlurm(b *testing.B) *slurm {
	b.Helper()
	if os.Geteuid() != 0 {
		b.Skip("Slurm's daemons run as root here")
	}
	for _, cmd := range []string{"munged", "slurmctld", "slurmd", "sbatch", "squeue", "sinfo"} {
		if _, err := exec.LookPath(cmd); err != nil {
			b.Skipf("Slurm is not installed (%s): apt-get install slurm-wlm", cmd)
		}
	}
	key, err := os.ReadFile("/etc/munge/munge.key")
	if err != nil {
		b.Skipf("no munge key: %v", err)
	}
	mu, err := user.Lookup("munge")
	if err != nil {
		b.Skipf("no munge user: %v", err)
	}
	muid, _ := strconv.Atoi(mu.Uid) // numbers, as Lookup returns them on Linux
	mgid, _ := strconv.Atoi(mu.Gid)
	host, err := os.Hostname()
	if err != nil {
		b.Fatal(err)
	}
	host, _, _ = strings.Cut(host, ".")

	// Not b.TempDir: munged, run as its user, must reach its directory.
	dir, err := os.MkdirTemp("", "batchd-slurm-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			b.Logf("remove %s: %v", dir, err)
		}
	})
	if err := os.Chmod(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	md := filepath.Join(dir, "munge")
	if err := os.Mkdir(md, 0o755); err != nil { // munged wants its socket's reachable
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(md, "munge.key"), key, 0o400); err != nil {
		b.Fatal(err)
	}
	for _, p := range []string{md, filepath.Join(md, "munge.key")} {
		if err := os.Chown(p, muid, mgid); err != nil {
			b.Fatal(err)
		}
	}
	sock := filepath.Join(md, "munge.sock")
	munged := exec.Command("munged", "--foreground", "--num-threads=10", "--socket="+sock,
		"--key-file="+filepath.Join(md, "munge.key"), "--pid-file="+filepath.Join(md, "munged.pid"),
		"--log-file="+filepath.Join(md, "munged.log"), "--seed-file="+filepath.Join(md, "munged.seed"))
	munged.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(muid), Gid: uint32(mgid)}}
	daemon(b, munged, filepath.Join(md, "munged.log"))
	waitFor(b, "munged's socket", func() bool { _, err := os.Stat(sock); return err == nil })

	for _, d := range []string{"ctld", "slurmd", "log"} {
		if err := os.Mkdir(filepath.Join(dir, d), 0o755); err != nil {
			b.Fatal(err)
		}
	}
	ports := freePorts(b, 2)
	vcpus, _ := hostDefaults() // batchd's default host capacity
	conf := filepath.Join(dir, "slurm.conf")
	if err := os.WriteFile(filepath.Join(dir, "plugstack.conf"), nil, 0o644); err != nil {
		b.Fatal(err)
	}
	text := fmt.Sprintf(`ClusterName=batchdbench
SlurmctldHost=%[1]s(127.0.0.1)
SlurmctldPort=%[3]d
SlurmdPort=%[4]d
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=%[5]s
SlurmUser=root
SlurmdUser=root
SlurmctldPidFile=%[2]s/slurmctld.pid
SlurmdPidFile=%[2]s/slurmd.pid
StateSaveLocation=%[2]s/ctld
SlurmdSpoolDir=%[2]s/slurmd
SlurmctldLogFile=%[2]s/log/slurmctld.log
SlurmdLogFile=%[2]s/log/slurmd.log
SlurmctldDebug=error
SlurmdDebug=error
PlugStackConfig=%[2]s/plugstack.conf
MailProg=/bin/true
ReturnToService=2
ProctrackType=proctrack/pgid
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
JobAcctGatherFrequency=0
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
PriorityType=priority/basic
MpiDefault=none
SwitchType=switch/none
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0,default_queue_depth=100,max_rpc_cnt=0,sched_max_job_start=0
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
Epilog=/bin/true
MaxJobCount=100000
MaxArraySize=100001
MinJobAge=2
MessageTimeout=30
NodeName=%[1]s NodeAddr=127.0.0.1 CPUs=%[6]d RealMemory=1000 State=UNKNOWN
PartitionName=batchdbench Nodes=%[1]s Default=YES MaxTime=INFINITE State=UP
`, host, dir, ports[0], ports[1], sock, vcpus)
	if err := os.WriteFile(conf, []byte(text), 0o644); err != nil {
		b.Fatal(err)
	}
	s := &slurm{env: append(os.Environ(), "SLURM_CONF="+conf)}
	ctld := exec.Command("slurmctld", "-D", "-i", "-f", conf)
	ctld.Env = s.env
	daemon(b, ctld, filepath.Join(dir, "log", "slurmctld.log"))
	sd := exec.Command("slurmd", "-D", "-N", host, "-f", conf)
	sd.Env = s.env
	daemon(b, sd, filepath.Join(dir, "log", "slurmd.log"))
	waitFor(b, "the Slurm node to be idle", func() bool {
		out, err := s.run("sinfo", "-h", "-o", "%t")
		return err == nil && strings.TrimSpace(out) == "idle"
	})
	return s
}

// array submits an n-task array of `true`, one CPU each, and returns the
// time until Slurm's queue is empty again.
func (s *slurm) array(b *testing.B, n int) time.Duration {
	b.Helper()
	start := time.Now()
	if out, err := s.run("sbatch", "-Q", fmt.Sprintf("--array=0-%d", n-1), "-n1", "-c1", "-o", "/dev/null", "-e", "/dev/null", "--wrap", "true"); err != nil {
		b.Fatalf("sbatch: %v\n%s", err, out)
	}
	for {
		// Without -r, a pending array is one line.
		out, err := s.run("squeue", "-h", "-o", "%i")
		if err == nil && strings.TrimSpace(out) == "" {
			return time.Since(start)
		}
		if time.Since(start) > 30*time.Minute {
			b.Fatalf("Slurm's array not done after 30 minutes: %v %s", err, out)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (s *slurm) run(name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	cmd.Env = s.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// daemon starts cmd, which runs in the foreground, and stops it at
// cleanup (SIGTERM, then SIGKILL after 10 seconds); log is shown should it
// end before then.
func daemon(b *testing.B, cmd *exec.Cmd, log string) {
	b.Helper()
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true // its own group: its children stop with it
	if err := cmd.Start(); err != nil {
		b.Fatalf("%s: %v", cmd.Path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	b.Cleanup(func() {
		select {
		case err := <-done:
			data, _ := os.ReadFile(log) // shown if there is one
			b.Errorf("%s ended early: %v\n%s", cmd.Path, err, data)
			return
		default:
		}
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) // it may have just ended: Wait tells
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // as above
			<-done
		}
	})
}

// waitFor polls cond for up to 30 seconds.
func waitFor(b *testing.B, what string, cond func() bool) {
	b.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("waited 30 seconds for %s", what)
		}
	}
}

// freePorts returns n free TCP ports on loopback, distinct: their
// listeners are all open until each has its port.
func freePorts(b *testing.B, n int) []int {
	b.Helper()
	var ports []int
	var ls []net.Listener
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
	return ports
}
