# SPDX-License-Identifier: MIT
# make EXAMPLE=watchdog: the stubmon library plus this script as `main`.
include('../lib_manifest.py')
module('watchdog.py')
module('main.py')
