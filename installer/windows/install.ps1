<#
.SYNOPSIS
  Installs or upgrades agent from its MSI, or removes it, and checks the service.

.DESCRIPTION
  For admins who prefer a script to msiexec. From an elevated PowerShell, in
  the folder of the downloaded files (agent-VERSION-x64.msi, SHA256SUMS,
  install.ps1):

    powershell -ExecutionPolicy Bypass -File .\install.ps1
    powershell -ExecutionPolicy Bypass -File .\install.ps1 -Uninstall

  Install: checks the MSI against SHA256SUMS when it is there, runs
  msiexec quietly with a log (agent-install.log beside the MSI), then makes
  sure of what the MSI's sc.exe custom actions set (delayed automatic start;
  restart 15 s after a crash, the count reset after a day) and that the
  service runs, and validates the installed config. The MSI keeps an existing
  %ProgramData%\agent\config.toml, so an upgrade is the same command with
  the newer MSI.
  Uninstall: msiexec /x; the service and agent.exe go, the config and the
  state in %ProgramData%\agent stay (delete the folder to wipe them).
#>
[CmdletBinding()]
param(
    # The MSI; default: the newest agent-*-x64.msi beside this script.
    [string]$Msi,
    [switch]$Uninstall
)
$ErrorActionPreference = 'Stop'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'Run this from an elevated PowerShell (Run as administrator).'
}
if (-not $Msi) {
    $found = Get-ChildItem -Path $PSScriptRoot -Filter 'agent-*-x64.msi' | Sort-Object LastWriteTime | Select-Object -Last 1
    if (-not $found) { throw "No agent-*-x64.msi in $PSScriptRoot: give -Msi PATH." }
    $Msi = $found.FullName
}
$Msi = (Resolve-Path $Msi).Path
$log = Join-Path (Split-Path $Msi) 'agent-install.log'

function Invoke-Msiexec([string[]]$Arguments) {
    $p = Start-Process -FilePath msiexec.exe -ArgumentList $Arguments -Wait -PassThru
    # 0 done, 3010 done but a reboot is pending.
    if ($p.ExitCode -ne 0 -and $p.ExitCode -ne 3010) {
        throw "msiexec $($Arguments -join ' ') failed with exit code $($p.ExitCode); see $log"
    }
}

if ($Uninstall) {
    Invoke-Msiexec @('/x', "`"$Msi`"", '/qn', '/norestart', '/l*v', "`"$log`"")
    Write-Host "agent removed; its config and state stay in $env:ProgramData\agent."
    exit 0
}

$sums = Join-Path (Split-Path $Msi) 'SHA256SUMS'
if (Test-Path $sums) {
    $name = Split-Path $Msi -Leaf
    $line = Select-String -Path $sums -SimpleMatch "  $name" | Select-Object -First 1
    if (-not $line) { throw "$name is not listed in $sums." }
    $want = ($line.Line -split '\s+')[0]
    $got = (Get-FileHash -Algorithm SHA256 -Path $Msi).Hash
    if ($got -ne $want) { throw "$name does not match SHA256SUMS (got $got, want $want)." }
    Write-Host "$name matches SHA256SUMS."
}

Invoke-Msiexec @('/i', "`"$Msi`"", '/qn', '/norestart', '/l*v', "`"$log`"")

# The same settings as the MSI's custom actions (their failure does not fail
# the MSI): set again, so that they hold whatever the MSI could do.
& sc.exe config agent start= delayed-auto | Out-Null
& sc.exe failure agent reset= 86400 actions= restart/15000 | Out-Null
if ($LASTEXITCODE -ne 0) { throw 'sc.exe could not set the recovery actions of the service agent.' }

$svc = Get-Service -Name agent
if ($svc.Status -ne 'Running') {
    Start-Service -Name agent
    $svc.WaitForStatus('Running', [TimeSpan]::FromSeconds(30))
}

$exe = Join-Path $env:ProgramFiles 'agent\agent.exe'
$config = Join-Path $env:ProgramData 'agent\config.toml'
& $exe --config $config version
& $exe --config $config validate
if ($LASTEXITCODE -ne 0) { throw "$config does not validate (the service keeps running on its last good config)." }
Write-Host "agent installed: the service runs. Config: $config; logs: Event Viewer > Windows Logs > Application, source agent."
