"""The workflow's domain errors and the audit helper shared by its services."""

from branches.toolkit import audit


class AssessmentError(Exception):
    """A refused action; the message is shown to the user as is (Chinese)."""


class Conflict(AssessmentError):
    """The sheet changed since the editor loaded it (another tab or another person)."""


def acting(by):
    return audit.acting(by, audit.current().source)
