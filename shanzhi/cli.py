"""The ``shanzhi`` console command: manage.py under the platform's own name.

``shanzhi demo`` builds the demo county, ``shanzhi runserver`` serves it, and every
other Django or Shanzhi management command works the same way.
"""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "shanzhi.settings")
    from django.core.management import execute_from_command_line

    argv = list(sys.argv if argv is None else argv)
    argv[0] = "shanzhi"
    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
