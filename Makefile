# SPDX-License-Identifier: GPL-2.0
#
# vmmerge: module, agent and tests.
#   make            build the module (for the kernel the test VM boots) and tools
#   make check      unit tests, then in-VM integration tests (QEMU, nested microVMs)
#   make check-debug module suites on a KASAN/lockdep/kmemleak 6.1 kernel (scripts/check-debug)
#   make demo       boot the test VM, load the module, run microVMs, show figures
#   make bench      the density benchmark against KSM baselines (bench/run)
#   make style      checkpatch (if present) and clang-format dry run
#   make sparse     sparse over the module
#   make install    install module, agent, unit and man pages on this host

KVER ?= $(shell scripts/kver)
KDIR ?= /lib/modules/$(KVER)/build
VMMERGE_VERSION ?= $(shell git describe --always --dirty 2>/dev/null || echo 0.1)
PREFIX ?= /usr
DESTDIR ?=
export KVER VMMERGE_VERSION

.PHONY: all setup module tools check unit vmtest demo bench style sparse install \
	dkms-install clean

all: setup module tools

setup:
	@scripts/setup

module: setup
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=1 modules VMMERGE_VERSION=$(VMMERGE_VERSION)

tools: setup
	$(MAKE) -C agent
	$(MAKE) -C tests/tools

sparse: setup
	$(MAKE) -C $(KDIR) M=$(CURDIR) C=2 CHECK=sparse modules

# checkpatch.pl from the kernel tree if one is around (Debian ships it only
# inside linux-source-6.1's tarball: install that package to use it), else a
# clang-format check against .clang-format (kernel style), which only
# reports.  LINUX_VERSION_CODE is ignored: an out-of-tree module needs it.
CHECKPATCH ?= $(firstword $(wildcard $(KDIR)/scripts/checkpatch.pl build/checkpatch/scripts/checkpatch.pl))
STYLE_FILES = module/*.[ch] include/uapi/linux/*.h

style:
	@if [ -z "$(CHECKPATCH)" ] && [ -f /usr/src/linux-source-6.1.tar.xz ]; then \
		mkdir -p build/checkpatch && tar -C build/checkpatch --strip-components=1 \
			-xJf /usr/src/linux-source-6.1.tar.xz --wildcards '*/scripts/checkpatch.pl' \
			'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'; \
	fi
	@cp=$(CHECKPATCH); [ -n "$$cp" ] || cp=$$(ls build/checkpatch/scripts/checkpatch.pl 2>/dev/null); \
	if [ -n "$$cp" ]; then \
		for f in $(STYLE_FILES); do \
			perl $$cp --no-tree --terse --show-types --quiet \
				--ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f $$f || exit 1; \
		done; echo "style: checkpatch clean"; \
	else \
		echo "style: no checkpatch.pl (apt-get install linux-source-6.1 for it); clang-format check:"; \
		clang-format --dry-run --style=file $(STYLE_FILES) 2>&1 | grep -c 'warning:' | \
			xargs -I{} echo "style: {} lines differ from .clang-format"; \
	fi

check: all
	scripts/check

# Builds the debug kernel once (scripts/debug-kernel, cached in build/), the
# module against it, and runs the module suites on it.
.PHONY: check-debug
check-debug: tools
	scripts/check-debug $(CHECK_DEBUG_ARGS)

unit: tools
	scripts/check --unit-only

demo: all
	scripts/demo

# The density benchmark (bench/run --help for its options); results and
# plots land in build/bench/.
bench: all
	bench/run $(BENCH_ARGS)

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	$(MAKE) -C agent install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)

DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)

# Copies the module sources to /usr/src/vmmerge-VERSION and lets DKMS build
# and rebuild them for every installed kernel.
dkms-install:
	mkdir -p /usr/src/vmmerge-$(DKMS_VERSION)
	cp -r Kbuild dkms.conf module include /usr/src/vmmerge-$(DKMS_VERSION)/
	dkms add vmmerge/$(DKMS_VERSION)
	dkms install vmmerge/$(DKMS_VERSION)

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	-$(MAKE) -C agent clean
	-$(MAKE) -C tests/tools clean
	rm -rf build
