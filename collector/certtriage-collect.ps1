<#
certtriage collector @VERSION@

Gathers, in one zip, what certtriage needs to tell why a Windows service cannot use the private
key of its TLS certificate (IIS "0x80070520", Schannel event 36870).

* It CHANGES NOTHING on this server. It only reads: certutil -store, wevtutil epl (a copy of
  the last days of the System, Application and AD FS/Admin logs), icacls (display only), netsh
  http show, reg query, sc qc, winrm enumerate, a copy of SQL Server's ERRORLOG, and the Get-
  cmdlets of AD FS and Exchange where those roles are installed. It writes one zip (and, while
  it runs, a temporary folder it removes).
* It NEVER collects private keys or PFX files. certutil -store lists certificates and the name
  and permissions of each key, never key material; no key file is copied or exported.
  applicationHost.config is not copied: only its <sites> section, with every password
  attribute removed.

Run it from an elevated prompt ("Run as administrator"):

    powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\certtriage-collect.ps1

Windows PowerShell 4.0 and later and PowerShell 7; nothing to install. Without elevation it
still runs, but machine keys and some files cannot be read: it says so, and so does its
manifest.json. Send the zip it names at the end with your ticket.
#>
param(
    [ValidateRange(1, 365)]
    [int]$Days = @DAYS@,
    [string]$OutputDirectory = ''
)

Set-StrictMode -Version 2.0
$ErrorActionPreference = 'Continue'

$CollectorVersion = '@VERSION@'
$Invariant = [System.Globalization.CultureInfo]::InvariantCulture

Write-Host "certtriage collector $CollectorVersion"
Write-Host 'This script changes nothing on this server and never collects private keys or PFX files.'

# --------------------------------------------------------------------------- where and who

$identity = [System.Security.Principal.WindowsIdentity]::GetCurrent()
$principal = New-Object System.Security.Principal.WindowsPrincipal($identity)
$Elevated = $principal.IsInRole([System.Security.Principal.WindowsBuiltInRole]::Administrator)
if ($Elevated) {
    Write-Host 'Elevated: yes (running as administrator).'
} else {
    Write-Warning 'Elevated: NO. Machine keys, applicationHost.config and some logs cannot be read. Please run this again from an elevated prompt (Run as administrator).'
}

# A 32-bit PowerShell on 64-bit Windows sees SysWOW64 and the 32-bit registry: run the 64-bit
# tools through Sysnative so that IIS's config folder and the real registry are read.
$SystemDir = Join-Path $env:windir 'System32'
if ([Environment]::Is64BitOperatingSystem -and -not [Environment]::Is64BitProcess) {
    $SystemDir = Join-Path $env:windir 'Sysnative'
}

$Now = Get-Date
$UtcNow = $Now.ToUniversalTime()
$Offset = [System.TimeZoneInfo]::Local.GetUtcOffset($Now)
$OffsetSign = '+'
if ($Offset -lt [TimeSpan]::Zero) { $OffsetSign = '-' }
$UtcOffset = '{0}{1:00}:{2:00}' -f $OffsetSign, [Math]::Abs($Offset.Hours), [Math]::Abs($Offset.Minutes)
$HostName = $env:COMPUTERNAME
$SafeHost = $HostName -replace '[^A-Za-z0-9-]', '_'
$Stamp = $UtcNow.ToString('yyyyMMddTHHmmssZ', $Invariant)

if (-not $OutputDirectory) { $OutputDirectory = (Get-Location).ProviderPath }
$BaseName = "certtriage-$SafeHost-$Stamp"
$Work = Join-Path ([System.IO.Path]::GetTempPath()) $BaseName
$ZipPath = Join-Path $OutputDirectory "$BaseName.zip"
New-Item -ItemType Directory -Path $Work -Force | Out-Null

$Commands = New-Object System.Collections.ArrayList
# Bounds: a copied log keeps its last 16 MB; a cmdlet's text its first 4 million characters.
$MaxLogBytes = [long]16 * 1024 * 1024
$MaxTextChars = 4000000

# --------------------------------------------------------------------------- running commands

