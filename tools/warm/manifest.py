# SPDX-License-Identifier: MIT
# make bench --only warm (tools/bench_warm.py): the stubmon library plus
# tools/warm/main.py as `main`, built as the test variant (exit=qemu).
include('../../examples/lib_manifest.py')
module('main.py')
