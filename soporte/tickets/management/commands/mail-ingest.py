"""`soporte mail-ingest`: Django names commands after their module, and this file's name has the
hyphen (importlib loads it by name); the command lives in mail_ingest.py."""

from soporte.tickets.management.commands.mail_ingest import Command

__all__ = ["Command"]
