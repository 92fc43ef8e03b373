#!/bin/sh
# After the files are removed. deb postrm: remove | purge | upgrade NEW | ...;
# rpm %postun: 0 (erase) or 1 (upgrade).
# Removal and erasure keep the data (/var/lib/agent) and the config
# (/etc/agent; rpm saves an edited one as config.toml.rpmsave); only a
# deb purge wipes both. The account "agent" stays, so that files it owns
# elsewhere keep a name.
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
