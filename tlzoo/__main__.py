"""``python -m tlzoo``: the ``tlzoo`` command."""

from tlzoo.entry import main

main()