function Get-OutputTail {
    # The last non-empty line of an output file: certutil and icacls print their error there.
    param([string]$Path)
    if (-not (Test-Path -LiteralPath $Path)) { return '' }
    $bytes = [System.IO.File]::ReadAllBytes($Path)
    $take = [Math]::Min($bytes.Length, 4096)
    $start = $bytes.Length - $take
    if (($start % 2) -eq 1) { $start += 1; $take -= 1 }
    $zeros = 0
    for ($i = $start; $i -lt $bytes.Length; $i++) { if ($bytes[$i] -eq 0) { $zeros++ } }
    if (($zeros * 4) -gt $take) {
        $text = [System.Text.Encoding]::Unicode.GetString($bytes, $start, $take)
    } else {
        $text = [System.Text.Encoding]::Default.GetString($bytes, $start, $take)
    }
    $lines = @($text -split "`r?`n" | Where-Object { $_.Trim() })
    if ($lines.Count -eq 0) { return '' }
    return $lines[$lines.Count - 1].Trim()
}

function Add-Entry {
    param([string]$Command, [string]$Output, $ExitCode, [string]$ErrorText, [bool]$AbsentOk)
    $entry = [ordered]@{
        command   = $Command
        output    = $Output
        exit_code = $ExitCode
        error     = $ErrorText
        absent_ok = $AbsentOk
    }
    [void]$Commands.Add($entry)
    if ($ExitCode -eq 0) {
        Write-Host "  ok      $Command"
    } elseif ($AbsentOk) {
        Write-Host "  absent  $Command ($ErrorText)"
    } else {
        Write-Warning "failed  $Command (exit code $ExitCode): $ErrorText"
    }
}

function Invoke-Tool {
    # Runs a Windows tool and never stops the script: its exit code and error text go into the
    # manifest. Its output goes byte for byte into $Output (appended), unless the tool writes
    # that file itself ($WritesOutput: wevtutil epl), when what it prints only explains errors.
    param([string]$Output, [string]$Tool, [string]$Arguments, [bool]$AbsentOk = $false,
        [bool]$WritesOutput = $false)
    $path = Join-Path $Work $Output
    $exitCode = $null
    $errorText = ''
    try {
        $info = New-Object System.Diagnostics.ProcessStartInfo
        $info.FileName = Join-Path $SystemDir $Tool
        $info.Arguments = $Arguments
        $info.UseShellExecute = $false
        $info.RedirectStandardOutput = $true
        $info.RedirectStandardError = $true
        $info.CreateNoWindow = $true
        $process = [System.Diagnostics.Process]::Start($info)
        $errorRead = $process.StandardError.ReadToEndAsync()
        $printed = ''
        if ($WritesOutput) {
            $printed = $process.StandardOutput.ReadToEnd().Trim()
        } else {
            $stream = New-Object System.IO.FileStream($path, [System.IO.FileMode]::Append, [System.IO.FileAccess]::Write)
            try {
                $process.StandardOutput.BaseStream.CopyTo($stream)
            } finally {
                $stream.Dispose()
            }
        }
        $process.WaitForExit()
        $exitCode = $process.ExitCode
        $errorText = $errorRead.Result.Trim()
        if ($exitCode -ne 0 -and -not $errorText) {
            if ($WritesOutput) { $errorText = $printed } else { $errorText = Get-OutputTail $path }
        }
    } catch {
        $exitCode = -1
        $errorText = $_.Exception.Message
    }
    Add-Entry "$Tool $Arguments" $Output $exitCode $errorText $AbsentOk
}

# --------------------------------------------------------------------------- steps in PowerShell

