"""`python -m archiver ...`: the same command line as the `archiver` script."""

from archiver.cli import main

main()
