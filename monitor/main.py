# The monitor: a script on the stubmon API, frozen into the image as module
# `main` (examples/*/main.py are scripts of the same kind).
import xen

from stubmon import app

app.start(xen)
