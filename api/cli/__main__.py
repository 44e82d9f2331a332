"""`python -m api.cli`: the same as the `tamga` entry point."""

from api.cli import main

main()
