# MicroPython freeze manifest for the stubmon image. Relative paths resolve
# against this file's directory (tools/manifestfile.py chdirs here), so the
# port's Makefile can pass FROZEN_MANIFEST=<repo>/monitor/manifest.py.
# main.py is frozen as module `main`: the image runs it at boot.
for name in ('abi', 'options', 'domain', 'cpuload', 'table', 'hypervisor', 'events', 'guest',
             'app', 'main'):
    module(name + '.py')
