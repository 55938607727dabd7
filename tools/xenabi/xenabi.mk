# SPDX-License-Identifier: MIT
# Generated hypercall layouts (tools/xenabi): included by the top Makefile
# and by port-xen/Makefile. Regenerated when any release's public headers,
# the grammar or the generator change; `make xenabi` runs just this step.
XENABI_REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST)))/../..)
XENABI_OUT ?= $(XENABI_REPO)/build/xenabi
XENABI_STAMP = $(XENABI_OUT)/stamp
# every libxen-dev-X.Y here is a release to generate layouts for
XENABI_DEPS ?= $(XENABI_REPO)/.deps/pkg
XENABI_HEADERS = $(wildcard $(XENABI_DEPS)/libxen-dev-*/usr/include/xen/*.h \
	$(XENABI_DEPS)/libxen-dev-*/usr/include/xen/*/*.h \
	$(XENABI_DEPS)/libxen-dev-*/usr/include/xen/*/*/*.h)
XENABI_SRC := $(wildcard $(XENABI_REPO)/tools/xenabi/*.py $(XENABI_REPO)/tools/xenabi/*.lark)
XENABI_PYTHON ?= $(XENABI_REPO)/.deps/venv/bin/python

$(XENABI_STAMP): $(XENABI_HEADERS) $(XENABI_SRC)
	$(XENABI_PYTHON) $(XENABI_REPO)/tools/xenabi/gen.py --deps $(XENABI_DEPS) --out $(XENABI_OUT)
	touch $@
