#!/usr/bin/env bash
# installer/systemd-check.sh — the .deb under a real, booted systemd: a
# Debian bookworm container (systemd-nspawn) where the package's lifecycle
# runs as an admin runs it:
#
#   1. apt install: the service is enabled and active, as the user agent;
#   2. `agent service install` and `uninstall` refuse the package's unit,
#      and leave it enabled and running;
#   3. credentials set through the service's socket, the config edited,
#      `systemctl reload agent`, run-now against a loopback Ironclad;
#   4. six restarts by hand, then kill -9: restarted 15 s later;
#   5. apt remove (stopped; config, data and enablement kept), reinstall
#      (enabled and active again), apt purge (all gone but the user);
#   6. without a package: `agent service install` twice, `uninstall`.
#
# Run as root after installer/check.sh, which builds dist/; .ci/run does.
# The container shares this machine's network (the simulator listens on
# 127.0.0.1 here) and is always stopped and deleted on exit.
#
# The root filesystem (debootstrap --variant=minbase, ~260 MB, about a
# minute from the mirror apt uses here) is cached outside the clone in
# $AGENT_CI_CACHE/bookworm-root (default /var/cache/agent-ci) and reused;
# each run boots a copy. When this machine cannot boot a container (not
# root, no systemd-nspawn, no cached root and no mirror, no boot within
# 90 s) the check says "SKIP: why" and exits 0; AGENT_SYSTEMD_CHECK=require
# makes a skip a failure, AGENT_SYSTEMD_CHECK=skip skips.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
repo=$PWD
version=1.2.3
deb=dist/agent_${version}-1_amd64.deb
cache=${AGENT_CI_CACHE:-/var/cache/agent-ci}
cached_root=$cache/bookworm-root
started=$SECONDS
checks=0

fail() {
	echo "installer/systemd-check.sh: FAIL: $*" >&2
	exit 1
}
skip() {
	echo "installer/systemd-check.sh: SKIP: $* (no booted-systemd check ran)"
	[ "${AGENT_SYSTEMD_CHECK:-}" != require ] || fail "AGENT_SYSTEMD_CHECK=require, and: $*"
	exit 0
}
ok() {
	checks=$((checks + 1))
	echo "ok   $* ($((SECONDS - started))s)"
}

[ "${AGENT_SYSTEMD_CHECK:-}" != skip ] || skip "AGENT_SYSTEMD_CHECK=skip"
[ "$(id -u)" = 0 ] || skip "not root"
[ "$(uname -m)" = x86_64 ] || skip "the check boots amd64 packages; this machine is $(uname -m)"
for c in systemd-nspawn nsenter; do
	command -v "$c" >/dev/null || skip "no $c (apt-get install systemd-container util-linux)"
done
[ -f "$deb" ] || fail "$deb is missing: run installer/check.sh (or installer/build.sh $version) first"

