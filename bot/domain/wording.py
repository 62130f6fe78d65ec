"""What the domain says to a user, as data: an English message id with its values, put into the
user's language by the presentation layer. The domain never translates, so it imports no
translation machinery; :func:`N_` only marks a literal for the message extractor."""

from __future__ import annotations


def N_(message: str) -> str:
    """Mark ``message`` for extraction into the catalogs; it is translated where it is shown."""
    return message


class Problem(ValueError):
    """Why some input cannot be used. ``template`` is an English message id with {placeholders},
    ``values`` fill them; ``str()`` is the English text (for logs and tests)."""

    def __init__(self, template: str, **values: object) -> None:
        self.template = template
        self.values = values
        super().__init__(template.format(**values))
