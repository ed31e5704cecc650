"""`python -m deskbook` is the `deskbook` command."""

from deskbook.cli import main

if __name__ == "__main__":
    main()
