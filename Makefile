# SPDX-License-Identifier: GPL-2.0
#
# vmmerge: module, agent and tests.
#   make            build the module (for every test kernel) and tools
#   make module     vmmerge.ko for every test kernel (scripts/kver --all), each
#                   in build/module/RELEASE/, and ./vmmerge.ko for the default
#                   one; KVER=RELEASE builds only for that kernel (any kernel
#                   whose headers are installed, or a test kernel's series:
#                   KVER=6.12), KDIR=DIR for a kernel tree
#   make check      unit tests, then in-VM integration tests (QEMU, nested
#                   microVMs) on the test kernels; KVER=... all on one kernel
#   make check-debug module suites on a KASAN/lockdep/kmemleak 6.1 kernel (scripts/check-debug)
#   make demo       boot the test VM, load the module, run microVMs, show figures
#   make bench      the density benchmark against KSM baselines (bench/run)
#   make bench-placement  fleet placement simulator on stored fingerprints (bench/placement/run)
#   make style      checkpatch (if present) and clang-format dry run
#   make sparse     sparse over the module, per kernel as `make module`
#   make install    install module, agent, unit and man pages on this host

# KVER (a release, or a series that scripts/kver knows) or KDIR selects one
# kernel; without either, module and sparse go over every test kernel.
# KVER/KDIR are exported only when given (scripts/check and run-vm take
# KVER from the environment as the kernel to run everything on).
ifneq ($(origin KDIR),undefined)
KVER ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' \
	$(KDIR)/include/generated/utsrelease.h)
KVERS = $(KVER)
else ifeq ($(origin KVER),undefined)
KVERS = $$(scripts/kver --all)
KVER := $(shell scripts/kver)
else
override KVER := $(shell scripts/kver $(KVER) 2>/dev/null || echo $(KVER))
KVERS = $(KVER)
export KVER
endif
KDIR ?= $(firstword $(wildcard /lib/modules/$(KVER)/build) \
	$(CURDIR)/build/kernels/$(KVER)/lib/modules/$(KVER)/build)
MODDIR = build/module/$(KVER)
VMMERGE_VERSION ?= $(shell scripts/version)
PREFIX ?= /usr
DESTDIR ?=
export VMMERGE_VERSION

.PHONY: all setup module module-kver modtree tools check unit vmtest demo bench \
	style sparse sparse-kver install dkms-install clean

all: setup module tools

setup:
	@scripts/setup

module: setup
	+@set -e; ks="$(KVERS)"; for k in $$ks; do $(MAKE) --no-print-directory module-kver KVER=$$k; done

# One kernel's build, in build/module/RELEASE: Kbuild builds where M= points,
# so that directory gets links to Kbuild, include/ and every source file of
# module/ (objects land beside the links, apart for each kernel).
modtree:
	@[ -d "$(KDIR)" ] || { echo "no headers for $(KVER) at $(KDIR) (scripts/setup)" >&2; exit 1; }
	@mkdir -p $(MODDIR)
	@ln -sfn ../../../Kbuild $(MODDIR)/Kbuild
	@ln -sfn ../../../include $(MODDIR)/include
	@[ ! -d $(MODDIR)/module ] || find $(MODDIR)/module -xtype l -delete
	@cd module && find . -name '*.[chS]' | sed 's|^\./||' | while read -r f; do \
		d=$(MODDIR)/module/$$(dirname "$$f"); mkdir -p "../$$d"; \
		up=$$(echo "$${d%/.}" | sed 's|[^/][^/]*|..|g'); \
		ln -sfn "$$up/module/$$f" "../$(MODDIR)/module/$$f"; \
	done

module-kver: modtree
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(MODDIR) W=1 modules VMMERGE_VERSION=$(VMMERGE_VERSION)
	@if [ "$(KVER)" = "$$(scripts/kver)" ]; then cp $(MODDIR)/vmmerge.ko vmmerge.ko; fi

tools: setup
	$(MAKE) -C agent
	$(MAKE) -C tests/tools

sparse: setup
	+@set -e; ks="$(KVERS)"; for k in $$ks; do $(MAKE) --no-print-directory sparse-kver KVER=$$k; done

# Its own tree, so that it leaves the tested build/module/RELEASE/vmmerge.ko be.
sparse-kver: MODDIR = build/sparse/$(KVER)
sparse-kver: modtree
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(MODDIR) C=2 CHECK=sparse modules \
		VMMERGE_VERSION=$(VMMERGE_VERSION)

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

bench-placement:
	bench/placement/run

install: all
	$(MAKE) -C $(KDIR) M=$(CURDIR)/$(MODDIR) modules_install
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
	rm -f vmmerge.ko
	-$(MAKE) -C agent clean
	-$(MAKE) -C tests/tools clean
	[ ! -d build ] || find build -mindepth 1 -maxdepth 1 ! -name kernels -exec rm -rf {} +
