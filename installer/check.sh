#!/usr/bin/env bash
# installer/check.sh — builds the packages with a test version and proves
# them sound; .ci/run calls it. Run as root: it installs into scratch roots
# under a temporary folder, never into this machine, and starts nothing
# (installer/systemd-check.sh runs the .deb under a booted systemd).
#
#   1. build: installer/build.sh, checksums, the version in every binary;
#   2. the .deb and .rpm: files, modes, owners, conffiles, scriptlets;
#   3. the unit inside the .deb passes systemd-analyze verify;
#   4. the .deb installs into a scratch root (dpkg --root, the maintainer
#      scripts run with DPKG_ROOT) and its config validates; the README's
#      walkthrough runs there as the user agent, against a loopback
#      Ironclad; upgrade (also to a changed starter config), remove and
#      purge do what the README says, the enablement kept on remove and
#      cleared on purge; a masked unit stays masked; without passwd the
#      .deb is refused;
#   5. the maintainer scripts' other branch, a real host's (systemd up), with
#      stubs, and the rpm's scriptlets with rpm's arguments; rpm itself
#      refuses the package without shadow-utils, and an upgrade to a
#      changed starter config leaves config.toml.rpmnew;
#   6. the .msi: its File, Component, Directory, CreateFolder,
#      MsiLockPermissionsEx, ServiceInstall, ServiceControl, CustomAction and
#      Registry rows, and its files;
#   7. every command of the README's install section is one of the above.
set -euo pipefail
export LC_ALL=C
cd "$(dirname "$0")/.."
repo=$PWD

# The README's example version, so that its commands name these very files.
version=1.2.3
deb=dist/agent_$version-1_amd64.deb
rpm=dist/agent-$version-1.x86_64.rpm
msi=dist/agent-$version-x64.msi

