#!/usr/bin/env python
"""Django's command-line utility; the same as the installed `soporte` command."""

from soporte.cli import main

if __name__ == "__main__":
    main()
