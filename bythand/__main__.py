"""python -m bythand."""

from .cli import main

main()
