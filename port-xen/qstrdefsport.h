// SPDX-License-Identifier: MIT
// qstrs specific to this port