function Save-SitesSection {
    # The <sites> section of applicationHost.config in its place, every attribute whose name
    # holds "password" removed: never the whole file (it holds encrypted app-pool passwords).
    $output = 'applicationHost-sites.config'
    $source = Join-Path $SystemDir 'inetsrv\config\applicationHost.config'
    $command = "sites section of $source, password attributes removed"
    if (-not (Test-Path -LiteralPath $source)) {
        Add-Entry $command $output 2 "not found: $source (IIS is not installed)" $true
        return
    }
    try {
        $document = New-Object System.Xml.XmlDocument
        $document.XmlResolver = $null
        $document.Load($source)
        $sites = $document.SelectSingleNode('/configuration/system.applicationHost/sites')
        if ($null -eq $sites) { throw "no system.applicationHost/sites section in $source" }
        $copy = New-Object System.Xml.XmlDocument
        $configuration = $copy.AppendChild($copy.CreateElement('configuration'))
        $applicationHost = $configuration.AppendChild($copy.CreateElement('system.applicationHost'))
        $imported = $applicationHost.AppendChild($copy.ImportNode($sites, $true))
        $removed = 0
        foreach ($attribute in @($imported.SelectNodes('descendant-or-self::*/@*'))) {
            if ($attribute.LocalName -like '*password*') {
                [void]$attribute.OwnerElement.Attributes.Remove($attribute)
                $removed++
            }
        }
        $settings = New-Object System.Xml.XmlWriterSettings
        $settings.Indent = $true
        $settings.Encoding = New-Object System.Text.UTF8Encoding($false)
        $writer = [System.Xml.XmlWriter]::Create((Join-Path $Work $output), $settings)
        try { $copy.Save($writer) } finally { $writer.Close() }
        Add-Entry "$command ($removed removed)" $output 0 '' $false
    } catch {
        Add-Entry $command $output 1 $_.Exception.Message $false
    }
}

function Get-KnownServices {
    # The services whose certificate certtriage knows how to check, as installed here.
    $known = @('W3SVC', 'WAS', 'TermService', 'WinRM', 'adfssrv', 'MSExchangeTransport',
        'MSExchangeFrontEndTransport', 'MSSQLSERVER')
    $command = 'Get-CimInstance -ClassName Win32_Service (the services certtriage knows)'
    try {
        $names = @(Get-CimInstance -ClassName Win32_Service -ErrorAction Stop |
            Where-Object { ($known -contains $_.Name) -or ($_.Name -like 'MSSQL$*') } |
            ForEach-Object { [string]$_.Name } | Sort-Object)
        Add-Entry $command '' 0 '' $false
        return $names
    } catch {
        Add-Entry $command '' 1 $_.Exception.Message $false
        return $known
    }
}

function Get-OsFacts {
    $facts = [ordered]@{ caption = ''; version = ''; build = '' }
    $command = 'Get-CimInstance -ClassName Win32_OperatingSystem'
    try {
        $system = Get-CimInstance -ClassName Win32_OperatingSystem -ErrorAction Stop
        $facts.caption = [string]$system.Caption
        $facts.version = [string]$system.Version
        $facts.build = [string]$system.BuildNumber
        Add-Entry $command '' 0 '' $false
    } catch {
        $facts.version = [Environment]::OSVersion.Version.ToString()
        $facts.build = [string][Environment]::OSVersion.Version.Build
        Add-Entry $command '' 1 $_.Exception.Message $false
    }
    return $facts
}

function Add-Skipped {
    # A step that does not apply here (no such role, module, snap-in or instance): recorded in
    # the manifest with its reason, never an error.
    param([string]$Command, [string]$Reason)
    $entry = [ordered]@{
        command   = $Command
        output    = ''
        exit_code = $null
        error     = $Reason
        absent_ok = $true
        skipped   = $true
    }
    [void]$Commands.Add($entry)
    Write-Host "  skipped $Command ($Reason)"
}

function Save-CmdletOutput {
    # Runs a read-only cmdlet of a role's module in this session and writes what it prints
    # (Format-List text, Out-String at 4096 columns so that nothing wraps) as UTF-16LE with a
    # byte-order mark, as Windows PowerShell's "> file" writes it. At most $MaxTextChars
    # characters are kept. A failure is recorded, never thrown.
    param([string]$Output, [string]$Command, [scriptblock]$Block)
    try {
        $text = [string](& $Block | Out-String -Width 4096)
        if ($text.Length -gt $MaxTextChars) { $text = $text.Substring(0, $MaxTextChars) }
        [System.IO.File]::WriteAllText((Join-Path $Work $Output), $text, [System.Text.Encoding]::Unicode)
        Add-Entry $Command $Output 0 '' $false
    } catch {
        Add-Entry $Command $Output 1 $_.Exception.Message $false
    }
}

