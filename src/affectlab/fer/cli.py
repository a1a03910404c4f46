"""``affectlab fer``: index datasets, extract features, train probes, evaluate, predict."""

from __future__ import annotations

import typer

from affectlab.fer import cli_data, cli_extract, cli_probe

app = typer.Typer(
    help="Facial expression recognition with frozen video encoders and shallow probes.",
    no_args_is_help=True,
)
cli_data.register(app)
cli_extract.register(app)
cli_probe.register(app)
