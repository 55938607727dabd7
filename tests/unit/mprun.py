# SPDX-License-Identifier: MIT
# Runs the portable unit tests under MicroPython (no pytest there):
#   MICROPYPATH=monitor:tests/unit/fake:tests/unit micropython tests/unit/mprun.py test_options ...
# Calls every test_* function of each module named on the command line,
# prints each failure with its exception, then "N passed, M failed".
import sys


def run_module(name):
    passed = failed = 0
    try:
        mod = __import__(name)
    except Exception as e:
        print('FAIL %s: import: %s: %s' % (name, type(e).__name__, e))
        if hasattr(sys, 'print_exception'):
            sys.print_exception(e)
        return 0, 1
    names = [k for k in mod.__dict__ if k.startswith('test_')]
    names.sort()  # dicts are unordered under MicroPython
    for k in names:
        f = mod.__dict__[k]
        if not callable(f):
            continue
        try:
            f()
            passed += 1
        except Exception as e:
            failed += 1
            print('FAIL %s.%s: %s: %s' % (name, k, type(e).__name__, e))
            if hasattr(sys, 'print_exception'):
                sys.print_exception(e)
    return passed, failed


def main(names):
    passed = failed = 0
    for name in names:
        p, f = run_module(name)
        passed += p
        failed += f
    print('%d passed, %d failed' % (passed, failed))
    return failed


if __name__ == '__main__':
    sys.exit(1 if main(sys.argv[1:]) or len(sys.argv) < 2 else 0)