function Copy-LogTail {
    # Copies a log file byte for byte, or only its last $MaxLogBytes bytes (a UTF-16LE byte-order
    # mark put in front, the cut made at an even offset), opened for reading while its service
    # keeps writing it.
    param([string]$Source, [string]$Output, [bool]$AbsentOk = $false)
    $command = "copy of $Source"
    if (-not (Test-Path -LiteralPath $Source)) {
        Add-Entry $command $Output 2 "not found: $Source" $AbsentOk
        return
    }
    try {
        $share = [System.IO.FileShare]::ReadWrite -bor [System.IO.FileShare]::Delete
        $reader = New-Object System.IO.FileStream($Source, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read, $share)
        try {
            $writer = New-Object System.IO.FileStream((Join-Path $Work $Output), [System.IO.FileMode]::Create, [System.IO.FileAccess]::Write)
            try {
                $length = $reader.Length
                if ($length -gt $MaxLogBytes) {
                    $start = $length - $MaxLogBytes
                    if (($start % 2) -eq 1) { $start += 1 }
                    [void]$reader.Seek($start, [System.IO.SeekOrigin]::Begin)
                    $writer.WriteByte(255)
                    $writer.WriteByte(254)
                    $command = "$command (the last $($length - $start) of $length bytes)"
                }
                $reader.CopyTo($writer)
            } finally {
                $writer.Dispose()
            }
        } finally {
            $reader.Dispose()
        }
        Add-Entry $command $Output 0 '' $false
    } catch {
        Add-Entry $command $Output 1 $_.Exception.Message $false
    }
}

function Get-SqlErrorLogs {
    # For each Database Engine instance (HKLM\SOFTWARE\Microsoft\Microsoft SQL Server\Instance
    # Names\SQL: instance name -> instance id), the error log its service writes: the -e startup
    # parameter (SQLArg0, SQLArg1, ... under <instance id>\MSSQLServer\Parameters) is the full
    # path of ERRORLOG; ERRORLOG.1 is the start before. Read from the 64-bit registry view.
    $root = 'SOFTWARE\Microsoft\Microsoft SQL Server'
    $command = "read HKLM\$root\Instance Names\SQL and each instance's MSSQLServer\Parameters -e"
    $view = [Microsoft.Win32.RegistryView]::Default
    if ([Environment]::Is64BitOperatingSystem) { $view = [Microsoft.Win32.RegistryView]::Registry64 }
    try {
        $machine = [Microsoft.Win32.RegistryKey]::OpenBaseKey([Microsoft.Win32.RegistryHive]::LocalMachine, $view)
        $names = $machine.OpenSubKey("$root\Instance Names\SQL")
        if ($null -eq $names) {
            Add-Skipped $command 'no SQL Server Database Engine instance is installed'
            return
        }
        $instances = @($names.GetValueNames() | Sort-Object)
        Add-Entry $command '' 0 '' $false
        foreach ($instance in $instances) {
            $id = [string]$names.GetValue($instance)
            $safe = $instance -replace '[^A-Za-z0-9_-]', '_'
            $parameters = $machine.OpenSubKey("$root\$id\MSSQLServer\Parameters")
            $errorLog = ''
            if ($null -ne $parameters) {
                foreach ($value in @($parameters.GetValueNames() | Sort-Object)) {
                    $argument = [string]$parameters.GetValue($value)
                    # -clike: -e is the error log; -E (upper case) is another option.
                    if ($argument -clike '-e*') { $errorLog = $argument.Substring(2).Trim() }
                }
            }
            if (-not $errorLog) {
                Add-Skipped "ERRORLOG of SQL Server instance $instance ($id)" "no -e startup parameter under HKLM\$root\$id\MSSQLServer\Parameters"
                continue
            }
            Copy-LogTail $errorLog "sql-errorlog-$safe.txt"
            Copy-LogTail "$errorLog.1" "sql-errorlog-$safe-1.txt" $true
        }
    } catch {
        Add-Entry $command '' 1 $_.Exception.Message $false
    }
}