work=$(mktemp -d /var/tmp/agent-systemd-check.XXXXXX)
machine=agentcheck$$
nspawn_pid=
init_pid=
sim_pid=
cleanup() {
	set +e
	[ -z "$sim_pid" ] || kill "$sim_pid" 2>/dev/null
	if [ -n "$nspawn_pid" ] && kill -0 "$nspawn_pid" 2>/dev/null; then
		# SIGTERM: nspawn asks the container's systemd to power off.
		kill -TERM "$nspawn_pid"
		for _ in $(seq 60); do kill -0 "$nspawn_pid" 2>/dev/null || break; sleep 0.5; done
		if kill -0 "$nspawn_pid" 2>/dev/null; then
			# Its PID 1 takes every process of the container with it.
			[ -z "$init_pid" ] || kill -KILL "$init_pid"
			kill -KILL "$nspawn_pid"
		fi
		wait "$nspawn_pid" 2>/dev/null
	fi
	rm -rf --one-file-system "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- the root filesystem, cached
include=systemd,systemd-sysv,dbus,ca-certificates,sudo,procps
stamp="debootstrap --variant=minbase --include=$include bookworm"
if [ "$(cat "$cached_root/.agent-ci-stamp" 2>/dev/null)" != "$stamp" ]; then
	command -v debootstrap >/dev/null || skip "no cached root in $cached_root and no debootstrap (apt-get install debootstrap)"
	# The mirror apt uses here for bookworm.
	mirror=$(apt-get indextargets --no-release-info --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' 2>/dev/null |
		awk '$2 == "bookworm" { print $1; exit }')
	mirror=${mirror:-http://deb.debian.org/debian/}
	echo "--- debootstrap bookworm from $mirror into $cached_root (once; cached)"
	mkdir -p "$cache"
	rm -rf --one-file-system "$cached_root.new"
	t=$SECONDS
	timeout 600 debootstrap --variant=minbase --include="$include" bookworm "$cached_root.new" "$mirror" >"$work/debootstrap.log" 2>&1 || {
		tail -5 "$work/debootstrap.log"
		rm -rf --one-file-system "$cached_root.new"
		skip "debootstrap from $mirror failed or took over 10 minutes"
	}
	rm -f "$cached_root.new"/var/cache/apt/archives/*.deb
	echo "$stamp" >"$cached_root.new/.agent-ci-stamp"
	rm -rf --one-file-system "$cached_root"
	mv "$cached_root.new" "$cached_root"
	ok "debootstrap bookworm ($((SECONDS - t))s), cached in $cached_root"
else
	echo "--- the root filesystem: $cached_root (cached $(date -r "$cached_root/.agent-ci-stamp" +%F))"
fi

# --- boot a copy
root=$work/root
cp -a --reflink=auto "$cached_root" "$root"
echo "$machine" >"$root/etc/hostname"
echo "127.0.1.1 $machine" >>"$root/etc/hosts"
cp "$deb" "$root/root/"
systemd-nspawn -D "$root" -b -M "$machine" --register=no --keep-unit --console=passive >"$work/console.log" 2>&1 &
nspawn_pid=$!
for _ in $(seq 150); do
	init_pid=$(pgrep -P "$nspawn_pid" -x systemd || true)
	[ -n "$init_pid" ] && break
	kill -0 "$nspawn_pid" 2>/dev/null || break
	sleep 0.2
done
[ -n "$init_pid" ] || skip "systemd-nspawn did not boot a container: $(tail -3 "$work/console.log" | tr '\n' ' ')"

# in CMD...: CMD inside the container, as root, with a clean environment.
ct() {
	timeout 120 nsenter -t "$init_pid" -a env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 HOME=/root \
		DEBIAN_FRONTEND=noninteractive "$@"
}
# systemctl answers once the container's systemd has its bus: until then,
# try again.
deadline=$((SECONDS + 90))
while :; do
	state=$(timeout 90 nsenter -t "$init_pid" -a systemctl is-system-running --wait 2>&1) || true
	case $state in running | degraded) break ;; esac
	[ "$SECONDS" -lt "$deadline" ] && kill -0 "$init_pid" 2>/dev/null || break
	sleep 0.5
done
case $state in
running) ;;
degraded) echo "(degraded: $(ct systemctl --failed --no-legend --plain | awk '{ print $1 }' | tr '\n' ' '))" ;;
*) skip "the container did not finish booting in 90 s: $state" ;;
esac
ok "booted Debian bookworm, systemd $(ct systemctl --version | awk 'NR == 1 { print $2 }'): $state"

# From here on every problem is a failure.
# want WHAT GOT EXPECTED
want() {
	[ "$2" = "$3" ] || fail "$1: got
$2
--- want
$3"
	ok "$1"
}
unit_state() { ct systemctl show -p ActiveState,UnitFileState,MainPID agent.service | sort | tr '\n' ' '; }
active_enabled() { # active_enabled WHAT: the unit is active and enabled
	local s
	s=$(ct systemctl is-active agent.service || true)/$(ct systemctl is-enabled agent.service || true)
	[ "$s" = active/enabled ] || fail "$1: agent.service is $s; $(ct journalctl -u agent -n 20 --no-pager)"
}
main_pid() { ct systemctl show -p MainPID --value agent.service; }

# The loopback Ironclad (client sim-client, secret sim-secret, 25 users).
mkdir "$work/gowork"
(cd "$work/gowork" && go work init "$repo" "$repo/installer/ironcladsim")
GOWORK=$work/gowork/go.work go build -o "$work/ironcladsim" ./installer/ironcladsim
"$work/ironcladsim" -users 25 >"$work/sim.url" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do [ -s "$work/sim.url" ] && break || sleep 0.05; done
sim_url=$(head -1 "$work/sim.url")
[[ $sim_url == http://127.0.0.1:* ]] || fail "the simulator did not start: $(cat "$work/sim.log")"

echo "--- 1. apt install"
out=$(ct apt-get install -y -q "/root/${deb##*/}" 2>&1) || fail "apt-get install: $out"
active_enabled "after apt install"
want "apt install: agent.service enabled and active, as the user agent" \
	"$(ct ps -o user= -p "$(main_pid)")" "agent"

echo "--- 2. agent service install|uninstall on the package's unit"
pid=$(main_pid)
for action in install uninstall; do
	out=$(ct /usr/bin/agent --config /etc/agent/config.toml service "$action" 2>&1) && fail "service $action succeeded: $out"
	grep -q "/usr/lib/systemd/system/agent.service is a package's unit, not a unit \`agent service install\` wrote: manage it with systemctl" <<<"$out" ||
		fail "service $action: $out"
	active_enabled "after service $action"
	[ "$(main_pid)" = "$pid" ] || fail "service $action restarted the service"
	[ ! -e "$root/etc/systemd/system/agent.service" ] || fail "service $action wrote /etc/systemd/system/agent.service"
	ok "service $action: refused (\"${out:0:60}…\"), the service still enabled and running, untouched"
done

echo "--- 3. credentials through the service, reload, run-now"
out=$(printf 'sim-client\nsim-secret\n' | ct sudo -u agent env SHELL=/bin/sh script -qec "agent credentials set ironclad-prod" /dev/null 2>&1) ||
	fail "credentials set: $out"
grep -q "stored by the running agent service, in its keyring file" <<<"$out" || fail "credentials set: $out"
ok "credentials set ironclad-prod, typed at its prompts: stored by the service"
sed -i '/^# \[\[integration\]\]/,$ s/^# //' "$root/etc/agent/config.toml"
printf '  [integration.rest]\n  base_url = "%s"\n' "$sim_url" >>"$root/etc/agent/config.toml"
ct systemctl reload agent.service
for _ in $(seq 50); do ct journalctl -u agent -o cat --no-pager | grep -q "SIGHUP: re-reading the config" && break || sleep 0.2; done
ct journalctl -u agent -o cat --no-pager | grep -q "SIGHUP: re-reading the config" || fail "systemctl reload: $(ct journalctl -u agent -n 20 --no-pager)"
out=$(ct sudo -u agent agent status 2>&1) || fail "status: $out"
grep -q '^ironclad' <<<"$out" || fail "status after the reload: $out"
ok "systemctl reload agent: the service re-read the config"
out=$(ct sudo -u agent agent run-now --json 2>&1) || fail "run-now: $out"
grep -q '"outcome":"success"' <<<"$out" && grep -q '"created":25' <<<"$out" || fail "run-now: $out"
ok "run-now: 25 people created with the credential the service stored"

echo "--- 4. restarts by hand, then a crash"
for _ in 1 2 3 4 5 6; do ct systemctl restart agent.service; done
active_enabled "after six restarts"
pid=$(main_pid)
t=$SECONDS
ct kill -KILL "$pid"
for _ in $(seq 60); do
	[ "$(ct systemctl is-active agent.service || true)" = active ] && [ "$(main_pid)" != "$pid" ] && [ "$(main_pid)" != 0 ] && break
	sleep 0.5
done
[ "$(ct systemctl is-active agent.service || true)" = active ] && [ "$(main_pid)" != "$pid" ] ||
	fail "kill -9 after six restarts: not restarted: $(unit_state); $(ct journalctl -u agent -n 10 --no-pager)"
want "kill -9 after six restarts: restarted (in $((SECONDS - t))s), NRestarts" "$(ct systemctl show -p NRestarts --value agent.service)" 1

echo "--- 5. apt remove, reinstall, purge"
out=$(ct apt-get remove -y -q agent 2>&1) || fail "apt-get remove: $out"
want "apt remove: stopped" "$(ct systemctl is-active agent.service || true)" "inactive"
[ -s "$root/var/lib/agent/agent.db" ] && [ -e "$root/etc/agent/config.toml" ] || fail "apt remove took /etc/agent or /var/lib/agent"
ok "apt remove: /etc/agent and /var/lib/agent stay"
wants=$root/etc/systemd/system/multi-user.target.wants/agent.service
# (/lib/systemd/system/agent.service: bookworm's systemctl names the unit
# by the first folder of its search path, /lib being /usr/lib.)
case $(readlink "$wants") in /lib/systemd/system/agent.service | /usr/lib/systemd/system/agent.service) ;; *) fail "apt remove: $wants -> $(readlink "$wants")" ;; esac
[ ! -e "$wants" ] || fail "apt remove: $wants still resolves"
ok "apt remove: the enablement stays for a reinstall (multi-user.target.wants/agent.service dangles)"
# What the README says an admin sees.
out=$(ct systemctl is-enabled agent.service 2>&1) && fail "is-enabled after remove: $out"
want "apt remove: systemctl is-enabled agent" "$out" "Failed to get unit file state for agent.service: No such file or directory"
out=$(ct apt-get install -y -q "/root/${deb##*/}" 2>&1) || fail "apt-get install again: $out"
active_enabled "after a reinstall"
ok "reinstall: enabled and active again, with the data: $(ct sudo -u agent agent runs | grep -c success) successful run(s)"
out=$(ct apt-get purge -y -q agent 2>&1) || fail "apt-get purge: $out"
[ ! -e "$root/etc/agent" ] && [ ! -e "$root/var/lib/agent" ] && [ ! -L "$wants" ] || fail "apt purge left /etc/agent, /var/lib/agent or $wants"
grep -q '^agent:' "$root/etc/passwd" || fail "apt purge removed the user agent"
want "apt purge: everything gone but the user agent; systemctl is-enabled agent" "$(ct systemctl is-enabled agent.service 2>&1 || true)" \
	"Failed to get unit file state for agent.service: No such file or directory"

