"""certtriage: offline triage of IIS SSL-binding failures (0x80070520 / Schannel 36870)."""

__version__ = "0.1.0"
