"""`python -m archiver ...`: the same command line as the `archiver` script, entered the same way."""

from archiver.launch import main

main()
