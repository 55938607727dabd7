# SPDX-License-Identifier: MIT
# make EXAMPLE=csvlog: the stubmon library plus this script as `main`.
include('../lib_manifest.py')
module('csvlog.py')
module('main.py')