function Get-AdfsEvidence {
    # AD FS's certificates and its Admin log, when the ADFS module (Server 2012 R2 and later) is
    # installed here. Get-* cmdlets only: they read the configuration, never change it.
    $command = 'Import-Module ADFS'
    if ($PSVersionTable.PSVersion.Major -ge 6) {
        Add-Skipped $command 'PowerShell 6 and later load the ADFS module only through Windows PowerShell compatibility: run this script with powershell.exe'
        return
    }
    if (-not (Get-Module -ListAvailable -Name 'ADFS')) {
        Add-Skipped $command 'the ADFS PowerShell module is not installed (no AD FS role here)'
        return
    }
    try {
        Import-Module -Name 'ADFS' -ErrorAction Stop
        Add-Entry $command '' 0 '' $false
    } catch {
        Add-Entry $command '' 1 $_.Exception.Message $true
        return
    }
    Save-CmdletOutput 'adfs-certificates.txt' 'Get-AdfsCertificate | Format-List *' { Get-AdfsCertificate -ErrorAction Stop | Format-List * }
    Save-CmdletOutput 'adfs-ssl-certificates.txt' 'Get-AdfsSslCertificate | Format-List' { Get-AdfsSslCertificate -ErrorAction Stop | Format-List }
    Save-CmdletOutput 'adfs-properties.txt' 'Get-AdfsProperties | Select-Object AutoCertificateRollover | Format-List' { Get-AdfsProperties -ErrorAction Stop | Select-Object AutoCertificateRollover | Format-List }
    $adfsLog = Join-Path $Work 'ADFS-Admin.evtx'
    Invoke-Tool 'ADFS-Admin.evtx' 'wevtutil.exe' "epl `"AD FS/Admin`" `"$adfsLog`" `"/q:$TimeQuery`" /ow:true" $true $true
}

function Get-ExchangeEvidence {
    # Exchange's certificates, when the Exchange Management Shell's snap-in is registered here
    # (Microsoft.Exchange.Management.PowerShell.SnapIn on Exchange 2013 and later, .E2010 on
    # 2010): Get-ExchangeCertificate only reads.
    if ($PSVersionTable.PSVersion.Major -ge 6) {
        Add-Skipped 'Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn' 'PowerShell 6 and later have no snap-ins: run this script with powershell.exe'
        return
    }
    $candidates = @('Microsoft.Exchange.Management.PowerShell.SnapIn', 'Microsoft.Exchange.Management.PowerShell.E2010')
    $registered = @(Get-PSSnapin -Registered -ErrorAction SilentlyContinue | ForEach-Object { [string]$_.Name })
    $found = @($candidates | Where-Object { $registered -contains $_ })
    if ($found.Count -eq 0) {
        Add-Skipped 'Add-PSSnapin Microsoft.Exchange.Management.PowerShell.SnapIn' 'the Exchange Management Shell snap-in is not registered (no Exchange server here)'
        return
    }
    $name = $found[0]
    $command = "Add-PSSnapin $name"
    try {
        if (-not (Get-PSSnapin -Name $name -ErrorAction SilentlyContinue)) {
            Add-PSSnapin -Name $name -ErrorAction Stop
        }
        Add-Entry $command '' 0 '' $false
    } catch {
        Add-Entry $command '' 1 $_.Exception.Message $true
        return
    }
    Save-CmdletOutput 'exchange-certificates.txt' 'Get-ExchangeCertificate | Format-List' { Get-ExchangeCertificate -ErrorAction Stop | Format-List }
}

# --------------------------------------------------------------------------- JSON without ConvertTo-Json

function ConvertTo-JsonString {
    # ASCII-only JSON string: every character outside printable ASCII as \uXXXX.
    param([string]$Text)
    $builder = New-Object System.Text.StringBuilder
    [void]$builder.Append('"')
    foreach ($character in $Text.ToCharArray()) {
        $code = [int]$character
        if ($code -eq 34) { [void]$builder.Append('\"') }
        elseif ($code -eq 92) { [void]$builder.Append('\\') }
        elseif ($code -lt 32 -or $code -gt 126) { [void]$builder.Append(('\u{0:x4}' -f $code)) }
        else { [void]$builder.Append($character) }
    }
    [void]$builder.Append('"')
    return $builder.ToString()
}

