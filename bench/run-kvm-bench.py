#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""run-kvm-bench.py - guestmem's KVM backend and software CPU beside QEMU 7.2.

    python3 bench/run-kvm-bench.py [--build DIR] [--repeats N] [--out FILE]
    python3 bench/run-kvm-bench.py --from-raw docs/bench-kvm-run.txt

Runs the two benchmark guests (guests/bench.S: exit costs, coalescing, an
ioeventfd, PAM changes; guests/bench-mem.S: a memory-bound loop) under four
engines in the same run, round after round (the order rotates each round):

    gm-kvm    guestmem run --accel kvm --demo-device
    gm-emu    guestmem run --accel emu --demo-device   (libx86emu)
    qemu-kvm  qemu-system-x86_64 -M pc ... -accel kvm
    qemu-tcg  qemu-system-x86_64 -M pc ... -accel tcg

The guests time themselves with rdtsc and print one line per workload;
this script also timestamps every line as it arrives, which is the only
clock under libx86emu (its rdtsc counts instructions).  Every line of every
run goes to the raw file (default docs/bench-kvm-run.txt) with its arrival
time, and the tables are computed from those records only: --from-raw
prints them again from a raw file without running anything.

KVM parts are skipped, loudly, where /dev/kvm cannot be used; QEMU parts
where qemu-system-x86_64 is missing.
"""
import argparse
import ctypes
import mmap
import os
import platform
import re
import select
import shlex
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

ENGINES = ["gm-kvm", "qemu-kvm", "gm-emu", "qemu-tcg"]
IMAGES = ["bench", "bench-mem"]
OK_STATUS = 33          # the guests' debug-exit write of 0x10
RUN_TIMEOUT = 180       # seconds, per run

# The rows of the exit table: (workload, what an op is).
WORKLOADS = [
    ("ram-read", "4-byte read of RAM (no exit: the floor)"),
    ("cpuid", "cpuid (an exit KVM serves in the kernel)"),
    ("pio-in", "inb from 0x402 (isa-debugcon readback)"),
    ("pio-out", "outb to 0x92 (port 92)"),
    ("mmio-read-hpet", "4-byte MMIO read at 0xfed00000 (HPET window)"),
    ("pio-burst16-plain", "16 outb to 0x92 + inb 0x92"),
    ("pio-burst16-coalesced", "16 outb to 0xcf8 (coalesced in both) + inl 0xcfc"),
    ("pio-burst16-cf8-dword", "16 outl to 0xcf8 (exits in both: 0xcf9's "
                              "reset control splits the zone) + inl 0xcfc"),
    ("pio-burst16-rtc", "16 outb to 0x70 (rtc-index, coalesced in both) + "
                        "inb 0x71"),
    ("pam-toggle", "PAM 0x5a 0x33<->0x00 + read of 0xc0000"),
    ("mmio-read-demo", "4-byte MMIO read, demo device"),
    ("mmio-write-demo", "4-byte MMIO write, demo doorbell, no match"),
    ("mmio-ioeventfd", "4-byte MMIO write, demo doorbell, ioeventfd"),
    ("mmio-burst16-plain", "16 MMIO writes (demo scratch) + read"),
    ("mmio-burst16-coalesced", "16 writes to the coalesced MMIO window + read"),
]


# --- the host's TSC ---------------------------------------------------------

def tsc_reader():
    """A callable returning the host's TSC (x86-64 only), or None."""
    if platform.machine() not in ("x86_64", "AMD64"):
        return None
    code = bytes([0x0f, 0x31,                    # rdtsc
                  0x48, 0xc1, 0xe2, 0x20,        # shl $32, %rdx
                  0x48, 0x09, 0xd0,              # or %rdx, %rax
                  0xc3])                         # ret
    try:
        buf = mmap.mmap(-1, mmap.PAGESIZE,
                        prot=mmap.PROT_READ | mmap.PROT_WRITE |
                        mmap.PROT_EXEC)
    except (OSError, ValueError):
        return None
    buf.write(code)
    addr = ctypes.addressof(ctypes.c_char.from_buffer(buf))
    fn = ctypes.CFUNCTYPE(ctypes.c_uint64)(addr)
    fn._keep = buf
    return fn


