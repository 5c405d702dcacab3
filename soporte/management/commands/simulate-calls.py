"""`soporte simulate-calls`: Django names commands after their module, and this file's name has
the hyphen (importlib loads it by name); the command lives in simulate_calls.py."""

from soporte.management.commands.simulate_calls import Command

__all__ = ["Command"]
