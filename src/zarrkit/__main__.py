"""``python -m zarrkit`` runs the command line, for environments without the ``zarrkit`` script.

Example:
    $ python -m zarrkit --version
"""

from zarrkit.cli.main import run

if __name__ == "__main__":
    run()
