"""``affectlab demo``: the main jobs on small data the project can always reach."""


def run_demo(out: str) -> None:
    """Placeholder until the demo is assembled."""
    raise NotImplementedError
