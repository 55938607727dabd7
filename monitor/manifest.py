# MicroPython freeze manifest for the stubmon image. Relative paths resolve
# against this file's directory (tools/manifestfile.py chdirs here), so the
# port's Makefile can pass FROZEN_MANIFEST=<repo>/monitor/manifest.py.
# main.py is frozen as module `main`: the image runs it at boot.
for name in ('abi', 'options', 'health', 'domain', 'cpuload', 'table', 'hypervisor', 'events', 'alerts', 'jsonout', 'guest',
             'stubmon', 'app', 'main'):
    module(name + '.py')
# The hypercall layouts generated from Xen's headers for this image's arch
# (tools/xenabi; port-xen/Makefile passes XENABI_DIR=build/xenabi/<arch>).
freeze('$(XENABI_DIR)')