function ConvertTo-JsonValue {
    param($Value, [string]$Indent = '')
    $inner = $Indent + '  '
    if ($null -eq $Value) { return 'null' }
    if ($Value -is [bool]) { if ($Value) { return 'true' } else { return 'false' } }
    if ($Value -is [int] -or $Value -is [long]) { return $Value.ToString($Invariant) }
    if ($Value -is [string]) { return ConvertTo-JsonString $Value }
    if ($Value -is [System.Collections.IDictionary]) {
        $parts = New-Object System.Collections.ArrayList
        foreach ($key in $Value.Keys) {
            $text = $inner + (ConvertTo-JsonString ([string]$key)) + ': ' + (ConvertTo-JsonValue $Value[$key] $inner)
            [void]$parts.Add($text)
        }
        if ($parts.Count -eq 0) { return '{}' }
        return "{`n" + ($parts -join ",`n") + "`n$Indent}"
    }
    if ($Value -is [System.Collections.IEnumerable]) {
        $parts = New-Object System.Collections.ArrayList
        foreach ($item in $Value) { [void]$parts.Add($inner + (ConvertTo-JsonValue $item $inner)) }
        if ($parts.Count -eq 0) { return '[]' }
        return "[`n" + ($parts -join ",`n") + "`n$Indent]"
    }
    return ConvertTo-JsonString ([string]$Value)
}

function Get-Sha256 {
    param([string]$Path)
    $algorithm = [System.Security.Cryptography.SHA256]::Create()
    $stream = [System.IO.File]::OpenRead($Path)
    try {
        $hash = $algorithm.ComputeHash($stream)
    } finally {
        $stream.Dispose()
        $algorithm.Dispose()
    }
    return ([System.BitConverter]::ToString($hash) -replace '-', '').ToLowerInvariant()
}

# --------------------------------------------------------------------------- what is gathered

Write-Host "Collecting into $Work (the last $Days days of the System and Application logs)"

# Certificates and the name, provider, KeySpec and permissions of their keys (-Unicode: the
# redirected output is UTF-16, so subjects in any language survive).
Invoke-Tool 'certutil-v-store-my.txt' 'certutil.exe' '-v -Unicode -store my'
Invoke-Tool 'certutil-v-store-remote-desktop.txt' 'certutil.exe' '-v -Unicode -store "Remote Desktop"' $true
Invoke-Tool 'certutil-v-store-webhosting.txt' 'certutil.exe' '-v -Unicode -store WebHosting' $true

# The logs of the last $Days days: Schannel 36870, the boot events with the OS version, the
# service events (SQL Server, AD FS, Exchange log to Application).
$Milliseconds = [long]$Days * 86400000
$TimeQuery = '*[System[TimeCreated[timediff(@SystemTime) <= ' + $Milliseconds.ToString($Invariant) + ']]]'
$SystemLog = Join-Path $Work 'System.evtx'
$ApplicationLog = Join-Path $Work 'Application.evtx'
Invoke-Tool 'System.evtx' 'wevtutil.exe' "epl System `"$SystemLog`" `"/q:$TimeQuery`" /ow:true" $false $true
Invoke-Tool 'Application.evtx' 'wevtutil.exe' "epl Application `"$ApplicationLog`" `"/q:$TimeQuery`" /ow:true" $false $true

# Who may open the key files: the folders and every file in them.
$MachineKeys = Join-Path $env:ProgramData 'Microsoft\Crypto\RSA\MachineKeys'
$CngKeys = Join-Path $env:ProgramData 'Microsoft\Crypto\Keys'
Invoke-Tool 'icacls-machinekeys.txt' 'icacls.exe' "`"$MachineKeys`""
Invoke-Tool 'icacls-machinekeys-files.txt' 'icacls.exe' "`"$MachineKeys\*`" /c"
Invoke-Tool 'icacls-cng-keys.txt' 'icacls.exe' "`"$CngKeys`""
Invoke-Tool 'icacls-cng-keys-files.txt' 'icacls.exe' "`"$CngKeys\*`" /c"

# Which certificate each HTTP.sys binding and each IIS site really uses.
Invoke-Tool 'netsh-http-show-sslcert.txt' 'netsh.exe' 'http show sslcert'
Save-SitesSection

# Key files carry the MachineGuid in their names: a changed one orphans every machine key.
Invoke-Tool 'machineguid.txt' 'reg.exe' 'query "HKLM\SOFTWARE\Microsoft\Cryptography" /v MachineGuid'