def tsc_mhz(rdtsc, seconds=0.5):
    """Host TSC ticks per microsecond, against CLOCK_MONOTONIC."""
    t0, c0 = time.perf_counter_ns(), rdtsc()
    time.sleep(seconds)
    t1, c1 = time.perf_counter_ns(), rdtsc()
    return (c1 - c0) / (t1 - t0) * 1000.0


# --- the machine --------------------------------------------------------------

def kvm_usable():
    """(True, detail) or (False, why)."""
    try:
        fd = os.open("/dev/kvm", os.O_RDWR | os.O_CLOEXEC)
    except OSError as e:
        return False, "cannot open /dev/kvm: %s" % e.strerror
    try:
        import fcntl
        version = fcntl.ioctl(fd, 0xAE00)        # KVM_GET_API_VERSION
        vm = fcntl.ioctl(fd, 0xAE01, 0)          # KVM_CREATE_VM
        os.close(vm)
    except OSError as e:
        return False, "/dev/kvm: %s" % e.strerror
    finally:
        os.close(fd)
    mods = sorted(m for m in os.listdir("/sys/module")
                  if m.startswith("kvm"))
    return True, "API %d; kernel modules: %s" % (version, ", ".join(mods))


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def source_state():
    """The commit measured, and whether the tree differs from it."""
    try:
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short=12",
                               "HEAD"], capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True,
                               text=True, check=True).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    if not dirty:
        return "git %s, clean tree" % head
    return "git %s, %d tracked files modified: %s" % (
        head, len(dirty), " ".join(x[3:] for x in dirty))


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return " ".join(f.read().split()[:3])
    except OSError:
        return "?"


# --- running one engine -----------------------------------------------------------

def command(engine, image, guestmem, qemu):
    if engine.startswith("gm-"):
        cmd = [guestmem, "run", "--bios", image, "--accel",
               engine[3:], "--timeout", str(RUN_TIMEOUT), "--stats"]
        if os.path.basename(image) == "bench.bin":
            cmd.append("--demo-device")
        return cmd
    return [qemu, "-M", "pc", "-m", "128M", "-nodefaults",
            "-display", "none", "-bios", image,
            "-device", "isa-debugcon,iobase=0xe9,chardev=c",
            "-chardev", "stdio,id=c",
            "-device", "isa-debug-exit,iobase=0xf4,iosize=4",
            "-device", "isa-debugcon,iobase=0x402,chardev=n",
            "-chardev", "null,id=n",
            "-accel", engine[5:]]


def schedstat(pid, seen):
    """(ms on a CPU, ms waiting for one) summed over the threads of @pid,
    from /proc/PID/task/*/schedstat.  @seen keeps each thread's last
    figures, so that a thread that has ended (or a read that failed) still
    counts with what it had used when last seen."""
    try:
        tasks = os.listdir("/proc/%d/task" % pid)
    except OSError:
        tasks = []
    for t in tasks:
        try:
            with open("/proc/%d/task/%s/schedstat" % (pid, t)) as f:
                a, b = f.read().split()[:2]
        except (OSError, ValueError):
            continue
        seen[t] = (int(a), int(b))
    run = sum(v[0] for v in seen.values())
    wait = sum(v[1] for v in seen.values())
    return run / 1e6, wait / 1e6


