# SPDX-License-Identifier: GPL-2.0-or-later
# make install / make uninstall, with the usual directory variables:
#   make install DESTDIR=/tmp/root PREFIX=/usr
# installs the daemon and tools, their man pages, the systemd units and
# sysusers entry (paths in them follow SBINDIR and SYSCONFDIR), the example
# configuration, and libktls for applications: libktls.so.0 (public API
# only), libktls.a (WolfSSL inside), include/ktls/{ktls,handoff}.h, ktls.pc
# and the man3 pages. The configuration goes to SYSCONFDIR only if no file
# is there; uninstall removes it only if it is still the example.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
SBINDIR ?= $(PREFIX)/sbin
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/ktlsd
SYSCONFDIR ?= /etc
UNITDIR ?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR ?= $(PREFIX)/lib/sysusers.d

INSTALL ?= install
D := $(DESTDIR)

INSTALL_HEADERS := include/ktls/ktls.h include/ktls/handoff.h
INSTALL_UNITS := dist/ktlsd.service dist/ktlsd-tlshd.service
# man/NAME.SECTION and man/manN/NAME.N (libktls's), each into its
# section's directory; the man3 link pages (.so) go as they are.
MAN_PAGES := $(wildcard man/*.[1-8] man/man[1-8]/*.[1-8])

# Everything install writes, for uninstall (the config is handled apart).
INSTALLED := $(D)$(SBINDIR)/ktlsd $(D)$(BINDIR)/ktls-serve \
	$(D)$(BINDIR)/ktls-probe \
	$(D)$(LIBDIR)/$(notdir $(LIBKTLS_SO)) $(D)$(LIBDIR)/$(LIBKTLS_SONAME) \
	$(D)$(LIBDIR)/libktls.so $(D)$(LIBDIR)/libktls.a \
	$(D)$(PKGCONFIGDIR)/ktls.pc \
	$(addprefix $(D)$(INCLUDEDIR)/ktls/,$(notdir $(INSTALL_HEADERS))) \
	$(addprefix $(D)$(UNITDIR)/,$(notdir $(INSTALL_UNITS))) \
	$(D)$(SYSUSERSDIR)/ktlsd.conf $(D)$(DOCDIR)/examples/ktlsd.conf \
	$(foreach p,$(MAN_PAGES),$(D)$(MANDIR)/man$(subst .,,$(suffix $(p)))/$(notdir $(p)))

# The units name /usr/sbin/ktlsd and /etc/ktlsd: where this install puts them.
UNIT_PATHS := -e 's|/usr/sbin/|$(SBINDIR)/|g' -e 's|/etc/|$(SYSCONFDIR)/|g'

# What install installs, built (a package build's build step).
installables: $(TOOLS) $(LIBKTLS_SO) $(LIBKTLS_DIST_A)

install: installables
	$(quiet) INSTALL $(or $(DESTDIR),/)
	$(Q)$(INSTALL) -d $(D)$(BINDIR) $(D)$(SBINDIR) $(D)$(LIBDIR) \
		$(D)$(PKGCONFIGDIR) $(D)$(INCLUDEDIR)/ktls $(D)$(UNITDIR) \
		$(D)$(SYSUSERSDIR) $(D)$(DOCDIR)/examples $(D)$(SYSCONFDIR)/ktlsd
	$(Q)$(INSTALL) -m 755 $(BUILD)/bin/ktlsd $(D)$(SBINDIR)/ktlsd
	$(Q)$(INSTALL) -m 755 $(BUILD)/bin/ktls-serve $(BUILD)/bin/ktls-probe \
		$(D)$(BINDIR)/
	$(Q)$(INSTALL) -m 755 $(LIBKTLS_SO) $(D)$(LIBDIR)/
	$(Q)ln -sf $(notdir $(LIBKTLS_SO)) $(D)$(LIBDIR)/$(LIBKTLS_SONAME)
	$(Q)ln -sf $(LIBKTLS_SONAME) $(D)$(LIBDIR)/libktls.so
	$(Q)$(INSTALL) -m 644 $(LIBKTLS_DIST_A) $(D)$(LIBDIR)/libktls.a
	$(Q)$(INSTALL) -m 644 $(INSTALL_HEADERS) $(D)$(INCLUDEDIR)/ktls/
	$(Q)printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' \
		'includedir=$(INCLUDEDIR)' '' 'Name: ktls' \
		'Description: TLS handshakes in userspace, records in kernel TLS' \
		'Version: $(VERSION)' 'Libs: -L$${libdir} -lktls' \
		'Libs.private: -lm -lpthread' 'Cflags: -I$${includedir}' \
		> $(D)$(PKGCONFIGDIR)/ktls.pc
	$(Q)for u in $(INSTALL_UNITS); do \
		sed $(UNIT_PATHS) $$u > $(D)$(UNITDIR)/$${u##*/} || exit 1; \
	done
	$(Q)$(INSTALL) -m 644 dist/ktlsd.sysusers $(D)$(SYSUSERSDIR)/ktlsd.conf
	$(Q)$(INSTALL) -m 644 dist/ktlsd.conf $(D)$(DOCDIR)/examples/ktlsd.conf
	$(Q)[ -e $(D)$(SYSCONFDIR)/ktlsd/ktlsd.conf ] || \
		$(INSTALL) -m 644 dist/ktlsd.conf $(D)$(SYSCONFDIR)/ktlsd/ktlsd.conf
	$(Q)for p in $(MAN_PAGES); do \
		s=$${p##*.}; $(INSTALL) -d $(D)$(MANDIR)/man$$s && \
		$(INSTALL) -m 644 $$p $(D)$(MANDIR)/man$$s/ || exit 1; \
	done

uninstall:
	$(quiet) UNINST $(or $(DESTDIR),/)
	$(Q)rm -f $(INSTALLED)
	$(Q)! cmp -s dist/ktlsd.conf $(D)$(SYSCONFDIR)/ktlsd/ktlsd.conf || \
		rm -f $(D)$(SYSCONFDIR)/ktlsd/ktlsd.conf
	$(Q)rmdir $(D)$(INCLUDEDIR)/ktls $(D)$(DOCDIR)/examples $(D)$(DOCDIR) \
		$(D)$(SYSCONFDIR)/ktlsd 2>/dev/null || true
