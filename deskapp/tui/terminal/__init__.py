"""The terminal output layer: what the desk writes to the handler's terminal, and how few bytes it takes.

See README.md in this folder. `lean_driver.lean` wraps Textual's driver;
`cells` and `sgr` rewrite its output; `traits` says what the tty and
terminal allow. Nothing here knows about cases or screens.
"""
