# Entry point, frozen into the image as module `main`. All logic lives in
# app.py so unit tests can import it without starting the monitor.
import xen

import app

app.start(xen)
