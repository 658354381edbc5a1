"""A model's own field by name, as the type checker knows it."""

from django.db import models


def model_field(model: type[models.Model], name: str) -> models.Field:
    """The field ``name`` of ``model``: ``_meta.get_field`` may also return a reverse
    relation, which has neither a column nor a verbose name."""
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field):
        raise TypeError(f"{model.__name__}.{name} is not a field of the model's own")
    return field
