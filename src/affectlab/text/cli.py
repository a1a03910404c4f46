"""``affectlab text``: profile corpora, score one text, compare corpora."""

from __future__ import annotations

import typer

from affectlab.text import cli_compare, cli_profile

app = typer.Typer(
    help="Sentiment, subjectivity and concreteness of texts and corpora.",
    no_args_is_help=True,
)
cli_profile.register(app)
cli_compare.register(app)
