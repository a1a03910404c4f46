"""``python -m affectlab``: the command line."""

from affectlab.cli import main

main()
