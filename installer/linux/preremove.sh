#!/bin/sh
# Before the files are removed. deb prerm: remove | upgrade NEW | ...;
# rpm %preun: 0 (erase) or 1 (upgrade). On removal the service is stopped.
# rpm also disables it (an erased rpm is gone); a removed deb keeps its
# enablement for a reinstall, until a purge (postremove.sh).
# DPKG_ROOT: see preinstall.sh.
set -e
root="${DPKG_ROOT:-}"
case "$1" in remove | 0) ;; *) exit 0 ;; esac
command -v systemctl >/dev/null 2>&1 || exit 0
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	systemctl stop agent.service || true
fi
if [ "$1" = 0 ]; then
	if [ -n "$root" ]; then systemctl --root="$root" disable agent.service; else systemctl disable agent.service; fi
fi
exit 0
