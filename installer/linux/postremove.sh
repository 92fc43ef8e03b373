#!/bin/sh
# After the files are removed. deb postrm: remove | purge | upgrade NEW | ...;
# rpm %postun: 0 (erase) or 1 (upgrade).
# Removal and erasure keep the data (/var/lib/agent) and the config
# (/etc/agent; rpm saves an edited one as config.toml.rpmsave); only a
# deb purge wipes both. The account "agent" stays, so that files it owns
# elsewhere keep a name.
# The unit's enablement follows deb-systemd-helper's convention: a removed
# deb keeps it (multi-user.target.wants/agent.service stays, dangling, so a
# reinstall comes back enabled, or disabled if the admin had disabled it),
# and a purge clears it. Unlike the helper, nothing is masked on remove: it
# masks so that a leftover init script (a conffile) cannot start a removed
# service, and this package ships none. An admin's mask is never touched.
# DPKG_ROOT: see preinstall.sh.
set -e
root="${DPKG_ROOT:-}"
if [ "$1" = purge ]; then
	rm -rf "$root/var/lib/agent" "$root/etc/agent"
	rm -f "$root/etc/systemd/system/multi-user.target.wants/agent.service"
fi
if [ -z "$root" ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	systemctl daemon-reload || true
fi
exit 0