echo "--- 6. without a package: agent service install, twice, and uninstall"
install -m 0755 dist/build/linux-amd64/agent "$root/usr/local/bin/agent"
mkdir -p "$root/etc/agent"
cp installer/config.toml "$root/etc/agent/config.toml"
own=(/usr/local/bin/agent --config /etc/agent/config.toml service)
out=$(ct "${own[@]}" install 2>&1) || fail "service install: $out"
active_enabled "after service install"
[ -f "$root/etc/systemd/system/agent.service" ] || fail "service install wrote no /etc/systemd/system/agent.service"
want "service install: the unit in /etc/systemd/system, active, as root" "$(ct ps -o user= -p "$(main_pid)")" "root"
pid=$(main_pid)
out=$(ct "${own[@]}" install 2>&1) || fail "service install again: $out"
grep -q "service agent is installed: replacing it" <<<"$out" || fail "service install again: $out"
active_enabled "after service install again"
[ "$(main_pid)" != "$pid" ] || fail "service install again did not restart the service"
ok "service install again: replaced and restarted"
out=$(ct "${own[@]}" uninstall 2>&1) || fail "service uninstall: $out"
[ ! -e "$root/etc/systemd/system/agent.service" ] && [ ! -L "$root/etc/systemd/system/multi-user.target.wants/agent.service" ] ||
	fail "service uninstall left the unit or its enablement"
want "service uninstall: stopped and removed" "$(ct systemctl is-active agent.service || true)" "inactive"

echo "installer/systemd-check.sh: $checks checks passed in $((SECONDS - started))s"
