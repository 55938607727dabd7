# MicroPython freeze manifest for the stubmon image. Relative paths resolve
# against this file's directory (tools/manifestfile.py chdirs here), so the
# port's Makefile can pass FROZEN_MANIFEST=<repo>/monitor/manifest.py.
# The library every image freezes (the stubmon package and the layouts
# generated for the image's arch): the same file a script of your own
# includes (examples/*/manifest.py).
include('../examples/lib_manifest.py')
# The monitor, frozen as module `main`: the image runs it at boot.
module('main.py')