# The accounts of the services that load a certificate, and where RDP and SQL Server name theirs.
$Services = Get-KnownServices
foreach ($name in $Services) {
    Invoke-Tool 'services.txt' 'sc.exe' "qc `"$name`"" $true
}
Invoke-Tool 'rdp-certificate.txt' 'reg.exe' 'query "HKLM\SYSTEM\CurrentControlSet\Control\Terminal Server\WinStations\RDP-Tcp" /v SSLCertificateSHA1Hash' $true
if (@($Services | Where-Object { $_ -like 'MSSQL*' }).Count -gt 0) {
    Invoke-Tool 'sql-certificate.txt' 'reg.exe' 'query "HKLM\SOFTWARE\Microsoft\Microsoft SQL Server" /s /v Certificate' $true
    Invoke-Tool 'sql-certificate.txt' 'reg.exe' 'query "HKLM\SOFTWARE\Microsoft\Microsoft SQL Server" /s /v ForceEncryption' $true
    Get-SqlErrorLogs
} else {
    Add-Skipped 'SQL Server certificate values and ERRORLOG' 'no SQL Server service (MSSQLSERVER, MSSQL$*) is installed'
}

# WinRM's listeners and the thumbprint of the HTTPS one: what winrm.cmd runs ("cscript //nologo
# winrm.vbs"), started directly (a .cmd file is not an executable for CreateProcess). It fails
# when the WinRM service is stopped: "not configured here".
$WinRmScript = Join-Path $SystemDir 'winrm.vbs'
Invoke-Tool 'winrm-listeners.txt' 'cscript.exe' "//nologo `"$WinRmScript`" enumerate winrm/config/listener" $true

# AD FS and Exchange, where their role is installed: their own cmdlets name their certificates.
Get-AdfsEvidence
Get-ExchangeEvidence

$Os = Get-OsFacts

# --------------------------------------------------------------------------- manifest and zip

$Files = New-Object System.Collections.ArrayList
foreach ($file in @(Get-ChildItem -LiteralPath $Work -File | Sort-Object Name)) {
    $record = [ordered]@{
        name   = $file.Name
        size   = [long]$file.Length
        sha256 = Get-Sha256 $file.FullName
    }
    [void]$Files.Add($record)
}

$Manifest = [ordered]@{
    schema         = 'certtriage.collection/1'
    collector      = [ordered]@{ name = 'certtriage-collect.ps1'; version = $CollectorVersion }
    host           = $HostName
    collected_at   = $UtcNow.ToString('yyyy-MM-ddTHH:mm:ssZ', $Invariant)
    utc_offset     = $UtcOffset
    elevated       = [bool]$Elevated
    days           = $Days
    powershell     = $PSVersionTable.PSVersion.ToString()
    process_64bit  = [bool][Environment]::Is64BitProcess
    os             = $Os
    commands       = $Commands
    files          = $Files
}
$Json = (ConvertTo-JsonValue $Manifest) + "`n"
[System.IO.File]::WriteAllText((Join-Path $Work 'manifest.json'), $Json, (New-Object System.Text.UTF8Encoding($false)))

# ZipFile lives in System.IO.Compression.FileSystem on .NET Framework 4.5 (Windows PowerShell)
# and in System.IO.Compression.ZipFile on .NET (PowerShell 7): load whichever this one has.
foreach ($assembly in @('System.IO.Compression.FileSystem', 'System.IO.Compression.ZipFile')) {
    try { Add-Type -AssemblyName $assembly -ErrorAction Stop } catch { Write-Verbose "no $assembly here" }
}
try {
    if (Test-Path -LiteralPath $ZipPath) { throw "$ZipPath already exists" }
    [System.IO.Compression.ZipFile]::CreateFromDirectory($Work, $ZipPath)
    Remove-Item -LiteralPath $Work -Recurse -Force
    Write-Host ''
    Write-Host "Done. Please send this file with your ticket: $ZipPath"
} catch {
    Write-Warning "The zip could not be written ($($_.Exception.Message)). Please zip and send the folder $Work instead."
}
if (-not $Elevated) {
    Write-Warning 'This run was NOT elevated: please run it again as administrator if you can.'
}
