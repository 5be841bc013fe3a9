"""The output formats the listing commands offer, kept apart from the writers.

Every subcommand's parser is built for any `deskapp COMMAND`; the writers
(deskapp.commands.tables) load the safe-text helpers and Rich, so a parser
that only needs the names must not import them.
"""

FORMATS = ("table", "csv", "json")
