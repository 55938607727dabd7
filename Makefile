# SPDX-License-Identifier: MIT
# stubmon: a MicroPython unikernel that monitors Xen domains.
#   make                 build the production image for BOARD (default x86_64)
#   make run             build the test image, boot Xen $(XEN) + stubmon under QEMU, stream the console
#   make test            unit tests + boot tests on every fetched Xen release (2 workers)
#   make bench           print size, boot and poll figures
#   make bench BENCH_AGAINST=REV   one poll and the image's size against commit REV's
#   make format          format the Python (ruff) and the port's C (MicroPython's uncrustify)
#   make deps            fetch everything (run on demand by the targets above)
#   make xenabi          generate the hypercall layouts from Xen's headers (build/xenabi)

BOARD ?= x86_64
XEN ?= 4.20
# How the board boots the image, where it has a choice (x86_64: pv or pvh).
MODE ?=
# The image: the production one (standard), or VARIANT=test with the test
# hooks (port-xen/variants/test: demo=, pause=, destroy=, fault=, exit=qemu
# and make bench's timers), which make run, make test and make bench boot.
VARIANT ?= standard
# The monitor's command line for `make run` (see README: Options).
# arm64: dom0 watches the dom0less domUs of tools/boards/arm64.py
# (DEFAULT_DOMUS) end in every way; it pauses domU 3 after poll 2 until poll 4.
# A script of your own instead of the monitor (README: Your own script):
# make EXAMPLE=watchdog builds examples/watchdog into build/$(BOARD)-watchdog;
# APP=dir takes any directory holding a manifest.py.
APP ?= $(if $(EXAMPLE),examples/$(EXAMPLE))
ifneq ($(APP),)
ARGS ?= interval=1 count=6 demo=2 stuck=3 exit=qemu
endif
ifeq ($(BOARD),arm64)
ARGS ?= interval=1 count=7 pause=3:2:4 exit=qemu
endif
ARGS ?= interval=2 count=6 demo=3 demo_keep=3 exit=qemu
PYTEST_ARGS ?=
# make test runs pytest on TEST_JOBS pytest-xdist workers, a test file on one
# worker (its module fixtures boot once), the longest files first
# (tests/conftest.py); TEST_JOBS=0: serially, in one process (docs/tests.md).
TEST_JOBS ?= 2
PYTEST_XDIST = $(if $(filter-out 0,$(TEST_JOBS)),-n $(TEST_JOBS) --dist loadfile --no-loadscope-reorder)

# What make run needs (tools/deps.sh run), and everything the tests need.
RUN_STAMP := .deps/run-$(BOARD)-$(XEN).txt
DEPS_STAMP := .deps/versions.txt
VENV := .deps/venv
BUILD_DIR = build/$(BOARD)$(if $(APP),-$(notdir $(abspath $(APP))))$(if $(filter test,$(VARIANT)),-test)
IMAGE := $(BUILD_DIR)/stubmon.elf

.PHONY: all image deps run test bench clean distclean xenabi format FORCE

all: image

$(RUN_STAMP): tools/deps.sh
	bash tools/deps.sh run $(BOARD) $(XEN)

$(DEPS_STAMP): tools/deps.sh
	bash tools/deps.sh

deps: $(DEPS_STAMP)

include tools/xenabi/xenabi.mk
xenabi: $(RUN_STAMP)
	$(MAKE) $(XENABI_STAMP)

image: $(RUN_STAMP)
	$(MAKE) -C port-xen BOARD=$(BOARD) VARIANT=$(VARIANT) $(if $(APP),APP=$(abspath $(APP))) -j2

$(IMAGE): image

# make run shows the demo (demo domains made and destroyed, exit=qemu): the test image
run: VARIANT = test
run: image
	python3 tools/boot.py --board $(BOARD) --xen $(XEN) $(if $(MODE),--mode $(MODE)) --image $(BUILD_DIR) --timeout 3600 -- $(ARGS)

# The tests run make themselves, as a user would from a shell: they get none
# of this make's state (its command-line variables travel in MAKEFLAGS, its
# say-once flag XENABI_SHARED_SAID in the environment). XEN_SHARED stays:
# moving ../shared/xen is meant for the tests too.
TEST_ENV = env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES -u XENABI_SHARED_SAID

test: $(DEPS_STAMP)
	@cat $(DEPS_STAMP)
	bash tools/lint.sh
	$(MAKE) $(XENABI_STAMP)
	$(TEST_ENV) $(VENV)/bin/pytest tests $(PYTEST_XDIST) $(PYTEST_ARGS)

# ruff and MicroPython's uncrustify format over the tree (make test checks them)
format: $(DEPS_STAMP)
	bash tools/lint.sh --fix

# Every board unless BOARD= is given on the command line.
BENCH_BOARDS ?= $(if $(filter command line,$(origin BOARD)),$(BOARD),x86_64 arm64)
bench: $(DEPS_STAMP)
	@cat $(DEPS_STAMP)
	@for b in $(BENCH_BOARDS); do \
		$(MAKE) -s -C port-xen BOARD=$$b VARIANT=test -j2 >/dev/null && \
		$(VENV)/bin/python tools/bench.py --board $$b \
			$(if $(BENCH_AGAINST),--against $(BENCH_AGAINST)) || exit 1; \
	done

clean:
	rm -rf build

distclean: clean
	rm -rf .deps
