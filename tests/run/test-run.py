#!/usr/bin/env python3
"""test-run.py GUESTMEM GUEST_DIR: `guestmem run` end to end, as TAP.

Every guest of guests/ runs under the software CPU (everywhere) and under
KVM (where /dev/kvm works; each KVM case is a loud SKIP otherwise), and its
console output, exit status and messages are checked.  SeaBIOS from
Debian's seabios package must print what it prints under a live QEMU 7.2
(TCG) with the same -m, up to its relocation line.  Bad input gets one
line on stderr and a non-zero status, and leaves the user's files alone.
"""
import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

GM, GUESTS = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
SEABIOS = "/usr/share/seabios/bios-256k.bin"
results = []


def report(ok, name, detail=""):
    results.append(ok)
    print("%s %d - %s" % ("ok" if ok else "not ok", len(results), name))
    if not ok and detail:
        for line in detail.splitlines()[:40]:
            print("#   " + line)


def skip(name, why):
    results.append(True)
    print("ok %d - %s # SKIP %s" % (len(results), name, why))
    sys.stderr.write("SKIP %s: %s\n" % (name, why))


def kvm_reason():
    """None if KVM can run a guest here, else why not."""
    KVM_GET_API_VERSION, KVM_CREATE_VM = 0xAE00, 0xAE01
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError as e:
        return "/dev/kvm: %s" % e.strerror
    try:
        if fcntl.ioctl(fd, KVM_GET_API_VERSION, 0) != 12:
            return "/dev/kvm: unexpected API version"
        os.close(fcntl.ioctl(fd, KVM_CREATE_VM, 0))
    except OSError as e:
        return "/dev/kvm: cannot create a VM: %s" % e.strerror
    finally:
        os.close(fd)
    return None


NO_KVM = kvm_reason()


