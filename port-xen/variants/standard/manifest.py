# SPDX-License-Identifier: MIT
# The production image freezes nothing beyond the library (lib_manifest.py).
