#!/bin/sh
# After the files are unpacked. deb postinst: configure [OLD] (OLD empty on
# a first install); rpm %post: 1 (install) or 2 (upgrade).
# - /var/lib/agent: owned by agent, 0750 (recursively: an agent that ran as
#   root before hands its files over);
# - first install: the service is enabled and started (a masked one stays
#   masked);
# - upgrade: an enabled service is restarted on the new binary, a disabled
#   one is left alone.
# DPKG_ROOT: see preinstall.sh. There, and where systemd does not run (an
# image build, a container), the unit is enabled but nothing is started.
set -e
root="${DPKG_ROOT:-}"
case "$1" in
configure) if [ -z "$2" ]; then first=yes; else first=no; fi ;;
1) first=yes ;;
2) first=no ;;
*) exit 0 ;;
esac

if [ -n "$root" ]; then
	owner=$(awk -F: '$1 == "agent" { print $3 ":" $4 }' "$root/etc/passwd")
else
	owner=agent:agent
fi
chown -R "$owner" "$root/var/lib/agent"
chmod 0750 "$root/var/lib/agent"

command -v systemctl >/dev/null 2>&1 || exit 0
sctl() { if [ -n "$root" ]; then systemctl --root="$root" "$@"; else systemctl "$@"; fi; }
if [ "$first" = yes ]; then
	# An admin's mask (systemctl mask agent, e.g. before an image build)
	# stays: enable would fail on it, and the package with it.
	if [ "$(sctl is-enabled agent.service 2>/dev/null)" = masked ]; then
		echo "agent: agent.service is masked: left masked and not enabled (systemctl unmask agent; systemctl enable --now agent)" >&2
	else
		sctl enable agent.service
	fi
fi
if [ -z "$root" ] && [ -d /run/systemd/system ]; then
	systemctl daemon-reload
	if systemctl --quiet is-enabled agent.service; then
		# A service that does not start (an invalid config: exit code 2)
		# must not fail the package: say where to look.
		systemctl restart agent.service ||
			echo "agent: the service did not start: see 'journalctl -u agent' and 'agent validate'" >&2
	fi
fi
exit 0
