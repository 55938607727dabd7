# SPDX-License-Identifier: MIT
# The test hooks, frozen into the stubmon package (relative to this file).
package('stubmon', files=['testopts.py'], base_path='../../../monitor')