started=$SECONDS
checks=0
work=$(mktemp -d)
sim_pid=
cleanup() {
	if [ -n "$sim_pid" ]; then kill "$sim_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

fail() {
	echo "installer/check.sh: FAIL: $*" >&2
	exit 1
}
ok() {
	checks=$((checks + 1))
	echo "ok   $*"
}
# want WHAT GOT EXPECTED
want() {
	[ "$2" = "$3" ] || fail "$1: got
$2
--- want
$3"
	ok "$1"
}
# contains WHAT TEXT LINE: LINE (fixed) is one of TEXT's lines.
contains() {
	grep -Fxq -- "$3" <<<"$2" || fail "$1: no line \"$3\" in
$2"
	ok "$1"
}

# The README's commands: the lines of the sh and powershell blocks between
# its two check.sh markers. Each must be claimed below by `readme`, next to
# the check that runs it (or its closest equivalent here).
readme_cmds=$work/readme.cmds
awk '/<!-- installer\/check.sh runs/ { on = 1 }
	/<!-- end of the commands installer\/check.sh runs -->/ { on = 0 }
	on && /^```/ { if (code) code = 0; else { code = 1; lang = substr($0, 4) }; next }
	on && code && lang != "toml" && NF && $1 !~ /^#/ { print }' README.md | sort -u >"$readme_cmds"
[ -s "$readme_cmds" ] || fail "README.md: no commands between the check.sh markers"
readme() {
	grep -Fxq -- "$1" "$readme_cmds" || fail "README.md no longer has the command: $1"
	echo "$1" >>"$work/claimed"
}

echo "--- 1. build"
t=$SECONDS
bash installer/build.sh "$version" >"$work/build.log" 2>&1 || {
	cat "$work/build.log"
	fail "installer/build.sh $version"
}
ok "installer/build.sh $version ($((SECONDS - t))s)"
want "dist/ holds the packages, install.ps1 and SHA256SUMS" "$(cd dist && ls -1 agent[_-]* install.ps1 SHA256SUMS)" "SHA256SUMS
agent-$version-1.aarch64.rpm
agent-$version-1.x86_64.rpm
agent-$version-x64.msi
agent_$version-1_amd64.deb
agent_$version-1_arm64.deb
install.ps1"
readme 'sha256sum -c SHA256SUMS --ignore-missing'
(cd dist && sha256sum -c SHA256SUMS --ignore-missing >/dev/null) || fail "sha256sum -c SHA256SUMS"
want "SHA256SUMS covers every artifact" "$(awk '{ print $2 }' dist/SHA256SUMS | sort)" "$(cd dist && ls -1 agent[_-]* install.ps1)"

# The three come from one build loop with the same -ldflags; -trimpath
# keeps those out of `go version -m`, so the version is read from the one
# that runs here.
want "agent version (linux/amd64)" "$(dist/build/linux-amd64/agent version)" "agent $version"
for b in linux-amd64/agent linux-arm64/agent windows-amd64/agent.exe; do
	info=$(go version -m "dist/build/$b")
	os=${b%%-*} arch=${b#*-}
	arch=${arch%/*}
	for line in "build	-trimpath=true" "build	CGO_ENABLED=0" "build	GOOS=$os" "build	GOARCH=$arch"; do
		grep -Fq -- "$line" <<<"$info" || fail "dist/build/$b: no \"$line\" in go version -m"
	done
	ok "dist/build/$b: $os/$arch, static, -trimpath"
done

echo "--- 2. the .deb and .rpm"
deb_contents="drwxr-xr-x root/root ./etc/
drwxr-xr-x root/root ./etc/agent/
-rw-r--r-- root/root ./etc/agent/config.toml
drwxr-xr-x root/root ./usr/
drwxr-xr-x root/root ./usr/bin/
-rwxr-xr-x root/root ./usr/bin/agent
drwxr-xr-x root/root ./usr/lib/
drwxr-xr-x root/root ./usr/lib/systemd/
drwxr-xr-x root/root ./usr/lib/systemd/system/
-rw-r--r-- root/root ./usr/lib/systemd/system/agent.service
drwxr-xr-x root/root ./var/
drwxr-xr-x root/root ./var/lib/
drwxr-x--- agent/agent ./var/lib/agent/"
rpm_files="/etc/agent
/etc/agent/config.toml
/usr/bin/agent
/usr/lib/systemd/system/agent.service
/var/lib/agent"
rpm_modes="drwxr-xr-x root root /etc/agent
-rw-r--r-- root root /etc/agent/config.toml
-rwxr-xr-x root root /usr/bin/agent
-rw-r--r-- root root /usr/lib/systemd/system/agent.service
drwxr-x--- agent agent /var/lib/agent"
for arch in amd64 arm64; do
	d=dist/agent_$version-1_$arch.deb
	want "$d: control" "$(dpkg-deb --field "$d" Package Version Architecture)" "Package: agent
Version: $version-1
Architecture: $arch"
	want "$d: conffiles" "$(dpkg-deb --info "$d" conffiles)" "/etc/agent/config.toml"
	# preinst runs groupadd and useradd before anything is unpacked.
	want "$d: Pre-Depends (preinst's groupadd, useradd)" "$(dpkg-deb --field "$d" Pre-Depends)" "passwd"
	want "$d: dpkg-deb --contents (mode, owner, path)" "$(dpkg-deb --contents "$d" | awk '{ print $1, $2, $6 }')" "$deb_contents"
	dpkg-deb --control "$d" "$work/control-$arch"
	for s in preinst:preinstall postinst:postinstall prerm:preremove postrm:postremove; do
		[ -x "$work/control-$arch/${s%:*}" ] && cmp -s "$work/control-$arch/${s%:*}" "installer/linux/${s#*:}.sh" ||
			fail "$d: ${s%:*} is not installer/linux/${s#*:}.sh, executable"
	done
	ok "$d: preinst, postinst, prerm, postrm are installer/linux/*.sh"
	dpkg-deb --fsys-tarfile "$d" | tar -xO ./usr/bin/agent >"$work/agent-$arch"
	cmp -s "$work/agent-$arch" "dist/build/linux-$arch/agent" || fail "$d: /usr/bin/agent is not dist/build/linux-$arch/agent"
	ok "$d: /usr/bin/agent is the linux/$arch build"

	rarch=x86_64
	[ "$arch" = amd64 ] || rarch=aarch64
	r=dist/agent-$version-1.$rarch.rpm
	want "$r: name, version, arch" "$(rpm -qp --qf '%{NAME} %{VERSION}-%{RELEASE} %{ARCH}' "$r")" "agent $version-1 $rarch"
	want "$r: rpm -qlp" "$(rpm -qlp "$r")" "$rpm_files"
	want "$r: requires (%pre's groupadd, useradd)" "$(rpm -qp --requires "$r" | grep -v '^rpmlib(')" "(shadow-utils or shadow)"
	want "$r: rpm -qlvp (mode, owner, group, path)" "$(rpm -qlvp "$r" | awk '{ print $1, $3, $4, $9 }')" "$rpm_modes"
	want "$r: config files (c = %config, n = noreplace)" "$(rpm -qp --qf '[%{FILEFLAGS:fflags} %{FILENAMES}\n]' "$r" | awk 'NF == 2')" "cn /etc/agent/config.toml"
	for s in PREIN:preinstall POSTIN:postinstall PREUN:preremove POSTUN:postremove; do
		rpm -qp --qf "%{${s%:*}}" "$r" >"$work/rpm-${s#*:}"
		cmp -s "$work/rpm-${s#*:}" "installer/linux/${s#*:}.sh" || fail "$r: %${s%:*} is not installer/linux/${s#*:}.sh"
	done
	ok "$r: %pre, %post, %preun, %postun are installer/linux/*.sh"
	rpm -K --nosignature "$r" >/dev/null || fail "$r: rpm -K (digests)"
	ok "$r: digests"
done

echo "--- 3. the unit inside the .deb"
# systemd-analyze looks for what the unit names (/usr/bin/agent, /bin/kill,
# the targets) under --root: a root with this machine's units and the .deb.
v=$work/verify
mkdir -p "$v/usr/lib/systemd" "$v/bin"
cp -a /usr/lib/systemd/system "$v/usr/lib/systemd/"
cp /bin/kill "$v/bin/"
dpkg-deb -x "$deb" "$v"
out=$(systemd-analyze verify --root="$v" agent.service 2>&1) || fail "systemd-analyze verify: $out"
# verify exits 0 on unknown keys and bad values, but prints them.
[ -z "$out" ] || fail "systemd-analyze verify: $out"
ok "systemd-analyze verify: the unit in $deb"
unit=$(cat "$v/usr/lib/systemd/system/agent.service")
for line in "User=agent" "ExecStart=/usr/bin/agent --config /etc/agent/config.toml run" "ReadWritePaths=/var/lib/agent" \
	"WorkingDirectory=/var/lib/agent" "EnvironmentFile=-/etc/agent/agent.env" "Restart=on-failure" "StartLimitIntervalSec=0" "ProtectSystem=strict" "WantedBy=multi-user.target"; do
	contains "the unit: $line" "$unit" "$line"
done
# journalctl needs a booted systemd. What it shows is the service's
# standard error (the agent logs there), which a unit sends to the journal
# unless it says otherwise.
readme 'journalctl -u agent'
grep -Eq '^(StandardOutput|StandardError|LogsDirectory)=' <<<"$unit" && fail "the unit sends the log elsewhere than the journal"
ok "the unit leaves the log to the journal"
want "the unit is agent/service's template, as \`agent service unit\` renders it" "$unit" \
	"$(dist/build/linux-amd64/agent --config /etc/agent/config.toml service unit --user agent --executable /usr/bin/agent --data-dir /var/lib/agent)"

echo "--- 4. the .deb in a scratch root"
# A root with only root in its accounts and a dpkg database of one
# package, passwd: the .deb pre-depends on it for the groupadd and useradd
# that preinst runs, here this machine's with --prefix ROOT.
new_root() {
	mkdir -p "$1/var/lib/dpkg/info" "$1/var/lib/dpkg/updates" "$1/etc"
	printf '%s\n' "Package: passwd" "Status: install ok installed" "Priority: required" "Architecture: amd64" \
		"Version: $(dpkg-query -W -f='${Version}' passwd)" "Maintainer: this machine's" \
		"Description: this machine's groupadd and useradd, which preinst runs with --prefix" >"$1/var/lib/dpkg/status"
	echo 'root:x:0:0:root:/root:/bin/sh' >"$1/etc/passwd"
	echo 'root:x:0:' >"$1/etc/group"
	echo 'root:*:20000:0:99999:7:::' >"$1/etc/shadow"
	echo 'root:*::' >"$1/etc/gshadow"
	chmod 0640 "$1/etc/shadow" "$1/etc/gshadow"
}
root=$work/root
new_root "$root"
# `dpkg --root` runs the maintainer scripts outside a chroot with
# DPKG_ROOT=$root (--force-script-chrootless): they create the account in
# the root's files and enable the unit offline (systemctl --root); nothing
# starts, as on a host where systemd is not running.
dpkg_root() {
	dpkg --root="$root" --force-script-chrootless --log=/dev/null "$@" >"$work/dpkg.log" 2>&1 || {
		cat "$work/dpkg.log"
		fail "dpkg --root=ROOT $*"
	}
}
wants=$root/etc/systemd/system/multi-user.target.wants/agent.service

# On a real host: apt (or dpkg -i) as root. Here: dpkg into the scratch root.
readme "sudo apt install ./agent_$version-1_amd64.deb"
dpkg_root -i "$deb"
want "installed" "$(dpkg-query --root="$root" -W -f='${Status} ${Version}' agent)" "install ok installed $version-1"
account=$(grep '^agent:' "$root/etc/passwd") || fail "preinst did not create the user agent"
uid=$(cut -d: -f3 <<<"$account")
gid=$(cut -d: -f4 <<<"$account")
want "the system user agent" "$(cut -d: -f1,5- <<<"$account")" "agent:agent service:/var/lib/agent:/usr/sbin/nologin"
[ "$uid" -lt 1000 ] && grep -q "^agent:x:$gid:" "$root/etc/group" || fail "agent is not a system user with its own group: $account"
ok "agent is a system user ($uid:$gid) with its own group"
want "installed files: mode owner path" "$(cd "$root" && stat -c '%a %u:%g %n' usr/bin/agent usr/lib/systemd/system/agent.service etc/agent etc/agent/config.toml var/lib/agent)" "755 0:0 usr/bin/agent
644 0:0 usr/lib/systemd/system/agent.service
755 0:0 etc/agent
644 0:0 etc/agent/config.toml
750 $uid:$gid var/lib/agent"
want "postinst enabled the unit" "$(readlink "$wants")" "/usr/lib/systemd/system/agent.service"

# The issue's check, word for word: the packaged config validates.
out=$("$root/usr/bin/agent" --config "$root/etc/agent/config.toml" validate 2>&1) || fail "agent --config $root/etc/agent/config.toml validate: $out"
want "agent --config ROOT/etc/agent/config.toml validate" "$out" "$root/etc/agent/config.toml: ok, 0 integrations (0 launched, 0 draft)"

# The walkthrough, as the admin runs it: `sudo -u agent agent …` is, here,
# the installed binary chrooted into the scratch root as the user agent,
# with sudo's clean environment. Its default config is the root's
# /etc/agent/config.toml, its state the root's /var/lib/agent.
chroot_bin=$(command -v chroot)
as_agent=(env -i HOME=/var/lib/agent PATH=/usr/bin:/bin "$chroot_bin" --userspec="$uid:$gid" --groups="$gid" "$root" /usr/bin/agent)

# expect WHAT REGEX ARGS...: the installed agent, as agent, runs ARGS,
# succeeds, and says something matching REGEX (grep -E).
expect() {
	local what=$1 re=$2
	shift 2
	out=$("${as_agent[@]}" "$@" 2>&1) || fail "$*: $out"
	grep -Eq -- "$re" <<<"$out" || fail "$*: $out"
	ok "$what"
}

# Ironclad's API, on loopback: the agent's own simulator (client sim-client,
# secret sim-secret, 25 users). It is a module of its own, built in a
# workspace with the agent's (installer/ironcladsim/go.mod says why).
mkdir "$work/gowork"
(cd "$work/gowork" && go work init "$repo" "$repo/installer/ironcladsim")
GOWORK=$work/gowork/go.work go build -o "$work/ironcladsim" ./installer/ironcladsim
oom_token=oomnitza-check-token-7c1e
"$work/ironcladsim" -users 25 -oomnitza-token "$oom_token" >"$work/sim.url" 2>"$work/sim.log" &
sim_pid=$!
for _ in $(seq 100); do [ "$(wc -l <"$work/sim.url")" = 2 ] && break || sleep 0.05; done
sim_url=$(head -1 "$work/sim.url")
oom_url=$(sed -n 2p "$work/sim.url")
[[ $sim_url == http://127.0.0.1:* ]] || fail "the simulator did not start: $(cat "$work/sim.log")"

readme 'sudo -u agent agent credentials set ironclad-prod'
# It asks on the terminal: script(1) gives it one, and types the answers.
out=$(printf 'sim-client\nsim-secret\n' | script -qec "${as_agent[*]} credentials set ironclad-prod" /dev/null 2>&1) ||
	fail "credentials set: $out"
grep -q "credential ironclad-prod (oauth2_client) stored" <<<"$out" || fail "credentials set: $out"
ok "credentials set ironclad-prod, typed at its prompts, as agent"
want "the keyring is the service's: owned by agent, 0600/0700" "$(cd "$root/var/lib/agent" && stat -c '%a %u %n' keyring keyring.key credentials.json)" "700 $uid keyring
600 $uid keyring.key
600 $uid credentials.json"

readme 'sudoedit /etc/agent/config.toml'
# The admin's edit: the README's block is the starter config's example,
# uncommented.
example=$(sed -n '/^# \[\[integration\]\]/,$ s/^# //p' installer/config.toml)
readme_toml=$(awk '/<!-- installer\/check.sh runs/ { on = 1 } on && /^```toml/ { code = 1; next } code && /^```/ { exit } code { print }' README.md)
want "README's integration is the starter config's example, uncommented" "$readme_toml" "$example"
cp "$root/etc/agent/config.toml" "$work/config.orig"
sed -i '/^# \[\[integration\]\]/,$ s/^# //' "$root/etc/agent/config.toml"
# CI only: Ironclad's API is the simulator, not api.pactsafe.com.
printf '  [integration.rest]\n  base_url = "%s"\n' "$sim_url" >>"$root/etc/agent/config.toml"

readme 'sudo -u agent agent validate'
out=$("${as_agent[@]}" validate 2>&1) || fail "validate: $out"
grep -q "1 integration (1 launched, 0 draft)" <<<"$out" || fail "validate: $out"
ok "validate: the integration is launched"
readme 'sudo -u agent agent credentials test ironclad-prod'
out=$("${as_agent[@]}" credentials test ironclad-prod 2>&1) || fail "credentials test: $out"
ok "credentials test ironclad-prod: a token from the token URL"
readme 'sudo -u agent agent run-now'
out=$("${as_agent[@]}" run-now --json 2>&1) || fail "run-now: $out"
grep -q '"outcome":"success"' <<<"$out" && grep -q '"created":25' <<<"$out" || fail "run-now: $out"
out=$("${as_agent[@]}" run-now 2>&1) || fail "run-now: $out"
ok "run-now: 25 people created, then run again: $(tail -1 <<<"$out")"
readme 'sudo -u agent agent status'
expect "status: ironclad active" "active" status
readme 'sudo -u agent agent runs'
out=$("${as_agent[@]}" runs 2>&1) || fail "runs: $out"
[ "$(grep -c success <<<"$out")" = 2 ] || fail "runs: $out"
ok "runs: the two runs"

# Deliver to Oomnitza: the tenant is the simulator's (token $oom_token).
readme 'printf '"'"'%s'"'"' "$OOMNITZA_TOKEN" | sudo -u agent agent credentials set oomnitza-token --kind api_key --secret-stdin'
out=$(printf '%s' "$oom_token" | "${as_agent[@]}" credentials set oomnitza-token --kind api_key --secret-stdin 2>&1) || fail "credentials set oomnitza-token: $out"
ok "credentials set oomnitza-token from standard input"
# The admin's edit: the README's destination block, its url the tenant's
# here, and the integration delivering to it.
readme_dest=$(awk '/<!-- installer\/check.sh runs/ { on = 1 } on && /^```toml/ { n++; if (n == 2) { code = 1; next } } code && /^```/ { exit } code { print }' README.md)
grep -q '^type = "oomnitza"$' <<<"$readme_dest" || fail "README's second toml block is not the Oomnitza destination: $readme_dest"
sed -i 's/^name = "ironclad"$/name = "ironclad"\ndestinations = ["oomnitza"]/' "$root/etc/agent/config.toml"
printf '\n%s\n' "$(sed "s#^url = .*#url = \"$oom_url\"#" <<<"$readme_dest")" >>"$root/etc/agent/config.toml"
out=$("${as_agent[@]}" validate 2>&1) || fail "validate with the destination: $out"
ok "validate: the destination"
readme 'sudo -u agent agent credentials test oomnitza-token'
expect "credentials test oomnitza-token: the tenant accepted the token" "OK: destination oomnitza" credentials test oomnitza-token
expect "run-now: the first delivery sent all 25 people" '"delivery":\{"oomnitza":\{"sent":25,"queued":0,"error":""\}\}' run-now --json
expect "status: the destination, nothing queued" '^ironclad +oomnitza +0 ' status
readme 'sudo -u agent agent deliver'
out=$("${as_agent[@]}" deliver 2>&1) || fail "deliver: $out"
want "deliver with nothing queued" "$out" "ironclad -> oomnitza: 0 sent, 0 queued"
if grep -rqa "$oom_token" "$root/var/lib/agent" --exclude-dir=keyring; then fail "the Oomnitza token is in /var/lib/agent outside the keyring"; fi
ok "the token is nowhere in /var/lib/agent but the keyring"
stray=$(find "$root/var/lib/agent" ! -uid "$uid")
[ -z "$stray" ] || fail "files in /var/lib/agent the service could not own: $stray"
ok "everything in /var/lib/agent belongs to agent"

# Upgrade: the same files as version $version-2 (only the version differs).
# The edited config stays, the data stays, and the admin's choice of a
# disabled unit holds.
dpkg-deb --raw-extract "$deb" "$work/repack"
sed -i "s/^Version: .*/Version: $version-2/" "$work/repack/DEBIAN/control"
dpkg-deb -Zgzip -z1 --build "$work/repack" "$work/agent_$version-2_amd64.deb" >/dev/null
cp "$root/etc/agent/config.toml" "$work/config.edited"
rm "$wants"
dpkg_root -i "$work/agent_$version-2_amd64.deb"
want "upgraded" "$(dpkg-query --root="$root" -W -f='${Version}' agent)" "$version-2"
cmp -s "$root/etc/agent/config.toml" "$work/config.edited" || fail "the upgrade replaced the edited config"
ok "upgrade: the edited /etc/agent/config.toml stays"
[ -s "$root/var/lib/agent/agent.db" ] && [ "$(stat -c '%a %u' "$root/var/lib/agent")" = "750 $uid" ] || fail "upgrade: /var/lib/agent"
ok "upgrade: /var/lib/agent, its data and owner stay"
[ ! -e "$wants" ] || fail "upgrade enabled a unit the admin had disabled"
ok "upgrade: a disabled unit stays disabled"
out=$("${as_agent[@]}" status 2>&1) && grep -q active <<<"$out" || fail "status after the upgrade: $out"
ok "status after the upgrade: the runs are still there"

# Upgrade to a version whose shipped default config changed (built by
# nfpm as build.sh does, with a line added to the starter config): the
# admin's edit stays, the new default lands beside it. dpkg would ask;
# --force-confold is the unattended answer "keep mine".
changed=$work/changed-default
mkdir "$changed"
cp -r installer/linux installer/go.mod installer/go.sum "$changed/"
{ cat installer/config.toml; echo '# A default new in 1.2.4.'; } >"$changed/config.toml"
for packager in deb rpm; do
	(cd "$changed" && VERSION=1.2.4 ARCH=amd64 STAGE=$repo/dist/build/linux-amd64 \
		go tool nfpm package --config linux/nfpm.yaml --packager "$packager" --target "$work/" >/dev/null) ||
		fail "nfpm $packager 1.2.4 with a changed default config"
done
dpkg_root --force-confold -i "$work/agent_1.2.4-1_amd64.deb"
want "upgraded to a changed default config" "$(dpkg-query --root="$root" -W -f='${Version}' agent)" "1.2.4-1"
cmp -s "$root/etc/agent/config.toml" "$work/config.edited" || fail "the upgrade replaced the edited config"
cmp -s "$root/etc/agent/config.toml.dpkg-dist" "$changed/config.toml" || fail "the new default is not config.toml.dpkg-dist"
ok "upgrade, the default changed: the edited config stays, the new default is config.toml.dpkg-dist"

# The admin enables the unit again; a remove keeps that for a reinstall.
systemctl --root="$root" --quiet enable agent.service

readme 'sudo apt remove agent'
dpkg_root -r agent
[ ! -e "$root/usr/bin/agent" ] && [ ! -e "$root/usr/lib/systemd/system/agent.service" ] || fail "remove left the binary or the unit"
cmp -s "$root/etc/agent/config.toml" "$work/config.edited" && [ -s "$root/var/lib/agent/agent.db" ] || fail "remove took the config or the data"
ok "remove: the binary and unit go, /etc/agent and /var/lib/agent stay"
# deb-systemd-helper's convention: the enablement is kept on remove (the
# link dangles until a reinstall), and cleared on purge.
[ "$(readlink "$wants")" = /usr/lib/systemd/system/agent.service ] && [ ! -e "$wants" ] || fail "remove: $wants"
ok "remove: the unit's enablement stays, for a reinstall (multi-user.target.wants/agent.service dangles)"
readme 'sudo apt purge agent'
dpkg_root -P agent
[ ! -e "$root/etc/agent" ] && [ ! -e "$root/var/lib/agent" ] || fail "purge left /etc/agent or /var/lib/agent"
grep -q '^agent:' "$root/etc/passwd" || fail "purge removed the user agent"
ok "purge: /etc/agent and /var/lib/agent are gone, the user agent stays"
[ ! -L "$wants" ] || fail "purge left $wants"
ok "purge: the unit's enablement is gone"

# Without passwd the .deb is refused before anything runs.
root=$work/nopasswd
new_root "$root"
: >"$root/var/lib/dpkg/status"
dpkg --root="$root" --force-script-chrootless --log=/dev/null -i "$deb" >"$work/dpkg.log" 2>&1 && fail "dpkg -i without passwd installed"
grep -q "agent pre-depends on passwd" "$work/dpkg.log" && [ ! -e "$root/usr/bin/agent" ] && ! grep -q '^agent:' "$root/etc/passwd" ||
	fail "dpkg -i without passwd: $(cat "$work/dpkg.log")"
ok "dpkg -i without passwd: refused, nothing unpacked, no account"

# An admin's mask (before an image build, say) holds: the install succeeds
# and enables nothing.
root=$work/masked
new_root "$root"
mkdir -p "$root/etc/systemd/system"
ln -s /dev/null "$root/etc/systemd/system/agent.service"
dpkg_root -i "$deb"
[ "$(readlink "$root/etc/systemd/system/agent.service")" = /dev/null ] &&
	[ ! -L "$root/etc/systemd/system/multi-user.target.wants/agent.service" ] || fail "install on a masked unit"
grep -q "agent.service is masked: left masked" "$work/dpkg.log" || fail "install on a masked unit: no notice: $(cat "$work/dpkg.log")"
ok "install on a masked unit: installed, still masked, not enabled, and says so"
dpkg_root -P agent
kill "$sim_pid"
sim_pid=

echo "--- 5. the maintainer scripts on a real host, and as rpm runs them"
# A real host takes the scripts' other branch: no DPKG_ROOT, systemd up.
# Each runs in a private mount namespace where /run/systemd/system exists
# and /var/lib is an empty tmpfs, with the commands that change the system
# (systemctl, groupadd, useradd, getent, chown) replaced by stubs that log.
stubs=$work/stubs
mkdir -p "$stubs"
for c in systemctl groupadd useradd getent chown; do
	printf '#!/bin/sh\necho "%s $*" >>"%s"\n[ "%s" != getent ]\n' "$c" "$work/host.log" "$c" >"$stubs/$c"
	chmod +x "$stubs/$c"
done
on_host() { # on_host SCRIPT ARGS...
	local script=installer/linux/$1.sh
	shift
	: >"$work/host.log"
	PATH=$stubs:$PATH unshare --mount sh -c 'mount -t tmpfs none /run && mkdir -p /run/systemd/system &&
		mount -t tmpfs none /var/lib && mkdir /var/lib/agent && exec sh "$0" "$@"' "$script" "$@"
	cat "$work/host.log"
}
want "deb install: preinst install" "$(on_host preinstall install)" "getent group agent
groupadd --system agent
getent passwd agent
useradd --system --gid agent --home-dir /var/lib/agent --no-create-home --shell /usr/sbin/nologin --comment agent service agent"
want "deb install: postinst configure (first)" "$(on_host postinstall configure '')" "chown -R agent:agent /var/lib/agent
systemctl is-enabled agent.service
systemctl enable agent.service
systemctl daemon-reload
systemctl --quiet is-enabled agent.service
systemctl restart agent.service"
want "deb upgrade: postinst configure OLD" "$(on_host postinstall configure "$version-1")" "chown -R agent:agent /var/lib/agent
systemctl daemon-reload
systemctl --quiet is-enabled agent.service
systemctl restart agent.service"
want "deb upgrade: prerm upgrade" "$(on_host preremove upgrade "$version-2")" ""
want "deb remove: prerm remove" "$(on_host preremove remove)" "systemctl stop agent.service"
want "deb remove: postrm remove" "$(on_host postremove remove)" "systemctl daemon-reload"
want "rpm install: %post 1" "$(on_host postinstall 1)" "$(on_host postinstall configure '')"
want "rpm upgrade: %post 2" "$(on_host postinstall 2)" "$(on_host postinstall configure "$version-1")"
want "rpm upgrade: %preun 1" "$(on_host preremove 1)" ""
want "rpm erase: %preun 0" "$(on_host preremove 0)" "systemctl stop agent.service
systemctl disable agent.service"

# The rpm's own scriptlets (read from the package), with rpm's arguments,
# around its payload in a scratch root (DPKG_ROOT points them there as
# dpkg's does; rpm itself would chroot, and the root has no shell).
# On a real host: dnf (or rpm -i) as root.
readme "sudo dnf install ./agent-$version-1.x86_64.rpm"
root=$work/rpmroot
new_root "$root"
wants=$root/etc/systemd/system/multi-user.target.wants/agent.service
scriptlet() { DPKG_ROOT=$root sh "$work/rpm-$1" "$2"; }
scriptlet preinstall 1
rpm2archive - <"$rpm" | tar -xz -C "$root"
scriptlet postinstall 1 2>/dev/null
uid=$(awk -F: '$1 == "agent" { print $3 }' "$root/etc/passwd")
[ -n "$uid" ] && [ "$(stat -c '%a %u' "$root/var/lib/agent")" = "750 $uid" ] && [ -L "$wants" ] || fail "rpm install: account, /var/lib/agent or the unit's enablement"
ok "rpm install (%pre 1, payload, %post 1): user agent, /var/lib/agent 0750 agent, unit enabled"
echo data >"$root/var/lib/agent/agent.db"
scriptlet preinstall 2 && scriptlet postinstall 2 && scriptlet preremove 1 && scriptlet postremove 1
[ -L "$wants" ] && [ -s "$root/var/lib/agent/agent.db" ] || fail "rpm upgrade (%pre 2, %post 2, %preun 1, %postun 1)"
ok "rpm upgrade (%pre 2, %post 2, %preun 1, %postun 1): still enabled, data kept"
scriptlet preremove 0 2>/dev/null
rm -f "$root/usr/bin/agent" "$root/usr/lib/systemd/system/agent.service"
scriptlet postremove 0
[ ! -e "$wants" ] && [ -s "$root/var/lib/agent/agent.db" ] && [ -e "$root/etc/agent/config.toml" ] || fail "rpm erase (%preun 0, %postun 0)"
ok "rpm erase (%preun 0, %postun 0): disabled; /var/lib/agent and /etc/agent stay"

# rpm itself, into a root of its own (no scriptlets: they are checked
# above). Without the scriptlets' tools the package fails at resolution.
root=$work/rpmdb
new_root "$root"
rpm --root="$root" --initdb
out=$(rpm -i --test --root="$root" "$rpm" 2>&1) && fail "rpm -i in a root without useradd: $out"
grep -Fq "(shadow-utils or shadow) is needed by agent-$version-1.x86_64" <<<"$out" || fail "rpm -i in a root without useradd: $out"
ok "rpm -i without shadow-utils (or SUSE's shadow): refused at resolution"
# An upgrade whose shipped default changed keeps the admin's edit and
# puts the new default beside it.
scriptlet preinstall 1
rpm -i --root="$root" --nodeps --noscripts "$rpm" 2>/dev/null || fail "rpm -i --root $rpm"
echo '# edited by the admin' >>"$root/etc/agent/config.toml"
cp "$root/etc/agent/config.toml" "$work/config.rpm-edited"
rpm -U --root="$root" --nodeps --noscripts "$work/agent-1.2.4-1.x86_64.rpm" 2>/dev/null || fail "rpm -U to 1.2.4"
want "rpm upgraded to a changed default config" "$(rpm -q --root="$root" agent 2>/dev/null)" "agent-1.2.4-1.x86_64"
cmp -s "$root/etc/agent/config.toml" "$work/config.rpm-edited" || fail "the rpm upgrade replaced the edited config"
cmp -s "$root/etc/agent/config.toml.rpmnew" "$changed/config.toml" || fail "the new default is not config.toml.rpmnew"
ok "rpm upgrade, the default changed: the edited config stays, the new default is config.toml.rpmnew"

echo "--- 6. the .msi"
# On a real host: msiexec from an elevated prompt. Here: msitools read the
# tables Windows Installer would act on, and the files it would install.
readme "msiexec /i agent-$version-x64.msi /qn /l*v agent-install.log"
tables=$(msiinfo tables "$msi")
for t in File Component Directory CreateFolder MsiLockPermissionsEx ServiceInstall ServiceControl CustomAction Registry Upgrade; do
	contains "msiinfo tables: $t" "$tables" "$t"
done
rows() { msiinfo export "$msi" "$1" | tr -d '\r' | tail -n +4 | sort; }
tab=$'\t'
want "File: agent.exe and config.toml" "$(rows File | cut -f1-3)" "AgentExe${tab}AgentExe${tab}agent.exe
ConfigToml${tab}Config${tab}config.toml"
# Attributes: 256 = 64-bit; 400 = 64-bit, permanent, never overwritten.
want "Component: agent.exe in Program Files, config.toml kept in ProgramData" "$(rows Component | cut -f1,3-4,6)" "AgentExe${tab}INSTALLDIR${tab}256${tab}AgentExe
Config${tab}DATADIR${tab}400${tab}ConfigToml"
want "Directory: Program Files\\agent, ProgramData\\agent" "$(rows Directory)" "CommonAppDataFolder${tab}TARGETDIR${tab}.
DATADIR${tab}CommonAppDataFolder${tab}agent
INSTALLDIR${tab}ProgramFiles64Folder${tab}agent
ProgramFiles64Folder${tab}TARGETDIR${tab}.
TARGETDIR${tab}${tab}SourceDir"
# %ProgramData%\agent: created with the agent's private ACL
# (internal/osdir.PrivateSDDL), not the Users-readable one it would inherit.
want "CreateFolder: ProgramData\\agent" "$(rows CreateFolder)" "DATADIR${tab}Config"
want "MsiLockPermissionsEx: ProgramData\\agent for SYSTEM and Administrators only" "$(rows MsiLockPermissionsEx)" "DataDirAcl${tab}DATADIR${tab}CreateFolder${tab}O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)${tab}"
# Own process (16), automatic (2), LocalSystem; [DATADIR] is absolute at
# install time: --config "C:\ProgramData\agent\config.toml" run.
want "ServiceInstall: the service agent" "$(rows ServiceInstall)" "AgentService${tab}agent${tab}agent${tab}16${tab}2${tab}1${tab}${tab}${tab}LocalSystem${tab}${tab}--config \"[DATADIR]config.toml\" run${tab}AgentExe${tab}agent: syncs SaaS vendors' user lists into people and SaaS users on a schedule"
# 163 = start on install (1), stop on install (2) and uninstall (32),
# delete on uninstall (128); wait for each.
want "ServiceControl: started on install, stopped and removed on uninstall" "$(rows ServiceControl)" "AgentService${tab}agent${tab}163${tab}${tab}1${tab}AgentExe"
# 2099 = 51, set a property (+ 2048, no-impersonate: wixl adds it, Windows
# Installer ignores it outside the script); 3186 = 50, run the exe that a
# property names, + 64 ignore its exit code + 1024 deferred + 2048 as SYSTEM.
want "CustomAction: sc.exe sets delayed start and recovery" "$(rows CustomAction)" "ServiceDelayedStart${tab}3186${tab}SCEXE${tab}config agent start= delayed-auto${tab}
ServiceRecovery${tab}3186${tab}SCEXE${tab}failure agent reset= 86400 actions= restart/15000${tab}
SetScExe${tab}2099${tab}SCEXE${tab}[System64Folder]sc.exe${tab}"
want "Registry: the Event Log source agent" "$(rows Registry | cut -f2-6 | sort)" "2${tab}SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\agent${tab}CustomSource${tab}#1${tab}AgentExe
2${tab}SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\agent${tab}EventMessageFile${tab}[System64Folder]EventCreate.exe${tab}AgentExe
2${tab}SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\agent${tab}TypesSupported${tab}#7${tab}AgentExe"
seq_of() { msiinfo export "$msi" InstallExecuteSequence | tr -d '\r' | awk -F'\t' -v a="$1" '$1 == a { print $3 }'; }
# The old version goes first (its config stays: permanent); the sc.exe
# actions run once the service exists, before it starts.
order="CostFinalize InstallValidate RemoveExistingProducts InstallInitialize InstallFiles InstallServices ServiceDelayedStart ServiceRecovery StartServices InstallFinalize"
prev=0
for a in $order; do
	n=$(seq_of "$a")
	[ -n "$n" ] && [ "$n" -gt "$prev" ] || fail "InstallExecuteSequence: $a ($n) is not after the action before it ($prev); want $order"
	prev=$n
done
ok "InstallExecuteSequence: $order"
want "InstallExecuteSequence: SetScExe just before InstallServices" "$(seq_of SetScExe)" 5799
contains "Property: ProductVersion" "$(rows Property)" "ProductVersion${tab}$version"
# Up to and including this version is replaced (513 = 0x200 the maximum
# inclusive + 1 migrate features): a rebuilt MSI of the same version
# replaces the installed one instead of installing beside it; a newer
# installed version is only detected (2), above this one (exclusive), and
# stops the install.
want "Upgrade: an older or the same version is replaced, a newer one refused" "$(rows Upgrade | cut -f1,2,3,5,7)" "{FA575D57-347F-4060-BD63-769E662B7486}${tab}${tab}$version${tab}513${tab}WIX_UPGRADE_DETECTED
{FA575D57-347F-4060-BD63-769E662B7486}${tab}$version${tab}${tab}2${tab}WIX_DOWNGRADE_DETECTED"
contains "LaunchCondition: no downgrade" "$(rows LaunchCondition)" "NOT WIX_DOWNGRADE_DETECTED${tab}A newer version of agent is already installed."
contains "Summary: x64" "$(msiinfo suminfo "$msi")" "Template: x64;1033"
# msiextract puts each file under its folder's own name: both in agent/.
msiextract -C "$work/msi" "$msi" >/dev/null
cmp -s "$work/msi/agent/agent.exe" dist/build/windows-amd64/agent.exe || fail "the MSI's agent.exe is not dist/build/windows-amd64/agent.exe"
ok "the MSI's agent.exe is the windows/amd64 build"
cmp -s "$work/msi/agent/config.toml" installer/config.toml || fail "the MSI's config.toml is not installer/config.toml"
out=$(dist/build/linux-amd64/agent --config "$work/msi/agent/config.toml" validate 2>&1) || fail "the MSI's config: $out"
ok "the MSI's config.toml is the starter config, and validates"

# install.ps1 cannot run here (no PowerShell): it is shipped as is, and
# repeats exactly the sc.exe settings of the MSI's custom actions.
readme 'powershell -ExecutionPolicy Bypass -File .\install.ps1'
cmp -s dist/install.ps1 installer/windows/install.ps1 || fail "dist/install.ps1"
for ca in ServiceDelayedStart ServiceRecovery; do
	target=$(rows CustomAction | awk -F'\t' -v a="$ca" '$1 == a { print $4 }')
	grep -Fq "& sc.exe $target |" installer/windows/install.ps1 || fail "install.ps1 does not run sc.exe $target"
done
grep -Fq "'/i', \"\`\"\$Msi\`\"\", '/qn'" installer/windows/install.ps1 || fail "install.ps1 does not run msiexec /i MSI /qn"
ok "install.ps1: msiexec /i /qn, then the MSI's sc.exe settings again"
# Each sc.exe's exit code is tested on the next line, before anything else
# runs (once the recovery actions' test also took the start's failure).
untested=$(awk '/^& sc\.exe/ { s = $0; getline; if ($0 !~ /^if \(\$LASTEXITCODE -ne 0\)/) print s }' installer/windows/install.ps1)
[ -z "$untested" ] || fail "install.ps1: sc.exe's exit code is not tested right after: $untested"
ok "install.ps1: each sc.exe's exit code is tested right after it"
# -Uninstall removes the installed build by the MSI's UpgradeCode.
upgrade_code=$(sed -n 's/.*UpgradeCode="\([^"]*\)".*/\1/p' installer/windows/agent.wxs)
grep -Fxq "\$UpgradeCode = '{$upgrade_code}'" installer/windows/install.ps1 || fail "install.ps1's \$UpgradeCode is not agent.wxs's {$upgrade_code}"
grep -Fq '$wi.RelatedProducts($UpgradeCode)' installer/windows/install.ps1 && grep -Fq "@('/x', \$code," installer/windows/install.ps1 || fail "install.ps1 -Uninstall does not msiexec /x the products of the UpgradeCode"
ok "install.ps1 -Uninstall: msiexec /x of the installed products of UpgradeCode {$upgrade_code}"
for code in 3010 1641; do
	grep -Eq "^ +$code \{ Write-Warning " installer/windows/install.ps1 || fail "install.ps1: msiexec's exit code $code is not a success with a notice"
done
ok "install.ps1: msiexec's 3010 and 1641 are successes with a notice"

echo "--- 7. the README's commands"
unclaimed=$(sort -u "$work/claimed" | comm -23 "$readme_cmds" -)
[ -z "$unclaimed" ] || fail "README.md commands that nothing here runs:
$unclaimed"
ok "each of the README's $(wc -l <"$readme_cmds") install and setup commands is run above"

echo "installer/check.sh: $checks checks passed in $((SECONDS - started))s"
