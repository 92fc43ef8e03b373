#!/usr/bin/env bash
# installer/build.sh VERSION — the release packages of agent, into dist/:
#
#   agent_VERSION_amd64.deb  agent_VERSION_arm64.deb       (Debian, Ubuntu)
#   agent-VERSION-1.x86_64.rpm  agent-VERSION-1.aarch64.rpm (RHEL, Fedora, SUSE)
#   agent-VERSION-x64.msi  install.ps1                     (Windows)
#   SHA256SUMS                                             (of all of the above)
#
# and the binaries under dist/build/. VERSION is semver (1.2.3 or
# 1.2.3-rc.1); it is stamped into the binary (`agent version`). The MSI's
# ProductVersion is its numeric part. Needs Go, wixl and msibuild (Debian
# packages wixl and msitools); nfpm is the Go tool of installer/go.mod, so
# it builds from the module proxy like any dependency.
set -euo pipefail

version=${1:-}
if [[ ! $version =~ ^([0-9]+)\.([0-9]+)\.([0-9]+)(-[0-9A-Za-z.]+)?$ ]]; then
	echo "usage: installer/build.sh VERSION   (semver: 1.2.3 or 1.2.3-rc.1)" >&2
	exit 2
fi
msi_version=${BASH_REMATCH[1]}.${BASH_REMATCH[2]}.${BASH_REMATCH[3]}

repo=$(cd "$(dirname "$0")/.." && pwd)
dist=$repo/dist
build=$dist/build
cd "$repo"
rm -rf "$build" "$dist"/agent[_-]* "$dist/install.ps1" "$dist/SHA256SUMS"
mkdir -p "$build"

# Each target once, static (no cgo), with reproducible paths; all three
# share the one Go build cache (GOCACHE), so a rebuild is cheap. They run
# side by side: most of the time goes to compiling modernc.org/sqlite, one
# package, which one compiler process works on alone.
ldflags="-s -w -X main.version=$version"
pids=()
for target in linux/amd64 linux/arm64 windows/amd64; do
	os=${target%/*} arch=${target#*/} exe=agent
	[ "$os" = windows ] && exe=agent.exe
	echo "--- go build $target"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -ldflags "$ldflags" -o "$build/$os-$arch/$exe" ./agent &
	pids+=($!)
done
for pid in "${pids[@]}"; do wait "$pid"; done

# The systemd unit: rendered by the agent itself from the one template in
# agent/service, for the package's paths and its system user.
host=$build/$(go env GOHOSTOS)-$(go env GOHOSTARCH)/agent
if [ ! -x "$host" ]; then
	host=$build/host/agent
	CGO_ENABLED=0 go build -trimpath -o "$host" ./agent
fi
"$host" --config /etc/agent/config.toml service unit \
	--user agent --executable /usr/bin/agent --data-dir /var/lib/agent >"$build/agent.service"

for arch in amd64 arm64; do
	cp "$build/agent.service" "$build/linux-$arch/"
	for packager in deb rpm; do
		echo "--- nfpm $packager $arch"
		(cd installer && VERSION=$version ARCH=$arch STAGE=$build/linux-$arch \
			go tool nfpm package --config linux/nfpm.yaml --packager "$packager" --target "$dist/")
	done
done

echo "--- wixl x64"
msi=$dist/agent-$version-x64.msi
cp installer/config.toml "$build/windows-amd64/"
(cd "$build/windows-amd64" && wixl -a x64 -D Version="$msi_version" -o "$msi" "$repo/installer/windows/agent.wxs")
# What wixl cannot say: Permanent and NeverOverwrite on the config's
# component (0x100 64-bit | 0x10 permanent | 0x80 never overwrite); one
# place for SetScExe, which wixl sequences anywhere between CostFinalize
# and InstallServices from one build to the next; and same-version
# upgrades.
msibuild "$msi" -q "UPDATE \`Component\` SET \`Attributes\` = 400 WHERE \`Component\` = 'Config'"
msibuild "$msi" -q "UPDATE \`InstallExecuteSequence\` SET \`Sequence\` = 5799 WHERE \`Action\` = 'SetScExe'"
# Same-version upgrades (WiX's MajorUpgrade AllowSameVersionUpgrades, which
# wixl ignores): every build has a new ProductCode, so a rebuilt MSI of the
# installed version would install beside it. The Upgrade row that finds
# older versions takes an equal one too: 0x200 VersionMaxInclusive + 0x1
# MigrateFeatures (Attributes is part of the table's key: msibuild cannot
# UPDATE it, so the row is replaced). The downgrade row (above this
# version) stays as it is.
upgrade_code=$(sed -n 's/.*UpgradeCode="\([^"]*\)".*/\1/p' installer/windows/agent.wxs)
msibuild "$msi" -q "DELETE FROM \`Upgrade\` WHERE \`ActionProperty\` = 'WIX_UPGRADE_DETECTED'"
msibuild "$msi" -q "INSERT INTO \`Upgrade\` (\`UpgradeCode\`, \`VersionMax\`, \`Attributes\`, \`ActionProperty\`) VALUES ('{$upgrade_code}', '$msi_version', 513, 'WIX_UPGRADE_DETECTED')"
# %ProgramData%\agent private, as the agent makes data_dir
# (internal/osdir.PrivateSDDL): owner Administrators, a protected DACL for
# SYSTEM and Administrators, inherited inside. wixl writes no PermissionEx:
# the MsiLockPermissionsEx table (Windows Installer 5.0) on the Config
# component's CreateFolder row.
datadir_sddl='O:BAD:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)'
msibuild "$msi" -q "CREATE TABLE \`MsiLockPermissionsEx\` (\`MsiLockPermissionsEx\` CHAR(72) NOT NULL, \`LockObject\` CHAR(72) NOT NULL, \`Table\` CHAR(32) NOT NULL, \`SDDLText\` CHAR(0) NOT NULL LOCALIZABLE, \`Condition\` CHAR(255) PRIMARY KEY \`MsiLockPermissionsEx\`)"
msibuild "$msi" -q "INSERT INTO \`MsiLockPermissionsEx\` (\`MsiLockPermissionsEx\`, \`LockObject\`, \`Table\`, \`SDDLText\`) VALUES ('DataDirAcl', 'DATADIR', 'CreateFolder', '$datadir_sddl')"
cp installer/windows/install.ps1 "$dist/"

cd "$dist"
sha256sum agent[_-]* install.ps1 >SHA256SUMS
echo "--- dist/"
cat SHA256SUMS
