"""`python -m hub.cli`."""

from hub.cli import main

main()
