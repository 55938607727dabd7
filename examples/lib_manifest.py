# The library every script image freezes (included by each example's
# manifest.py): monitor/*.py except the monitor's own main.py, which a
# script replaces with its own, and the hypercall layouts generated for the
# image's arch. Paths are relative to this file (manifestfile chdirs here).
import os

_MONITOR = '../monitor'
for _f in sorted(os.listdir(_MONITOR)):
    if _f.endswith('.py') and _f not in ('main.py', 'manifest.py'):
        module(_f, base_path=_MONITOR)
freeze('$(XENABI_DIR)')