def observer_priority():
    """Make this script (it mostly sleeps in select) wake at once when a
    guest's line arrives, however busy the machine: a late timestamp, or a
    late CPU-time sample, would charge one workload with its neighbour's
    time.  The engines run at ordinary priority (ordinary_priority)."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
        return "SCHED_FIFO 1 (the engines: SCHED_OTHER)"
    except (AttributeError, OSError) as e:
        return "ordinary (SCHED_FIFO refused: %s)" % e


def ordinary_priority():
    try:
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    except (AttributeError, OSError):
        pass


def run_timed(cmd):
    """Run @cmd; return (rc, wall seconds, [(ms, cpu ms, wait ms, stdout
    line)], [stderr lines], (cpu ms, wait ms) at the end): each stdout line
    stamped when its newline arrived, with the CPU time the process had
    used by then and the time its threads had waited for a CPU."""
    t0 = time.perf_counter()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         preexec_fn=ordinary_priority)
    out, err = [], []
    last, threads = (0.0, 0.0), {}
    bufs = {p.stdout.fileno(): b"", p.stderr.fileno(): b""}
    open_fds = set(bufs)
    deadline = t0 + RUN_TIMEOUT + 10
    while open_fds:
        left = deadline - time.perf_counter()
        if left <= 0:
            p.kill()
            err.append("run-kvm-bench: killed after %d s" % RUN_TIMEOUT)
            break
        ready, _, _ = select.select(list(open_fds), [], [], left)
        for fd in ready:
            chunk = os.read(fd, 65536)
            now = (time.perf_counter() - t0) * 1000.0
            if not chunk:
                open_fds.discard(fd)
                continue
            if b"\n" in chunk and fd == p.stdout.fileno():
                last = schedstat(p.pid, threads)
            bufs[fd] += chunk
            while b"\n" in bufs[fd]:
                line, bufs[fd] = bufs[fd].split(b"\n", 1)
                text = line.decode("utf-8", "replace")
                if fd == p.stdout.fileno():
                    out.append((now, last[0], last[1], text))
                else:
                    err.append(text)
    for fd, rest in bufs.items():
        if rest:
            text = rest.decode("utf-8", "replace")
            if fd == p.stdout.fileno():
                out.append(((time.perf_counter() - t0) * 1000.0, last[0],
                            last[1], text))
            else:
                err.append(text)
    rc = p.wait()
    return rc, time.perf_counter() - t0, out, err, last


# --- the raw file: writing and reading ----------------------------------------------

class Raw:
    def __init__(self, path):
        self.f = open(path, "w") if path else None
        self.lines = []

    def put(self, line=""):
        self.lines.append(line)
        if self.f:
            self.f.write(line + "\n")
            self.f.flush()

    def close(self):
        if self.f:
            self.f.close()


def parse_raw(lines):
    """Records of a raw file: header dict and a list of run dicts."""
    header, runs, cur = {}, [], None
    for line in lines:
        if line.startswith("# ") and ": " in line and cur is None:
            k, v = line[2:].split(": ", 1)
            header.setdefault(k, v)
        m = re.match(r"== run round=(\d+) engine=(\S+) image=(\S+)", line)
        if m:
            cur = {"round": int(m.group(1)), "engine": m.group(2),
                   "image": m.group(3), "out": [], "err": [], "rc": None,
                   "skipped": None}
            runs.append(cur)
            continue
        if cur is None:
            continue
        if line.startswith("@ "):
            ms, cpu, wait, text = (line[2:].split(" ", 3) + [""])[:4]
            cur["out"].append((float(ms), float(cpu), float(wait), text))
        elif line.startswith("! "):
            cur["err"].append(line[2:])
        elif line.startswith("== skipped "):
            cur["skipped"] = line[len("== skipped "):]
            cur = None
        elif line.startswith("== end "):
            kv = dict(x.split("=", 1) for x in line[7:].split())
            cur["rc"] = int(kv["rc"])
            cur["wall"] = float(kv["wall_s"])
            cur["cpu"] = float(kv.get("cpu_s", "nan"))
            cur["wait"] = float(kv.get("wait_s", "nan"))
            cur = None
    return header, runs


# --- figures from the records ------------------------------------------------------

MIN_SPAN_MS = 5.0  # shorter spans on the host's clocks: too coarse
MIN_HOST_SPAN_MS = 100.0  # the loop's span on the host's clocks


def bench_figures(run):
    """{workload: (guest ticks per op, host ns per op, host CPU ns per op)}
    of a bench.bin run."""
    figs, go = {}, {}
    for ms, cpu, _, text in run["out"]:
        w = text.split()
        if len(w) == 4 and w[0] == "#" and w[1] == "go":
            go[w[2]] = (ms, cpu, int(w[3]))
        elif len(w) == 4 and w[0] == "bench" and w[3] == "cycles/op":
            if w[1] not in go:
                continue
            t0, c0, n = go[w[1]]
            host = (ms - t0) * 1e6 / n if ms - t0 >= MIN_SPAN_MS else None
            cpu_ns = ((cpu - c0) * 1e6 / n if cpu - c0 >= MIN_SPAN_MS
                      else None)
            figs[w[1]] = (int(w[2]), host, cpu_ns)
    return figs


def mem_figures(run):
    """(ticks per pass, instructions per pass, passes, host s and host CPU
    s of the timed passes) of a bench-mem.bin run, or None."""
    d, start, end = {}, None, None
    for ms, cpu, _, text in run["out"]:
        if text == "# mem-loop start":
            start = (ms, cpu)
        elif text == "# mem-loop end":
            end = (ms, cpu)
        w = text.split()
        if len(w) == 4 and w[0] == "bench":
            d[w[1]] = int(w[2])
    if start is None or end is None or "mem-sum-pass" not in d:
        return None
    return (d["mem-sum-pass"], d["mem-sum-instructions"],
            d["mem-sum-passes"], (end[0] - start[0]) / 1000.0,
            (end[1] - start[1]) / 1000.0)


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def spread(xs):
    xs = [x for x in xs if x is not None]
    if len(xs) < 2 or not statistics.median(xs):
        return None
    return (max(xs) - min(xs)) / 2 / statistics.median(xs)


def fmt(x):
    if x is None:
        return "-"
    if x >= 100:
        return "{:,.0f}".format(x)
    if x >= 10:
        return "%.1f" % x
    return "%.2f" % x


def cell(xs):
    m, s = med(xs), spread(xs)
    if m is None:
        return "-"
    return fmt(m) + (" ±%.0f%%" % (s * 100) if s is not None else "")


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    r = a / b
    return "%.2fx" % r if r >= 0.1 else "%.2gx" % r


def table(put, rows, pairs, heads):
    put("| " + " | ".join(heads) + " |")
    put("| " + " | ".join(["---"] * (len(heads) - 3 * len(pairs)) +
                          ["---:"] * (3 * len(pairs))) + " |")
    for lead, get in rows:
        row = list(lead)
        for a, b in pairs:
            xa, xb = get(a), get(b)
            row += [cell(xa), cell(xb), ratio(med(xa), med(xb))]
        put("| " + " | ".join(row) + " |")
    put("")


def summarize(header, runs, put):
    mhz = float(header.get("tsc-mhz", "0").split()[0] or 0)
    ok = [r for r in runs if r["rc"] == OK_STATUS and r["engine"] in ENGINES]
    bad = [r for r in runs if r["rc"] is not None and r["rc"] != OK_STATUS]
    skipped = {}
    for r in runs:
        if r["skipped"]:
            skipped[r["engine"]] = r["skipped"]
    rounds = len({r["round"] for r in runs if r["engine"] in ENGINES})
    put("Summary: medians over %d rounds; ±: half the spread (max - min) "
        "over the rounds, in %% of the median." % rounds)
    put("Host TSC: %s MHz, calibrated by this script; the guests' rdtsc "
        "ticks are converted with it under KVM and TCG." %
        header.get("tsc-mhz"))
    for e, why in sorted(skipped.items()):
        put("SKIPPED %s: %s" % (e, why))
    for r in bad:
        put("FAILED run: round %d %s %s: exit status %d (see the raw "
            "record)" % (r["round"], r["engine"], r["image"], r["rc"]))
    waits = []
    for e in ENGINES:
        fr = [r["wait"] / r["wall"] for r in ok
              if r["wall"] and r["wait"] == r["wait"] and r["engine"] == e]
        if fr:
            waits.append("%s %.0f%%" % (e, med(fr) * 100))
    if waits:
        put("Time the engines' threads spent waiting for a CPU, in %% of "
            "the run (median): %s." % ", ".join(waits))
    put("")

    # Per workload and engine, over the rounds: ns per op as the guest
    # sees it (its rdtsc; the host's clock under libx86emu), and the host
    # CPU time per op.
    seen = {e: {} for e in ENGINES}
    cpu = {e: {} for e in ENGINES}
    ticks = {e: [] for e in ENGINES}
    for r in ok:
        if r["image"] != "bench":
            continue
        e = r["engine"]
        for w, (t, host, c) in bench_figures(r).items():
            if e == "gm-emu":
                v = host
            else:
                v = t * 1000.0 / mhz if mhz else None
            seen[e].setdefault(w, []).append(v)
            cpu[e].setdefault(w, []).append(c)
            if host:
                ticks[e].append(t / host * 1000.0)

    pairs = (("gm-kvm", "qemu-kvm"), ("gm-emu", "qemu-tcg"))
    heads = ["workload", "op", "guestmem KVM", "QEMU KVM",
             "guestmem / QEMU", "guestmem emu", "QEMU TCG",
             "guestmem / QEMU"]
    put("1. As the guest sees it: ns per op (one op = one iteration of the "
        "guest's loop), from the guest's rdtsc (KVM, TCG) or the host's "
        "timestamps of the guest's lines (guestmem emu: libx86emu's rdtsc "
        "counts instructions):")
    put("")
    table(put, [((w, what), lambda e, w=w: seen[e].get(w, []))
                for w, what in WORKLOADS], pairs, heads)
    put("2. What the host spends: CPU time of the engine's process per op, "
        "ns (from /proc/PID/task/*/schedstat when the guest's lines "
        "arrive; time spent waiting for a CPU is not in it; '-' where the "
        "workload used under %.0f ms of CPU, too little to sample):" %
        MIN_SPAN_MS)
    put("")
    table(put, [((w, what), lambda e, w=w: cpu[e].get(w, []))
                for w, what in WORKLOADS], pairs, heads)

    def m(d, e, w):
        return med(d[e].get(w, []))

    def diff(d, e, a, b, div=1.0, times=1.0):
        x, y = m(d, e, a), m(d, e, b)
        return None if x is None or y is None else (x - times * y) / div

    derived = [
        ("mmio-read-hpet - ram-read (KVM: an MMIO read's round trip to "
         "userspace)",
         "mmio-read-hpet", "ram-read", 1, 1),
        ("pio-in - ram-read (KVM: a port read's round trip to userspace)",
         "pio-in", "ram-read", 1, 1),
        ("(pio-burst16-plain - pio-in) / 16: one port write that exits",
         "pio-burst16-plain", "pio-in", 16, 1),
        ("(pio-burst16-coalesced - pio-in) / 16: one coalesced port write",
         "pio-burst16-coalesced", "pio-in", 16, 1),
        ("(pio-burst16-cf8-dword - pio-in) / 16: one dword write to 0xcf8",
         "pio-burst16-cf8-dword", "pio-in", 16, 1),
        ("(pio-burst16-rtc - pio-in) / 16: one write to 0x70",
         "pio-burst16-rtc", "pio-in", 16, 1),
        ("(mmio-burst16-plain - mmio-read-demo) / 16: one MMIO write that "
         "exits", "mmio-burst16-plain", "mmio-read-demo",
         16, 1),
        ("(mmio-burst16-coalesced - mmio-read-demo) / 16: one coalesced "
         "MMIO write", "mmio-burst16-coalesced",
         "mmio-read-demo", 16, 1),
        ("mmio-ioeventfd - ram-read: an ioeventfd write, net",
         "mmio-ioeventfd", "ram-read", 1, 1),
        ("pam-toggle - 2 x pio-in: a PAM change, net of its two port "
         "writes", "pam-toggle", "pio-in", 1, 2),
    ]
    cols = [("guestmem KVM", seen, "gm-kvm"), ("QEMU KVM", seen, "qemu-kvm"),
            ("guestmem KVM, CPU", cpu, "gm-kvm"),
            ("QEMU KVM, CPU", cpu, "qemu-kvm"),
            ("guestmem emu", seen, "gm-emu"), ("QEMU TCG", seen, "qemu-tcg")]
    put("3. Derived from the medians of tables 1 and 2, ns:")
    put("")
    put("| figure | " + " | ".join(c[0] for c in cols) + " |")
    put("| --- |" + " ---: |" * len(cols))
    for name, a, b, div, times in derived:
        put("| " + name + " | " + " | ".join(
            fmt(diff(d, e, a, b, div, times)) for _, d, e in cols) + " |")
    put("")

    put("Guest rdtsc ticks per host microsecond over the exit workloads "
        "(median; under KVM and TCG a check of the TSC conversion, under "
        "libx86emu its instructions per microsecond): " +
        ", ".join("%s %s" % (e, fmt(med(ticks[e]))) for e in ENGINES) + ".")
    put("")

    # The instruction rate.
    rate = {k: {e: [] for e in ENGINES} for k in ("tsc", "wall", "cpu")}
    counted = set()
    code = None
    for r in ok:
        if r["image"] != "bench-mem":
            continue
        f = mem_figures(r)
        if not f:
            continue
        t, instr, passes, secs, cpus = f
        e = r["engine"]
        code = instr
        if secs * 1000.0 >= MIN_HOST_SPAN_MS:
            rate["wall"][e].append(instr * passes / secs / 1e6)
            rate["cpu"][e].append(instr * passes / cpus / 1e6
                                  if cpus else None)
        if e == "gm-emu":
            counted.add(t)
        elif mhz:
            rate["tsc"][e].append(instr / (t / mhz))
    put("4. Memory-bound loop (bench-mem: 8 timed passes, each summing one "
        "dword per 64-byte line of 8 MiB): millions of guest instructions "
        "per second, by three clocks ('-' on the host's clocks where the "
        "passes took under %.0f ms):" % MIN_HOST_SPAN_MS)
    put("")
    table(put, [(("as the guest sees it: its rdtsc (the host's wall clock "
                  "under guestmem emu, as in table 1)",),
                 lambda e: rate["wall"][e] if e == "gm-emu"
                 else rate["tsc"][e]),
                (("host wall clock, between the guest's lines",),
                 lambda e: rate["wall"][e]),
                (("host CPU time of the process, same span",),
                 lambda e: rate["cpu"][e])], pairs,
          ["clock", "guestmem KVM", "QEMU KVM", "guestmem / QEMU",
           "guestmem emu", "QEMU TCG", "guestmem / QEMU"])
    if counted:
        put("Instructions per pass: %s counted from the code; libx86emu's "
            "rdtsc counted %s (the loop plus the few instructions around "
            "it, spread over the passes)." %
            (code, ", ".join(str(x) for x in sorted(counted))))
        put("")
    last = {}
    for r in ok:
        for x in r["err"]:
            if "exits served" in x:
                last[(r["engine"], r["image"])] = x
    if last:
        put("guestmem --stats, last round:")
        for (e, i), x in sorted(last.items()):
            put("    %s %s: %s" % (e, i, x.replace("guestmem: run: ", "")))
        put("")
    for r in runs:
        if r["engine"].startswith("profile:"):
            put("Profile (perf record) of one more run of %s under %s, "
                "by DSO (>= 0.5%% of the samples), then by symbol "
                "(>= 1.5%%):" % (r["image"], r["engine"][8:]))
            put("    " + ", ".join(x[12:] for x in r["err"]
                                   if x.startswith("profile-dso ")))
            for x in r["err"]:
                if x.startswith("profile "):
                    put("    " + x[8:])
            put("")
    ev = [r for r in runs if r["engine"].startswith("perf:")]
    if ev:
        put("Userspace exits counted by perf (kvm:kvm_userspace_exit) over "
            "one more run of bench.bin each:")
        for r in ev:
            put("    %s: %s" % (r["engine"][5:], "; ".join(
                x[6:] for x in r["err"] if x.startswith("count "))))
        put("")


def perf_profile(raw, engine, image, cmd):
    """One run under perf record: the hottest symbols (flat, by DSO)."""
    perf = shutil.which("perf")
    if not perf:
        return
    data = "/tmp/run-kvm-bench-%d.perf" % os.getpid()
    rc, wall, out, err, _ = run_timed([perf, "record", "-q", "-o", data,
                                       "--"] + cmd)
    raw.put("== run round=0 engine=profile:%s image=%s" % (engine, image))
    raw.put("$ " + shlex.join([perf, "record", "--"] + cmd))
    rep = subprocess.run([perf, "report", "-i", data, "--stdio", "-q",
                          "--no-children", "--sort", "dso,sym",
                          "--percent-limit", "1.5"],
                         capture_output=True, text=True)
    dso = subprocess.run([perf, "report", "-i", data, "--stdio", "-q",
                          "--no-children", "--sort", "dso",
                          "--percent-limit", "0.5"],
                         capture_output=True, text=True)
    for x in dso.stdout.splitlines():
        if x.strip():
            raw.put("! profile-dso " + " ".join(x.split()))
    for x in rep.stdout.splitlines():
        if x.strip():
            raw.put("! profile " + " ".join(x.split()))
    try:
        os.unlink(data)
    except OSError:
        pass
    raw.put("== end rc=%d wall_s=%.3f load=%s" % (rc, wall,
                                                   loadavg().split()[0]))


def perf_evidence(raw, engine, cmd):
    """One run under perf stat: userspace exits by reason."""
    perf = shutil.which("perf")
    if not perf:
        return
    pcmd = [perf, "stat", "-x", ",",
            "-e", "kvm:kvm_userspace_exit", "--filter", "reason==6",
            "-e", "kvm:kvm_userspace_exit", "--filter", "reason==2",
            "-e", "kvm:kvm_userspace_exit", "--"] + cmd
    rc, wall, out, err, _ = run_timed(pcmd)
    counts = [x.split(",")[0] for x in err
              if x.endswith(",,") and "kvm_userspace_exit" in x]
    raw.put("== run round=0 engine=perf:%s image=bench" % engine)
    raw.put("$ " + shlex.join(pcmd))
    for x in err:
        raw.put("! " + x)
    if len(counts) == 3:
        raw.put("! count KVM_EXIT_MMIO %s, KVM_EXIT_IO %s, all %s" %
                tuple(counts))
    raw.put("== end rc=%d wall_s=%.3f load=%s" % (rc, wall,
                                                   loadavg().split()[0]))


# --- main ----------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs",
                                                  "bench-kvm-run.txt"))
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    ap.add_argument("--from-raw", metavar="FILE",
                    help="print the tables of a raw file; run nothing")
    a = ap.parse_args()

    if a.from_raw:
        with open(a.from_raw) as f:
            header, runs = parse_raw(f.read().splitlines())
        summarize(header, runs, print)
        return 0

    if not os.path.exists(os.path.join(a.build, "build.ninja")):
        subprocess.run(["meson", "setup", a.build], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", a.build, "guestmem", "guests/bench.bin",
                    "guests/bench-mem.bin"], check=True,
                   stdout=subprocess.DEVNULL)
    guestmem = os.path.join(a.build, "guestmem")
    images = {i: os.path.join(a.build, "guests", i + ".bin") for i in IMAGES}
    raw = Raw(a.out)

    def say(line=""):
        raw.put(line)
        print(line, flush=True)

    rdtsc = tsc_reader()
    if not rdtsc:
        sys.exit("run-kvm-bench: cannot read the TSC on this host")
    flags = cpu_flags()
    mhz0 = tsc_mhz(rdtsc)
    kvm_ok, kvm_detail = kvm_usable()
    qemu = shutil.which(a.qemu)
    qemu_version = "not found"
    if qemu:
        qemu_version = subprocess.run([qemu, "--version"],
                                      capture_output=True,
                                      text=True).stdout.splitlines()[0]
    say("# guestmem KVM backend and software CPU beside QEMU 7.2: raw run")
    say("# command: python3 bench/run-kvm-bench.py --repeats %d" %
        a.repeats)
    say("# date: %s" % time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    say("# host: %s" % " ".join(platform.uname()))
    say("# cpu: %s, %d logical CPUs, flags of note: %s" % (
        cpu_model(), os.cpu_count() or 0,
        " ".join(f for f in ("constant_tsc", "nonstop_tsc",
                             "tsc_known_freq", "vmx", "svm") if f in flags)))
    say("# kvm: %s" % (kvm_detail if kvm_ok else "UNUSABLE: " + kvm_detail))
    say("# qemu: %s" % qemu_version)
    say("# source: %s" % source_state())
    say("# tsc-mhz: %.2f" % mhz0)
    say("# observer: %s" % observer_priority())
    say("# loadavg-before: %s" % loadavg())
    if not kvm_ok:
        print("*** run-kvm-bench: KVM is not usable (%s): the KVM columns "
              "are SKIPPED ***" % kvm_detail, file=sys.stderr)
    if not qemu:
        print("*** run-kvm-bench: %s not found: the QEMU columns are "
              "SKIPPED ***" % a.qemu, file=sys.stderr)
    elif " 7.2." not in qemu_version:
        print("*** run-kvm-bench: %s is not QEMU 7.2 ***" % qemu_version,
              file=sys.stderr)
    say("")

    t_start = time.perf_counter()
    for rnd in range(1, a.repeats + 1):
        shift = (rnd - 1) % len(ENGINES)
        order = ENGINES[shift:] + ENGINES[:shift]
        for image in IMAGES:
            for e in order:
                raw.put("== run round=%d engine=%s image=%s" %
                        (rnd, e, image))
                why = None
                if e.endswith("kvm") and not kvm_ok:
                    why = "KVM not usable: " + kvm_detail
                elif e.startswith("qemu") and not qemu:
                    why = a.qemu + " not found"
                if why:
                    raw.put("== skipped " + why)
                    continue
                cmd = command(e, images[image], guestmem, qemu)
                raw.put("$ " + shlex.join(cmd))
                rc, wall, out, err, (cpu, wait) = run_timed(cmd)
                for ms, c, w, text in out:
                    raw.put("@ %.3f %.3f %.3f %s" % (ms, c, w, text))
                for text in err:
                    raw.put("! " + text)
                raw.put("== end rc=%d wall_s=%.3f cpu_s=%.3f wait_s=%.3f "
                        "load=%s" % (rc, wall, cpu / 1000.0, wait / 1000.0,
                                     loadavg().split()[0]))
                print("round %d/%d %-8s %-9s exit %d, %.1f s" %
                      (rnd, a.repeats, e, image, rc, wall), file=sys.stderr,
                      flush=True)
    # Evidence for what limits the figures, after the timed rounds: exit
    # counts by reason, and flat profiles.
    if kvm_ok:
        perf_evidence(raw, "gm-kvm", command("gm-kvm", images["bench"],
                                             guestmem, qemu))
        if qemu:
            perf_evidence(raw, "qemu-kvm", command("qemu-kvm",
                                                   images["bench"],
                                                   guestmem, qemu))
    profiles = [("gm-emu", "bench-mem")]
    if kvm_ok:
        profiles = [("gm-kvm", "bench"), ("gm-kvm", "bench-mem")] + profiles
        if qemu:
            profiles.insert(1, ("qemu-kvm", "bench"))
    for e, i in profiles:
        perf_profile(raw, e, i, command(e, images[i], guestmem, qemu))
    raw.put("")
    say("# tsc-mhz-after: %.2f" % tsc_mhz(rdtsc))
    say("# loadavg-after: %s" % loadavg())
    say("# elapsed: %.0f s" % (time.perf_counter() - t_start))
    say("")
    header, runs = parse_raw(raw.lines)
    summarize(header, runs, say)
    raw.close()
    print("raw run: %s" % os.path.relpath(a.out), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