def run(args, timeout=120, cwd=None):
    p = subprocess.run([GM, "run"] + args, capture_output=True, text=True,
                       timeout=timeout, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def guest(name):
    return os.path.join(GUESTS, name + ".bin")


def accels():
    yield "emu", None
    yield "kvm", NO_KVM


def case(name, accel, why_not, args, status, stdout_has=(), stderr_has=(),
         stdout_not=(), check=None):
    title = "%s under %s" % (name, accel)
    if why_not:
        skip(title, why_not)
        return
    rc, out, err = run(["--accel", accel] + args)
    problems = []
    if rc != status:
        problems.append("exit status %d, expected %d" % (rc, status))
    for s in stdout_has:
        if s not in out:
            problems.append("stdout lacks %r" % s)
    for s in stdout_not:
        if s in out:
            problems.append("stdout has %r" % s)
    for s in stderr_has:
        if not re.search(s, err):
            problems.append("stderr lacks /%s/" % s)
    if check:
        problems += check(out, err)
    report(not problems, title,
           "\n".join(problems) + "\n--- stdout\n" + out + "--- stderr\n" + err)


def no_fail_lines(out, err):
    return ["a check failed: " + l for l in out.splitlines()
            if l.startswith("FAIL")]


def guests():
    for accel, why in accels():
        case("console on 0xe9 and 0x402, debug exit 0x2a -> 85", accel, why,
             ["--bios", guest("t-basic"), "--timeout", "20"], 85,
             ["hello from port 0xe9\nhello from port 0x402\n"],
             stdout_not=["not reached"])
        case("hlt with interrupts off -> 0", accel, why,
             ["--bios", guest("t-hlt"), "--timeout", "20"], 0,
             ["halting with interrupts off"], stdout_not=["not reached"])
        case("hlt with interrupts on waits for the timeout -> 124", accel,
             why, ["--bios", guest("t-wait"), "--timeout", "1"], 124,
             ["waiting"], ["^guestmem: run: timed out after 1 s\n$"])
        case("an endless loop ends at the timeout -> 124", accel, why,
             ["--bios", guest("t-loop"), "--timeout", "1"], 124,
             ["spinning"], ["timed out after 1 s"])
        case("all 13 PAM segments switch RAM/read-only/PCI", accel, why,
             ["--bios", guest("t-pam"), "--timeout", "60"], 0,
             ["all checks passed"], check=no_fail_lines)
        case("ROM, isa-bios, pc.rom and unassigned memory and ports", accel,
             why, ["--bios", guest("t-rom"), "--timeout", "20"], 0,
             ["all checks passed"], check=no_fail_lines)
        for mem, size in (("64M", 64 << 20), ("5G", 5 << 30)):
            case("fw_cfg over ports and DMA, -m %s" % mem, accel, why,
                 ["--bios", guest("t-fwcfg"), "-m", mem, "--timeout", "20"],
                 0, ["ram size 0x%016x\n" % size, "all checks passed"],
                 check=no_fail_lines)
    case("an instruction libx86emu lacks is named", "emu", None,
         ["--bios", guest("t-ud"), "--timeout", "20"], 1,
         ["before cmpxchg8b"],
         [r"^guestmem: run: the software CPU \(libx86emu\) does not implement"
          r" the instruction at 0008:[0-9a-f]{8} \(it starts with bytes "
          r"0f c7 0f", "EIP="], stdout_not=["after"])
    case("KVM runs what libx86emu lacks", "kvm", NO_KVM,
         ["--bios", guest("t-ud"), "--timeout", "20"], 0,
         ["after cmpxchg8b"])
    for accel, why in accels():
        case("a triple fault ends the run with a register dump", accel, why,
             ["--bios", guest("t-triple"), "--timeout", "20"], 1,
             ["about to triple fault"],
             ["^guestmem: run: triple fault \\(shutdown\\)\n", "EIP=", "CR0="],
             stdout_not=["not reached"])


DEMO_DIRTY = ("dirty pages of pc.ram (DIRTY_MEMORY_MIGRATION), as offsets "
              "into it (RAM above 4 GiB starts at offset 0xc0000000): "
              "0x6000-0x7fff "
              "0xf0000-0x100fff 0x110000-0x110fff 0x300000-0x301fff "
              "0xc0001000-0xc0001fff (23 pages)\n")


def demo():
    for accel, why in accels():
        case("the demo guest, -m 5G, and exactly the pages it wrote", accel,
             why, ["-m", "5G", "--dirty-log", "--stats", "--timeout", "60"],
             0, ["all checks passed", DEMO_DIRTY,
                 "ok - RAM above 4 GiB: data copied to 0x100001000 and back",
                 "ok - coalesced MMIO", "ok - ioeventfd: the doorbell"],
             ["demo device: 64 coalesced writes, 0 doorbell writes"],
             check=no_fail_lines)
        case("the demo guest without RAM above 4 GiB", accel, why,
             ["-m", "64M", "--timeout", "60"], 0,
             ["no RAM above 4 GiB", "all checks passed"], check=no_fail_lines)
    if not NO_KVM:
        # Under KVM the burst waits in the coalesced ring: far fewer exits
        # than writes.
        rc, out, err = run(["--accel", "kvm", "-m", "64M", "--stats",
                            "--timeout", "60"])
        m = re.search(r"(\d+) coalesced writes drained", err)
        report(rc == 0 and m and int(m.group(1)) >= 64,
               "KVM: the demo's 64-write burst went through the coalesced "
               "ring", err)


def qemu_seabios(mem):
    """SeaBIOS's debug console under QEMU 7.2 (TCG) up to its relocation
    line, or None if QEMU is not installed."""
    qemu = shutil.which("qemu-system-x86_64")
    if not qemu:
        return None
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "con.txt")
        p = subprocess.Popen([qemu, "-M", "pc", "-m", mem, "-nodefaults",
                              "-display", "none", "-accel", "tcg",
                              "-bios", SEABIOS, "-device",
                              "isa-debugcon,iobase=0x402,chardev=c",
                              "-chardev", "file,id=c,path=" + log],
                             stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
        text = ""
        try:
            deadline = time.time() + 60
            while time.time() < deadline:
                if os.path.exists(log):
                    text = open(log, errors="replace").read()
                    if "Relocating init" in text:
                        break
                time.sleep(0.1)
        finally:
            p.kill()
            p.wait()
    return text


def early_lines(text):
    lines = text.splitlines()
    for i, l in enumerate(lines):
        if l.startswith("Relocating init"):
            return lines[:i + 1]
    return None


def seabios():
    if not os.path.exists(SEABIOS):
        for accel, _ in accels():
            skip("SeaBIOS under %s" % accel, "%s is absent (package "
                 "seabios)" % SEABIOS)
        return
    for mem in ("64M", "5G"):
        ref = qemu_seabios(mem)
        if ref is None:
            for accel, _ in accels():
                skip("SeaBIOS -m %s under %s against QEMU" % (mem, accel),
                     "qemu-system-x86_64 is not installed")
            continue
        want = early_lines(ref)
        if not want:
            report(False, "QEMU 7.2 printed SeaBIOS's early lines, -m " + mem,
                   ref)
            continue
        for accel, why in accels():
            title = "SeaBIOS -m %s under %s prints QEMU 7.2's early lines" % (
                mem, accel)
            if why:
                skip(title, why)
                continue
            rc, out, err = run(["--accel", accel, "-m", mem, "--bios",
                                SEABIOS, "--timeout", "5"])
            got = early_lines(out)
            report(got == want and rc == 124, title,
                   "status %d\n--- QEMU\n%s\n--- guestmem\n%s\n%s" %
                   (rc, "\n".join(want), out[:3000], err))


def seabios_q35():
    """SeaBIOS on the q35 machine: its early lines (up to and including
    "Relocating init") as QEMU 7.2 (TCG) prints them with the same -m,
    under both accelerators; at 2816M RAM splits at 2 GiB, at 5G some of
    it is above 4 GiB."""
    if not os.path.exists(SEABIOS):
        for accel, _ in accels():
            skip("SeaBIOS on q35 under %s" % accel, "%s is absent (package "
                 "seabios)" % SEABIOS)
        return
    qemu = shutil.which("qemu-system-x86_64")
    for mem in ("64M", "2816M", "5G"):
        if not qemu:
            for accel, _ in accels():
                skip("SeaBIOS on q35 -m %s under %s against QEMU" %
                     (mem, accel), "qemu-system-x86_64 is not installed")
            continue
        with tempfile.TemporaryDirectory() as d:
            log = os.path.join(d, "con.txt")
            p = subprocess.Popen([qemu, "-M", "q35", "-m", mem, "-nodefaults",
                                  "-display", "none", "-accel", "tcg",
                                  "-bios", SEABIOS, "-device",
                                  "isa-debugcon,iobase=0x402,chardev=c",
                                  "-chardev", "file,id=c,path=" + log],
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
            ref = ""
            try:
                deadline = time.time() + 60
                while time.time() < deadline:
                    if os.path.exists(log):
                        ref = open(log, errors="replace").read()
                        if "Relocating init" in ref:
                            break
                    time.sleep(0.1)
            finally:
                p.kill()
                p.wait()
        want = early_lines(ref)
        if not want or "Running on QEMU (q35)" not in want:
            report(False, "QEMU 7.2 printed SeaBIOS's early lines on q35, "
                   "-m " + mem, ref)
            continue
        for accel, why in accels():
            title = ("SeaBIOS on q35 -m %s under %s prints QEMU 7.2's early "
                     "lines" % (mem, accel))
            if why:
                skip(title, why)
                continue
            rc, out, err = run(["--machine", "q35", "--accel", accel, "-m",
                                mem, "--bios", SEABIOS, "--timeout", "5"])
            got = early_lines(out)
            report(got == want and rc == 124, title,
                   "status %d\n--- QEMU\n%s\n--- guestmem\n%s\n%s" %
                   (rc, "\n".join(want), out[:3000], err))


def sha(path):
    return hashlib.sha256(open(path, "rb").read()).hexdigest()


def bad_input():
    with tempfile.TemporaryDirectory() as d:
        small = os.path.join(d, "small.bin")
        open(small, "wb").write(b"\0" * 1000)
        big = os.path.join(d, "big.bin")
        with open(big, "wb") as f:
            f.truncate(17 << 20)
        odd = os.path.join(d, "odd.bin")
        open(odd, "wb").write(b"\x90" * (64 * 1024 + 512))
        fifo = os.path.join(d, "fifo.bin")
        os.mkfifo(fifo)
        before = {p: sha(p) for p in (small, odd)}
        cases = [
            ("a missing BIOS", ["--bios", os.path.join(d, "nope.bin")],
             r"could not load PC BIOS '.*nope.bin': No such file"),
            ("a BIOS that is a directory", ["--bios", d],
             r"is not a regular file"),
            ("a BIOS of 1000 bytes", ["--bios", small],
             r"has 1000 bytes: it must be a multiple of 64 KiB"),
            ("a BIOS not a multiple of 64 KiB", ["--bios", odd],
             r"has 66048 bytes"),
            ("a BIOS over 16 MiB", ["--bios", big], r"at most 16 MiB"),
            ("a BIOS that is a FIFO nobody writes (it hung)",
             ["--bios", fifo], r"is not a regular file"),
            ("-m larger than the host", ["-m", "100T"],
             r"more than this host's"),
            ("an unknown accelerator", ["--accel", "tcg"],
             r"--accel: 'kvm' or 'emu'"),
            ("a bad timeout", ["--timeout", "soon"], r"--timeout: whole"),
            ("an unknown machine", ["--machine", "q99"], r"machine"),
        ]
        for name, args, msg in cases:
            rc, out, err = run(args + ["--timeout", "5"]
                               if "--timeout" not in args else args, cwd=d)
            lines = err.splitlines()
            ok = (rc != 0 and len(lines) == 1 and re.search(msg, lines[0])
                  and out == "")
            report(bool(ok), "bad input: %s -> one line, non-zero" % name,
                   "status %d\n%s%s" % (rc, out, err))
        after = {p: sha(p) for p in before}
        left = sorted(os.listdir(d))
        report(after == before and left == ["big.bin", "fifo.bin", "odd.bin",
                                            "small.bin"],
               "bad input leaves the user's files as they were", str(left))
    # /dev/kvm present but unusable: a private mount namespace puts
    # /dev/null in its place (needs root and unshare).
    if NO_KVM is None and os.geteuid() == 0 and shutil.which("unshare"):
        p = subprocess.run(["unshare", "-m", "sh", "-c",
                            "mount --bind /dev/null /dev/kvm && "
                            "exec \"$0\" run --accel kvm --timeout 5", GM],
                           capture_output=True, text=True, timeout=60)
        if "mount" in p.stderr and "guestmem" not in p.stderr:
            skip("an unusable /dev/kvm", "cannot bind-mount here: " +
                 p.stderr.strip())
        else:
            lines = p.stderr.splitlines()
            report(p.returncode == 1 and len(lines) == 1 and
                   "/dev/kvm has API version" in lines[0],
                   "an unusable /dev/kvm with --accel kvm -> one line",
                   p.stderr)
            p = subprocess.run(["unshare", "-m", "sh", "-c",
                                "mount --bind /dev/null /dev/kvm && "
                                "exec \"$0\" run -m 64M --timeout 60", GM],
                               capture_output=True, text=True, timeout=120)
            report(p.returncode == 0 and "accelerator: emu" in p.stderr and
                   "all checks passed" in p.stdout,
                   "an unusable /dev/kvm: the default falls back to emu "
                   "and says why", p.stderr)
    else:
        skip("an unusable /dev/kvm", NO_KVM or "needs root and unshare")


guests()
demo()
seabios()
seabios_q35()
bad_input()
print("1..%d" % len(results))
sys.exit(0 if all(results) else 1)
