# SPDX-License-Identifier: MIT
# Frozen as `main`: the image runs it at boot.
import watchdog

watchdog.main()
