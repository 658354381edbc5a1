"""The label of a stored choice, as ``get_FOO_display`` gives it. Django's method rebuilds the
field's choices on every call; a list prints a label on each of its rows."""

from django.db.models import Choices


def choice_label(choices: type[Choices], value) -> str:
    """``value``'s label among ``choices`` (the value itself when it is none of them)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value
