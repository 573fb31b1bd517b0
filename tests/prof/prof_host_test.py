#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""The profiler on the host backend (make prof-host-tests), TAP.

Runs programs under tools/xpu-prof (XPU_PROFILE, runtime/lib/profile.c) and
checks the trace with the json module: one event per job (against
xpu_device_get_usage's job counter), named queue tracks, modeled durations
equal to cycles / clock_mhz laid end to end, per-unit busy tracks, a trace
written at exit for devices never closed, one process per device, the
summary, the SVG (well-formed XML), and the tool's errors.

  prof_host_test.py BUILD_DIR
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

from prof_trace import modeled_jobs, split

BUILD = os.path.abspath(sys.argv[1])
BIN = os.path.join(BUILD, "bin")
PROF = os.path.join(BIN, "xpu-prof")
LIB = os.path.join(BUILD, "lib", "libxpu.so")
HERE = os.path.dirname(os.path.abspath(__file__))
TMP = tempfile.mkdtemp(prefix="xpu-prof-test.")
ENV = dict(os.environ, XPU_BACKEND="host")
ENV.pop("XPU_PROFILE", None)

results = []


def ok(cond, name, detail=""):
    results.append((bool(cond), name, detail))


def run(args, env=ENV):
    p = subprocess.run(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       universal_newlines=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


def load(path):
    with open(path) as f:
        return json.load(f)


def modeled_checks(d, tag):
    """modeled job boxes: cycles / clock, end to end per queue; unit boxes <= job"""
    dev, mpids, wall, mod, tn = split(d)
    boxes, bad = modeled_jobs(mod, mpids)
    for pid, q, clk, e in boxes:
        for u in range(1, 4):
            for ue in mod:
                if ue["pid"] == pid and ue["tid"] == q * 4 + u and \
                   abs(ue["ts"] - e["ts"]) < 1e-6 and ue["name"] == e["name"]:
                    if ue["dur"] > e["dur"] + 1e-3 or \
                       abs(ue["dur"] - ue["args"]["busy_cycles"] / clk) > 1e-3:
                        bad.append("%s unit %d dur %s > job %s" %
                                   (e["name"], u, ue["dur"], e["dur"]))
    ok(not bad and mod, "prof.%s_modeled_cycles_over_clock" % tag, "; ".join(bad[:3]))


# 1: xpu-hello under xpu-prof: trace, SVG, summary
trace, svgf = os.path.join(TMP, "hello.json"), os.path.join(TMP, "hello.svg")
rc, out, err = run([PROF, "-o", trace, "--svg", svgf, "--", os.path.join(BIN, "xpu-hello")])
ok(rc == 0 and "OK" in out, "prof.hello_runs", "rc %d: %s" % (rc, err.strip()[-300:]))
try:
    d = load(trace)
    ok(isinstance(d["traceEvents"], list), "prof.hello_trace_is_json")
except (OSError, ValueError, KeyError) as e:
    d = None
    ok(False, "prof.hello_trace_is_json", str(e))
if d:
    dev, mpids, wall, mod, tn = split(d)
    m = re.search(r"(\d+) device cycles", out)
    ok(m and any(e["args"]["cycles"] == int(m.group(1)) and "vadd_i32" in e["name"]
                 for e in wall), "prof.hello_kernel_event_has_its_cycles",
       "no vadd_i32 event with the printed cycles")
    ok(all(e["args"]["status"] == "OK" and e["dur"] >= 0 for e in wall) and wall,
       "prof.hello_jobs_ok")
    modeled_checks(d, "hello")
    m = re.search(r"xpu-prof: (\d+) jobs", err)
    ok(m and int(m.group(1)) == len(wall), "prof.hello_summary_counts_jobs", err[-300:])
try:
    root = ET.parse(svgf).getroot()
    rects = [r for r in root.iter("{http://www.w3.org/2000/svg}title")]
    ok(root.tag == "{http://www.w3.org/2000/svg}svg" and d and len(rects) >= len(split(d)[2]),
       "prof.hello_svg_well_formed", "%d boxes" % len(rects))
except (OSError, ET.ParseError) as e:
    ok(False, "prof.hello_svg_well_formed", str(e))

# 1b: the matmul demo's kernel: its event carries the cycles the demo prints
trace = os.path.join(TMP, "matmul.json")
rc, out, err = run([PROF, "-o", trace, "--", os.path.join(BIN, "xpu-matmul-demo"), "--host"])
m = re.search(r"matmul \S+: (\d+) cycles", out)
try:
    wall = split(load(trace))[2]
except (OSError, ValueError) as e:
    wall = []
ok(rc == 0 and m and any(e["args"]["cycles"] == int(m.group(1)) for e in wall),
   "prof.matmul_event_has_its_cycles", "rc %d: %s %s" % (rc, out[-200:], err[-300:]))

# 2: job count against xpu_device_get_usage, two devices, queue tracks named
trace = os.path.join(TMP, "usage.json")
prog = [sys.executable, os.path.join(HERE, "usage_prog.py"), LIB]
rc, out, err = run([PROF, "-o", trace, "--"] + prog + ["2", "3"])
counts = [int(x) for x in re.findall(r"^jobs (\d+)$", out, re.M)]
ok(rc == 0 and len(counts) == 2 and all(counts), "prof.usage_runs", "rc %d %s" % (rc, err[-300:]))
if rc == 0 and os.path.exists(trace):
    d = load(trace)
    dev, mpids, wall, mod, tn = split(d)
    got = [len([e for e in wall if e["pid"] == p]) for p in sorted(dev)]
    ok(got == counts, "prof.one_event_per_job", "trace %s, usage %s" % (got, counts))
    ok(len(mod) >= len(wall) and
       len([e for e in mod if e["tid"] % 4 == 0]) == len(wall), "prof.one_modeled_box_per_job")
    names_ok = all(tn.get((p, q)) == "queue %d" % q and tn.get((dv["modeled_pid"], 4 * q)) ==
                   "queue %d" % q for p, dv in dev.items() for q in range(dv["num_queues"]))
    ok(names_ok and len(dev) == 2, "prof.queue_tracks_named_per_device")
    ok(all(tn.get((dv["modeled_pid"], 4 * q + 1 + i)) == "queue %d %s" % (q, u)
           for dv in dev.values() for q in range(dv["num_queues"])
           for i, u in enumerate(("DMA", "MXU", "VPU"))) and
       any(e["tid"] % 4 == 1 for e in mod), "prof.unit_tracks_on_host_backend")
    modeled_checks(d, "usage")
else:
    ok(False, "prof.one_event_per_job", "no trace")

# 3: devices never closed: libxpu writes the trace at exit
trace = os.path.join(TMP, "atexit.json")
env = dict(ENV, XPU_PROFILE=trace)
rc, out, err = run(prog + ["1", "2", "--no-close"], env)
counts = [int(x) for x in re.findall(r"^jobs (\d+)$", out, re.M)]
try:
    got = len(split(load(trace))[2])
except (OSError, ValueError) as e:
    got = str(e)
ok(rc == 0 and counts == [got], "prof.trace_written_at_exit", "usage %s, trace %s" % (counts, got))

# 4: %p is the process id
env = dict(ENV, XPU_PROFILE=os.path.join(TMP, "pid-%p.json"))
p = subprocess.Popen(prog + ["1", "1"], env=env, stdout=subprocess.PIPE)
p.communicate()
ok(os.path.exists(os.path.join(TMP, "pid-%d.json" % p.pid)), "prof.percent_p_is_pid")

# 5: an unwritable trace path: the program still succeeds, the error names the path
bad = os.path.join(TMP, "no-such-dir", "t.json")
rc, out, err = run(prog + ["1", "1"], dict(ENV, XPU_PROFILE=bad))
ok(rc == 0 and bad in err, "prof.unwritable_path_reported", "rc %d: %s" % (rc, err.strip()))

# 6: the tool's own errors
rc, out, err = run([PROF])
ok(rc == 2 and "no command" in err, "prof.no_command_is_usage_error", "rc %d %s" % (rc, err))
rc, out, err = run([PROF, "-o", os.path.join(TMP, "x.json"), "--", os.path.join(TMP, "nothere")])
ok(rc == 127 and "cannot run" in err, "prof.missing_command_127", "rc %d %s" % (rc, err))
rc, out, err = run([PROF, "-o", os.path.join(TMP, "f.json"), "--", "false"])
ok(rc == 1 and "wrote no trace" in err, "prof.exit_status_passed_through", "rc %d %s" % (rc, err))
notjson = os.path.join(TMP, "bad.json")
with open(notjson, "w") as f:
    f.write("{not json")
rc, out, err = run([PROF, "--render", notjson])
ok(rc == 1 and notjson in err, "prof.render_rejects_bad_json", "rc %d %s" % (rc, err))

print("TAP version 13")
print("1..%d" % len(results))
fails = 0
for i, (good, name, detail) in enumerate(results, 1):
    print("%s %d %s" % ("ok" if good else "not ok", i, name))
    if not good:
        fails += 1
        for line in str(detail).splitlines()[:5]:
            print("# " + line)
print("# prof: %d passed, %d failed" % (len(results) - fails, fails))
subprocess.call(["rm", "-rf", TMP])
sys.exit(1 if fails else 0)
