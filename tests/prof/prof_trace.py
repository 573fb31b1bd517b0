# SPDX-License-Identifier: MIT
"""Reading an xpu-prof trace (Chrome trace JSON, runtime/lib/profile.c),
shared by the host test (prof_host_test.py) and the check of the trace
written in the VM (prof_vm_check.py): the events split by device and track,
and the modeled job track's layout (each job box cycles / clock_mhz long,
end to end per queue; queue q's job track is tid 4q, its units 4q+1..4q+3).
"""


def split(d):
    """(devices by wall pid, devices by modeled pid, wall boxes, modeled
    boxes, thread names by (pid, tid))"""
    dev = {x["pid"]: x for x in d["xpuDevices"]}
    mpids = {x["modeled_pid"]: x for x in d["xpuDevices"]}
    xs = [e for e in d["traceEvents"] if e["ph"] == "X"]
    wall = [e for e in xs if e["pid"] in dev]
    mod = [e for e in xs if e["pid"] in mpids]
    tn = {(e["pid"], e["tid"]): e["args"]["name"] for e in d["traceEvents"]
          if e["ph"] == "M" and e["name"] == "thread_name"}
    return dev, mpids, wall, mod, tn


def modeled_jobs(mod, mpids):
    """the modeled job boxes as (pid, queue, clock_mhz, event), each queue's
    in order, and what is wrong with their layout (one string per box)"""
    boxes, bad = [], []
    n = sum(1 for e in mod if e["tid"] % 4 == 0)
    for pid, dv in mpids.items():
        clk = dv["clock_mhz"]
        for q in range(dv["num_queues"]):
            t = 0.0
            for e in [e for e in mod if e["pid"] == pid and e["tid"] == 4 * q]:
                want = e["args"]["cycles"] / clk
                if abs(e["dur"] - want) > 1e-3 or abs(e["ts"] - t) > 1e-3 * (1 + n):
                    bad.append("%s dur %s ts %s, want %s at %s" % (e["name"], e["dur"],
                                                                  e["ts"], want, t))
                boxes.append((pid, q, clk, e))
                t += want
    return boxes, bad
