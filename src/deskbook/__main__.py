"""`python -m deskbook` is the `deskbook` command."""

from deskbook.cli import main

main()
