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
# Xen releases Debian does not ship (4.21, 4.22), as ../shared/xen/X.Y.Z/include
# beside the repo (tools/xenshared.py); XEN_SHARED= moves it. Without it
# those releases take the layouts of the newest generated one (the
# monitor says so), and make says so here, once per make run.
XEN_SHARED ?= $(abspath $(XENABI_REPO)/../shared/xen)
export XEN_SHARED
XENABI_SHARED_INC = $(wildcard $(XEN_SHARED)/*.*.*/include/xen)
ifeq ($(XENABI_SHARED_INC),)
ifndef XENABI_SHARED_SAID
$(info xenabi: no Xen 4.21/4.22 headers in $(XEN_SHARED) (../shared/xen beside the repo, or XEN_SHARED=): layouts for Debian's 4.17/4.20 only; 4.21/4.22 skipped, a Xen of those releases runs on the layouts of 4.20 (the monitor says so))
export XENABI_SHARED_SAID := 1
endif
endif
XENABI_HEADERS += $(wildcard $(addsuffix /*.h,$(XENABI_SHARED_INC)) $(addsuffix /*/*.h,$(XENABI_SHARED_INC)) \
	$(addsuffix /*/*/*.h,$(XENABI_SHARED_INC)))
XENABI_SRC := $(wildcard $(XENABI_REPO)/tools/xenabi/*.py $(XENABI_REPO)/tools/xenabi/*.lark) \
	$(XENABI_REPO)/tools/xenshared.py
XENABI_PYTHON ?= $(XENABI_REPO)/.deps/venv/bin/python

# the set of releases is part of the inputs: one appearing or going regenerates
XENABI_SET = $(XENABI_OUT)/releases.$(shell echo '$(XENABI_SHARED_INC)' | cksum | cut -d' ' -f1)
$(XENABI_SET):
	mkdir -p $(XENABI_OUT) && rm -f $(XENABI_OUT)/releases.* && touch $@

$(XENABI_STAMP): $(XENABI_HEADERS) $(XENABI_SRC) $(XENABI_SET)
	$(XENABI_PYTHON) $(XENABI_REPO)/tools/xenabi/gen.py --deps $(XENABI_DEPS) --shared $(XEN_SHARED) --out $(XENABI_OUT)
	touch $@
