"""makemessages without fuzzy matching.

msgmerge's fuzzy matching pre-fills a new string with the translation of a similar old one
("Location" would inherit the Chinese of "Action"). A wrong translation that looks finished is
worse than a missing one, which scripts/check_messages.py reports; so new strings start empty.
"""

from django.core.management.commands import makemessages


class Command(makemessages.Command):
    msgmerge_options = [*makemessages.Command.msgmerge_options, "--no-fuzzy-matching"]
