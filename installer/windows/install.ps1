<#
.SYNOPSIS
  Installs or upgrades agent from its MSI, or removes it, and checks the service.

.DESCRIPTION
  For admins who prefer a script to msiexec. From an elevated PowerShell, in
  the folder of the downloaded files (agent-VERSION-x64.msi, SHA256SUMS,
  install.ps1):

    powershell -ExecutionPolicy Bypass -File .\install.ps1
    powershell -ExecutionPolicy Bypass -File .\install.ps1 -Uninstall [-RemoveCredentials]

  Install: checks the MSI against SHA256SUMS when it is there, runs
  msiexec quietly with a log (agent-install.log beside the MSI), then makes
  sure of what the MSI's sc.exe custom actions set (delayed automatic start;
  restart 15 s after a crash, the count reset after a day) and that the
  service runs, and validates the installed config. The MSI keeps an existing
  %ProgramData%\agent\config.toml, so an upgrade is the same command with
  the newer MSI.
  Uninstall: msiexec /x of the installed agent, found by the MSI's
  UpgradeCode (any build, no MSI needed); the service and agent.exe go, the
  config and the state in %ProgramData%\agent stay (delete the folder to
  wipe them). The secrets are not in that folder: the service keeps them in
  LocalSystem's Credential Manager (generic credentials
  agentsync:credential:NAME), and they stay there after the folder is
  deleted. -RemoveCredentials deletes them first, through the running
  service (agent.exe credentials delete NAME, for each name in
  credentials.json); without it the script prints those commands.

  msiexec's exit codes 3010 (restart required) and 1641 (restart started)
  count as success, with a notice.
#>
[CmdletBinding()]
param(
    # The MSI; default: the newest agent-*-x64.msi beside this script.
    [string]$Msi,
    [switch]$Uninstall,
    # With -Uninstall: delete the credentials from LocalSystem's Credential
    # Manager, through the service, before removing it.
    [switch]$RemoveCredentials
)
$ErrorActionPreference = 'Stop'

# installer/windows/agent.wxs's UpgradeCode: every build of agent has it.
$UpgradeCode = '{FA575D57-347F-4060-BD63-769E662B7486}'
$exe = Join-Path $env:ProgramFiles 'agent\agent.exe'
$config = Join-Path $env:ProgramData 'agent\config.toml'

$principal = New-Object Security.Principal.WindowsPrincipal([Security.Principal.WindowsIdentity]::GetCurrent())
if (-not $principal.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
    throw 'Run this from an elevated PowerShell (Run as administrator).'
}

function Invoke-Msiexec([string[]]$Arguments, [string]$Log) {
    $p = Start-Process -FilePath msiexec.exe -ArgumentList $Arguments -Wait -PassThru
    switch ($p.ExitCode) {
        0 { }
        # Done; Windows must restart to finish (/norestart: it was not).
        3010 { Write-Warning "msiexec: done, but Windows must restart to finish (exit code 3010); see $Log" }
        # Done; msiexec started the restart.
        1641 { Write-Warning "msiexec: done, and Windows is restarting to finish (exit code 1641); see $Log" }
        default { throw "msiexec $($Arguments -join ' ') failed with exit code $($p.ExitCode); see $Log" }
    }
}

if ($Uninstall) {
    # The installed agent, whichever build: by UpgradeCode, not by an MSI
    # file (each build has its own ProductCode).
    $wi = New-Object -ComObject WindowsInstaller.Installer
    $products = @($wi.RelatedProducts($UpgradeCode))
    if ($products.Count -eq 0) {
        Write-Host 'agent is not installed.'
        exit 0
    }
    $index = Join-Path $env:ProgramData 'agent\credentials.json'
    $names = @()
    if (Test-Path $index) { $names = @((Get-Content -Raw $index | ConvertFrom-Json).credentials | ForEach-Object { $_.name }) }
    if ($RemoveCredentials) {
        # The service keeps them in its own (LocalSystem's) Credential
        # Manager: only it can delete them, so it must run.
        if ((Get-Service -Name agent).Status -ne 'Running') {
            Start-Service -Name agent
            (Get-Service -Name agent).WaitForStatus('Running', [TimeSpan]::FromSeconds(30))
        }
        foreach ($name in $names) {
            & $exe --config $config credentials delete $name
            if ($LASTEXITCODE -ne 0) { throw "agent.exe credentials delete $name failed (exit code $LASTEXITCODE); nothing was uninstalled." }
        }
        $names = @()
    }
    $log = Join-Path $PSScriptRoot 'agent-uninstall.log'
    foreach ($code in $products) {
        Invoke-Msiexec @('/x', $code, '/qn', '/norestart', '/l*v', "`"$log`"") $log
    }
    Write-Host "agent removed; its config and state stay in $env:ProgramData\agent (delete the folder to wipe them)."
    if ($names.Count -gt 0) {
        Write-Warning ("Its credentials ($($names -join ', ')) stay in LocalSystem's Credential Manager " +
            "(generic credentials agentsync:credential:NAME), also when $env:ProgramData\agent is deleted. " +
            "To remove them: install agent again, then run this script with -Uninstall -RemoveCredentials.")
    }
    exit 0
}

if (-not $Msi) {
    $found = Get-ChildItem -Path $PSScriptRoot -Filter 'agent-*-x64.msi' | Sort-Object LastWriteTime | Select-Object -Last 1
    if (-not $found) { throw "No agent-*-x64.msi in $PSScriptRoot: give -Msi PATH." }
    $Msi = $found.FullName
}
$Msi = (Resolve-Path $Msi).Path
$log = Join-Path (Split-Path $Msi) 'agent-install.log'

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

Invoke-Msiexec @('/i', "`"$Msi`"", '/qn', '/norestart', '/l*v', "`"$log`"") $log

# The same settings as the MSI's custom actions (their failure does not fail
# the MSI): set again, so that they hold whatever the MSI could do. Each
# sc.exe's exit code is tested before the next one runs.
& sc.exe config agent start= delayed-auto | Out-Null
if ($LASTEXITCODE -ne 0) { throw "sc.exe could not set the delayed automatic start of the service agent (exit code $LASTEXITCODE)." }
& sc.exe failure agent reset= 86400 actions= restart/15000 | Out-Null
if ($LASTEXITCODE -ne 0) { throw "sc.exe could not set the recovery actions of the service agent (exit code $LASTEXITCODE)." }

$svc = Get-Service -Name agent
if ($svc.Status -ne 'Running') {
    Start-Service -Name agent
    $svc.WaitForStatus('Running', [TimeSpan]::FromSeconds(30))
}

& $exe --config $config version
& $exe --config $config validate
if ($LASTEXITCODE -ne 0) { throw "$config does not validate (the service keeps running on its last good config)." }
Write-Host "agent installed: the service runs. Config: $config; logs: Event Viewer > Windows Logs > Application, source agent."
