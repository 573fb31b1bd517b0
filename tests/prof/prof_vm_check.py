#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Check a trace xpu-prof wrote in the VM, through the driver (run by
tests/share/vm-share-test.sh on the files the guest left in the share).

The guest ran `xpu-prof -o prof.json --svg prof.svg -- ./hello`
(examples/hello) on /dev/accel/accel0; DIR holds prof.json, prof.svg, prof.out (the program's
stdout, then "prof exit N") and prof.err (xpu-prof's summary). Checks, as
prof_host_test.py does on the host backend: a DRM device, one wall event
per job on named queue tracks, the kernel's event carrying the device
cycles the program printed, every job OK, the modeled track laid end to
end (cycles / clock_mhz), the summary's job count, the SVG. The driver
reports per-job totals only (cycles; the completion record has no unit busy
times), so the modeled unit tracks must be absent rather than invented;
where present they must fit in their job. Prints one line per check,
"PASS name" or "FAIL name: detail"; exit status 1 if any failed.

  prof_vm_check.py DIR
"""
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

from prof_trace import modeled_jobs, split

d_dir = sys.argv[1]
results = []


def ok(cond, name, detail=""):
    results.append((bool(cond), name, detail))


def read(name):
    try:
        with open(os.path.join(d_dir, name)) as f:
            return f.read()
    except OSError as e:
        return "(%s)" % e


out, err = read("prof.out"), read("prof.err")
ok("prof exit 0" in out and "OK" in out, "prof_vm.hello_runs_under_xpu_prof", out + err)
try:
    with open(os.path.join(d_dir, "prof.json")) as f:
        d = json.load(f)
    ok(isinstance(d.get("traceEvents"), list), "prof_vm.trace_is_json")
except (OSError, ValueError) as e:
    d = None
    ok(False, "prof_vm.trace_is_json", str(e))

if not d:
    for name in ("device_is_the_driver_node", "kernel_event_has_the_device_cycles",
                 "every_job_ok_with_cycles", "per_queue_tracks_named",
                 "modeled_job_track_cycles_over_clock", "unit_tracks_through_the_driver",
                 "summary_counts_jobs"):
        ok(False, "prof_vm." + name, "no trace")
    wall = []
else:
    devs, mpids, wall, mod, tn = split(d)
    pn = {e["pid"]: e["args"]["name"] for e in d["traceEvents"]
          if e["ph"] == "M" and e["name"] == "process_name"}
    ok(len(devs) == 1 and all("/dev/accel/accel" in pn.get(p, "") for p in devs),
       "prof_vm.device_is_the_driver_node", str(pn))
    m = re.search(r"(\d+) device cycles", out)
    ok(m and any(e["args"]["cycles"] == int(m.group(1)) and "vadd_i32" in e["name"]
                 for e in wall), "prof_vm.kernel_event_has_the_device_cycles",
       "printed %s; events %s" % (m and m.group(1),
                                  [(e["name"], e["args"]["cycles"]) for e in wall]))
    ok(wall and all(e["args"]["status"] == "OK" and e["dur"] >= 0 and e["args"]["cycles"] > 0
                    for e in wall), "prof_vm.every_job_ok_with_cycles")
    ok(all(tn.get((e["pid"], e["tid"])) == "queue %d" % e["args"]["queue"] for e in wall) and
       all(tn.get((dv["modeled_pid"], 4 * q)) == "queue %d" % q
           for dv in devs.values() for q in range(dv["num_queues"])),
       "prof_vm.per_queue_tracks_named")
    # modeled jobs: one box per job, cycles / clock, end to end per queue
    boxes, bad = modeled_jobs(mod, mpids)
    jobs = [e for _, _, _, e in boxes]
    ok(not bad and len(jobs) == len(wall), "prof_vm.modeled_job_track_cycles_over_clock",
       "; ".join(bad[:3]) or "%d modeled boxes, %d jobs" % (len(jobs), len(wall)))
    units = [e for e in mod if e["tid"] % 4]
    unit_names = [n for (p, t), n in tn.items() if p in mpids and t % 4]
    fit = all(any(j["pid"] == u["pid"] and j["tid"] == u["tid"] - u["tid"] % 4 and
                  abs(j["ts"] - u["ts"]) < 1e-6 and u["dur"] <= j["dur"] + 1e-3 for j in jobs)
              for u in units)
    # through the driver (uAPI 1.3, a 1.1 device) every job reports its busy
    # time per unit: the vadd kernel moves data (DMA) and adds (VPU)
    ok(fit and units and any(n.endswith(" DMA") for n in unit_names) and
       any(n.endswith(" VPU") for n in unit_names), "prof_vm.unit_tracks_through_the_driver",
       "%d unit boxes, tracks %s" % (len(units), unit_names))
    m = re.search(r"xpu-prof: (\d+) jobs", err)
    ok(m and int(m.group(1)) == len(wall), "prof_vm.summary_counts_jobs", err[-300:])
try:
    root = ET.parse(os.path.join(d_dir, "prof.svg")).getroot()
    titles = list(root.iter("{http://www.w3.org/2000/svg}title"))
    ok(root.tag == "{http://www.w3.org/2000/svg}svg" and d and len(titles) >= len(wall),
       "prof_vm.svg_well_formed", "%d boxes" % len(titles))
except (OSError, ET.ParseError) as e:
    ok(False, "prof_vm.svg_well_formed", str(e))

for good, name, detail in results:
    print("PASS %s" % name if good else "FAIL %s: %s" % (name, detail.strip()[-400:]))
sys.exit(0 if all(r[0] for r in results) else 1)
