# SPDX-License-Identifier: MIT
# The library every image freezes, included by monitor/manifest.py and by
# each script's manifest.py: the stubmon package (monitor/stubmon/) and the
# hypercall layouts generated for the image's arch (tools/xenabi;
# port-xen/Makefile passes XENABI_DIR=build/xenabi/<arch>). Paths are
# relative to this file (manifestfile chdirs here).
# testopts.py holds the test hooks: only the test variant freezes it
# (port-xen/variants/test/manifest.py; VARIANT_MANIFEST comes from the port).
import os  # noqa: E402

package(
    'stubmon',
    base_path='../monitor',
    files=sorted(
        f for f in os.listdir('../monitor/stubmon') if f.endswith('.py') and f != 'testopts.py'
    ),
)
include('$(VARIANT_MANIFEST)')
freeze('$(XENABI_DIR)')
