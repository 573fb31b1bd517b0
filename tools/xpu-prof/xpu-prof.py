#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""xpu-prof: run a program under libxpu's profiler and show where time went.

  xpu-prof [-o trace.json] [--svg out.svg] -- command args...
  xpu-prof --render trace.json [--svg out.svg]

Runs the command with XPU_PROFILE set (libxpu writes a Chrome/Perfetto JSON
trace when each device closes and at exit; runtime/lib/profile.c), then
prints a summary (jobs per queue, wall busy time, modeled device time) and,
with --svg, draws the tracks as an SVG timeline: one row per track, a box
per job, a time axis; the host-clock tracks and the modeled tracks are drawn
as two panels because their time bases differ. Standard library only. The
exit status is the command's (127 if it cannot be started).
"""
import argparse
import json
import os
import subprocess
import sys
from xml.sax.saxutils import escape


def load(path):
    try:
        with open(path) as f:
            d = json.load(f)
    except (OSError, ValueError) as e:
        sys.exit("xpu-prof: cannot read trace %s: %s" % (path, e))
    if not isinstance(d, dict) or not isinstance(d.get("traceEvents"), list):
        sys.exit("xpu-prof: %s: not a JSON trace (no traceEvents list)" % path)
    return d


def tracks(d):
    """{(pid, tid): name}, {pid: name}, [X events]"""
    tnames, pnames, xs = {}, {}, []
    for e in d["traceEvents"]:
        if e.get("ph") == "M" and e.get("name") == "thread_name":
            tnames[(e["pid"], e["tid"])] = e["args"]["name"]
        elif e.get("ph") == "M" and e.get("name") == "process_name":
            pnames[e["pid"]] = e["args"]["name"]
        elif e.get("ph") == "X":
            xs.append(e)
    return tnames, pnames, xs


def union_len(iv):
    tot, end = 0.0, None
    for s, e in sorted(iv):
        if end is None or s > end:
            tot += e - s
            end = e
        elif e > end:
            tot += e - end
            end = e
    return tot


def summary(d, out):
    tnames, pnames, xs = tracks(d)
    modeled_pids = {dv["modeled_pid"] for dv in d.get("xpuDevices", [])}
    wall = [e for e in xs if e["pid"] not in modeled_pids]
    print("xpu-prof: %d jobs" % len(wall), file=out)
    allv = []
    for pid in sorted({e["pid"] for e in wall}):
        print("  %s" % pnames.get(pid, "pid %d" % pid), file=out)
        for tid in sorted({e["tid"] for e in wall if e["pid"] == pid}):
            ev = [e for e in wall if e["pid"] == pid and e["tid"] == tid]
            iv = [(e["ts"], e["ts"] + e["dur"]) for e in ev]
            allv += iv
            mod = sum(e["args"].get("modeled_us", 0) for e in ev)
            cyc = sum(e["args"].get("cycles", 0) for e in ev)
            bad = sum(1 for e in ev if e["args"].get("status") != "OK")
            print("    %-10s %6d jobs%s  wall busy %10.3f ms  modeled %10.3f us (%d cycles)" %
                  (tnames.get((pid, tid), "tid %d" % tid), len(ev),
                   " (%d failed)" % bad if bad else "", union_len(iv) / 1e3, mod, cyc),
                  file=out)
    print("  total: wall busy %.3f ms (submit to observed completion, any queue), "
          "modeled %.3f us (sum over queues)" %
          (union_len(allv) / 1e3, sum(e["args"].get("modeled_us", 0) for e in wall)), file=out)


def svg(d, path):
    tnames, pnames, xs = tracks(d)
    modeled_pids = {dv["modeled_pid"] for dv in d.get("xpuDevices", [])}
    W, LABEL, ROW, PAD = 1200, 230, 22, 40
    colors = ["#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948",
              "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]
    names = sorted({e["name"] for e in xs})
    color = {n: colors[i % len(colors)] for i, n in enumerate(names)}
    panels = [("host clock (ms from the first device open)", False, 1e3, "ms"),
              ("modeled device time (us)", True, 1.0, "us")]
    body, y = [], 10
    for title, modeled, div, unit in panels:
        ev = [e for e in xs if (e["pid"] in modeled_pids) == modeled]
        keys = sorted({(e["pid"], e["tid"]) for e in ev} |
                      {k for k in tnames if (k[0] in modeled_pids) == modeled})
        if not keys:
            continue
        t1 = max([e["ts"] + e["dur"] for e in ev] + [1e-9])
        sx = (W - LABEL - 20) / t1
        body.append('<text x="10" y="%d" font-weight="bold">%s</text>' % (y + 14, escape(title)))
        y += 24
        rows = {k: i for i, k in enumerate(keys)}
        for k, i in rows.items():
            ry = y + i * ROW
            label = "%s: %s" % (pnames.get(k[0], "pid %d" % k[0]).split(" (")[0],
                                tnames.get(k, "tid %d" % k[1]))
            body.append('<rect x="0" y="%d" width="%d" height="%d" fill="%s"/>' %
                        (ry, W, ROW, "#f4f4f4" if i % 2 else "#ffffff"))
            body.append('<text x="10" y="%d">%s</text>' % (ry + 15, escape(label)))
        for e in ev:
            ry = y + rows[(e["pid"], e["tid"])] * ROW
            x = LABEL + e["ts"] * sx
            w = max(e["dur"] * sx, 0.5)
            tip = "%s: %.3f %s" % (e["name"], e["dur"] / div, unit)
            body.append('<g><title>%s</title><rect x="%.2f" y="%d" width="%.2f" height="%d" '
                        'fill="%s" stroke="#333" stroke-width="0.3"/>' %
                        (escape(tip), x, ry + 2, w, ROW - 4, color[e["name"]]))
            if w > 7 * len(e["name"]) * 0.6:
                body.append('<text x="%.2f" y="%d" font-size="10" fill="#fff">%s</text>' %
                            (x + 2, ry + 15, escape(e["name"])))
            body.append('</g>')
        y += len(rows) * ROW
        # the axis: 10 ticks
        body.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>' %
                    (LABEL, y + 2, W - 20, y + 2))
        for i in range(11):
            t = t1 * i / 10
            x = LABEL + t * sx
            body.append('<line x1="%.2f" y1="%d" x2="%.2f" y2="%d" stroke="#000"/>' %
                        (x, y + 2, x, y + 7))
            body.append('<text x="%.2f" y="%d" font-size="10" text-anchor="middle">%.3g</text>' %
                        (x, y + 19, t / div))
        body.append('<text x="%d" y="%d" font-size="10">%s</text>' % (W - 18, y + 19, unit))
        y += PAD
    doc = ('<?xml version="1.0" encoding="UTF-8"?>\n'
           '<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">\n%s\n</svg>\n' % (W, y, "\n".join(body)))
    try:
        with open(path, "w") as f:
            f.write(doc)
    except OSError as e:
        sys.exit("xpu-prof: cannot write %s: %s" % (path, e))


def main():
    argv = sys.argv[1:]
    cmd = []
    if "--" in argv:
        i = argv.index("--")
        argv, cmd = argv[:i], argv[i + 1:]
    ap = argparse.ArgumentParser(prog="xpu-prof", usage="%(prog)s [-o trace.json] [--svg out.svg] "
                                 "-- command args...\n       %(prog)s --render trace.json "
                                 "[--svg out.svg]")
    ap.add_argument("-o", dest="out", default="xpu-trace.json",
                    help="trace file to write (default xpu-trace.json)")
    ap.add_argument("--svg", help="also draw an SVG timeline to this file")
    ap.add_argument("--render", metavar="TRACE", help="summarise an existing trace")
    a = ap.parse_args(argv)
    if a.render:
        if cmd:
            ap.error("--render takes no command")
        d = load(a.render)
        summary(d, sys.stdout)
        if a.svg:
            svg(d, a.svg)
        return 0
    if not cmd:
        ap.error("no command (put it after --)")
    try:
        os.unlink(a.out)
    except FileNotFoundError:
        pass
    except OSError as e:
        sys.exit("xpu-prof: cannot replace %s: %s" % (a.out, e))
    env = dict(os.environ, XPU_PROFILE=os.path.abspath(a.out))
    try:
        rc = subprocess.call(cmd, env=env)
    except OSError as e:
        print("xpu-prof: cannot run %s: %s" % (cmd[0], e), file=sys.stderr)
        return 127
    if rc < 0:
        rc = 128 - rc
    if not os.path.exists(a.out):
        print("xpu-prof: %s wrote no trace (it opened no XPU device?)" % cmd[0], file=sys.stderr)
        return rc or 1
    d = load(a.out)
    summary(d, sys.stderr)
    print("xpu-prof: trace in %s (open it in https://ui.perfetto.dev or chrome://tracing)" % a.out,
          file=sys.stderr)
    if a.svg:
        svg(d, a.svg)
        print("xpu-prof: timeline in %s" % a.svg, file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main())
