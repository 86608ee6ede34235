# Build, install and package qm. The README's two commands are scripts/up.sh and scripts/test.sh.
PREFIX ?= /usr/local
DESTDIR ?=
# qm itself: bundles, share/ and package.json. The .deb and .rpm use /usr/lib/qm-manager, because /usr/lib/qm
# holds the partition's tree (qm setup) and /usr/share/qm the files qm setup writes (docs/packaging.md).
QMDIR ?= $(PREFIX)/lib/qm
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d
GENERATORDIR ?= $(PREFIX)/lib/systemd/system-generators
# The packages name the interpreter of their distribution (/usr/bin/node) instead of '/usr/bin/env node'.
NODE_INTERPRETER ?=
# The folder the packages land in.
OUTPUT ?= packages
# Bundles every executable links to from BINDIR; oci-qm-partition-cgroups is only copied by qm setup.
INTERNAL := oci-qm-partition-cgroups
# Links from BINDIR and GENERATORDIR to QMDIR are relative when both are below PREFIX, as the packages need.
rel = $(if $(filter $(PREFIX)/%,$(QMDIR)),$(1)$(patsubst $(PREFIX)/%,%,$(QMDIR)),$(QMDIR))

.PHONY: all build install install-files uninstall test up clean deb rpm packages

all: build

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch node_modules

build: node_modules
	node scripts/build.mjs

# Layout mirrors 'npm install -g': one package directory with dist/ and share/, executables linked into bin/.
install: build
	$(MAKE) --no-print-directory install-files

# What 'install' copies, from an already built dist/ (the package builds call this: they never run npm).
install-files:
	test -f dist/qm.mjs || { echo "dist/ is not built: run 'make build' first" >&2; exit 1; }
	install -d $(DESTDIR)$(QMDIR)/dist $(DESTDIR)$(BINDIR)
	install -m 0755 dist/*.mjs dist/*.cjs $(DESTDIR)$(QMDIR)/dist/
	if [ -n "$(NODE_INTERPRETER)" ]; then sed -i '1s|^#!/usr/bin/env node$$|#!$(NODE_INTERPRETER)|' $(DESTDIR)$(QMDIR)/dist/*; fi
	install -m 0644 package.json $(DESTDIR)$(QMDIR)/
	cp -R share $(DESTDIR)$(QMDIR)/ && chmod -R u=rwX,go=rX $(DESTDIR)$(QMDIR)/share
	for f in dist/*.mjs dist/*.cjs; do b=$$(basename $$f); n=$${b%.*}; \
	  case " $(INTERNAL) " in *" $$n "*) continue ;; esac; \
	  ln -sfn $(call rel,../)/dist/$$b $(DESTDIR)$(BINDIR)/$$n; done
	for page in man/*.[1-8]; do s=$${page##*.}; install -D -m 0644 $$page $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$page); done
	install -D -m 0644 share/completions/bash/qmctl $(DESTDIR)$(BASHCOMPDIR)/qmctl
	install -D -m 0644 share/completions/zsh/_qmctl $(DESTDIR)$(ZSHCOMPDIR)/_qmctl
	install -D -m 0644 share/completions/fish/qmctl.fish $(DESTDIR)$(FISHCOMPDIR)/qmctl.fish
	install -d $(DESTDIR)$(GENERATORDIR)
	ln -sfn $(call rel,../../../)/share/systemd/qm-quadlet-generator $(DESTDIR)$(GENERATORDIR)/qm-quadlet-generator

uninstall:
	for f in $(DESTDIR)$(QMDIR)/dist/*.mjs $(DESTDIR)$(QMDIR)/dist/*.cjs; do [ -e "$$f" ] || continue; b=$$(basename $$f); rm -f $(DESTDIR)$(BINDIR)/$${b%.*}; done
	for page in man/*.[1-8]; do s=$${page##*.}; rm -f $(DESTDIR)$(MANDIR)/man$$s/$$(basename $$page); done
	rm -f $(DESTDIR)$(BASHCOMPDIR)/qmctl $(DESTDIR)$(ZSHCOMPDIR)/_qmctl $(DESTDIR)$(FISHCOMPDIR)/qmctl.fish
	rm -f $(DESTDIR)$(GENERATORDIR)/qm-quadlet-generator
	rm -rf $(DESTDIR)$(QMDIR)

# The .deb (dpkg-buildpackage, debhelper) and the .rpm (rpmbuild, rpm/qm.spec) of qm, in $(OUTPUT)/.
deb: build
	node scripts/package.mjs --output $(OUTPUT) deb

rpm: build
	node scripts/package.mjs --output $(OUTPUT) rpm

packages: build
	node scripts/package.mjs --output $(OUTPUT) deb rpm

test:
	scripts/test.sh

up:
	scripts/up.sh

clean:
	rm -rf build dist $(OUTPUT)
