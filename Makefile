# Build and install qm. The README's two commands are scripts/up.sh and scripts/test.sh.
PREFIX ?= /usr/local
DESTDIR ?=
LIBDIR := $(DESTDIR)$(PREFIX)/lib/qm
BINDIR := $(DESTDIR)$(PREFIX)/bin
MANDIR := $(DESTDIR)$(PREFIX)/share/man

.PHONY: all build install uninstall test up clean

all: build

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch node_modules

build: node_modules
	node scripts/build.mjs

# Layout mirrors 'npm install -g': one package directory with dist/ and share/, executables linked into bin/.
install: build
	install -d $(LIBDIR)/dist $(BINDIR)
	install -m 0755 dist/*.mjs $(LIBDIR)/dist/
	install -m 0644 package.json $(LIBDIR)/
	if [ -d share ]; then cp -R share $(LIBDIR)/ && chmod -R u=rwX,go=rX $(LIBDIR)/share; fi
	for f in dist/*.mjs; do n=$$(basename $$f .mjs); ln -sfn ../lib/qm/dist/$$n.mjs $(BINDIR)/$$n; done
	for page in man/*.[1-8]; do [ -e "$$page" ] || continue; s=$${page##*.}; install -D -m 0644 $$page $(MANDIR)/man$$s/$$(basename $$page); done

uninstall:
	for f in $(LIBDIR)/dist/*.mjs; do [ -e "$$f" ] || continue; rm -f $(BINDIR)/$$(basename $$f .mjs); done
	for page in man/*.[1-8]; do [ -e "$$page" ] || continue; s=$${page##*.}; rm -f $(MANDIR)/man$$s/$$(basename $$page); done
	rm -rf $(LIBDIR)

test:
	scripts/test.sh

up:
	scripts/up.sh

clean:
	rm -rf build dist
