#!/bin/sh
# Before the files are unpacked. deb preinst: install | upgrade [OLD];
# rpm %pre: 1 (install) or 2 (upgrade). Creates the system account the
# service runs as, "agent", which owns /var/lib/agent.
#
# DPKG_ROOT is set by `dpkg --root=DIR --force-script-chrootless`: the
# package goes into DIR, and so does the account (installer/check.sh
# installs into a scratch root that way); it is empty on a real install.
set -e
root="${DPKG_ROOT:-}"
case "$1" in install | upgrade | 1 | 2) ;; *) exit 0 ;; esac

known() { # known passwd|group NAME
	if [ -n "$root" ]; then grep -q "^$2:" "$root/etc/$1"; else getent "$1" "$2" >/dev/null; fi
}
inroot() { # inroot groupadd|useradd ARGS...
	cmd=$1
	shift
	if [ -n "$root" ]; then "$cmd" --prefix "$root" "$@"; else "$cmd" "$@"; fi
}

known group agent || inroot groupadd --system agent
known passwd agent || inroot useradd --system --gid agent --home-dir /var/lib/agent --no-create-home \
	--shell /usr/sbin/nologin --comment "agent service" agent
exit 0
