#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Run unittest test modules and print TAP: one 'ok N - name' / 'not ok N -
name' line per test (skips as '# SKIP reason'), the traceback of a failure as
'#' lines, the plan at the end. Exit status 1 if any test failed or errored.
Usage: tap.py tests/python/test_xpu.py [...]
"""

import importlib.util
import os
import sys
import unittest


class TapResult(unittest.TestResult):
    def __init__(self):
        super().__init__()
        self.n = 0

    def _line(self, ok, test, extra=""):
        self.n += 1
        name = "%s.%s" % (type(test).__name__, getattr(test, "_testMethodName", str(test)))
        print("%s %d - %s%s" % ("ok" if ok else "not ok", self.n, name, extra), flush=True)

    def addSuccess(self, test):
        super().addSuccess(test)
        self._line(True, test)

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(True, test, " # SKIP " + reason)

    def _bad(self, test, err, kind):
        self._line(False, test)
        for ln in self._exc_info_to_string(err, test).rstrip().splitlines():
            print("# " + ln)
        print("# (%s)" % kind, flush=True)

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._bad(test, err, "failure")

    def addError(self, test, err):
        super().addError(test, err)
        self._bad(test, err, "error")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._line(False, test, " # TODO expected failure")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._line(False, test, " # unexpected success")


def main(paths):
    suite = unittest.TestSuite()
    for p in paths:
        name = os.path.splitext(os.path.basename(p))[0]
        spec = importlib.util.spec_from_file_location(name, p)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        suite.addTests(unittest.defaultTestLoader.loadTestsFromModule(mod))
    res = TapResult()
    suite.run(res)
    print("1..%d" % res.n)
    print("# python: %d tests, %d failed, %d errors, %d skipped"
          % (res.testsRun, len(res.failures), len(res.errors), len(res.skipped)))
    return 0 if res.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
