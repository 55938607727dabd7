# SPDX-License-Identifier: MIT
# The production image: no test hooks. The test-only options (demo=,
# pause=, destroy=, fault=, raw=, quiet=, exit=qemu) are refused in one
# line each, and nothing in it can create, pause or destroy a domain from
# the command line, nor reach an I/O port.
BUILD_SUFFIX =
