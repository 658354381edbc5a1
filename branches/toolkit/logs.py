"""Logging: a refused request is an everyday event, not an incident.

Django logs every 403 and 400 from ``django.request`` (and ``django.security``) as a
warning with the exception's full traceback. The filter on the console handler turns
those into one INFO line without a traceback (shown only when DJANGO_LOG_LEVEL=INFO or
lower); 5xx errors are left as they are."""

import logging

REFUSED = {400, 403, 404, 405}


class RefusalFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(("django.request", "django.security")):
            return True
        status = getattr(record, "status_code", None)
        if status is None and record.name.startswith("django.security"):
            status = 400  # SuspiciousOperation and CSRF failures: answered with 400/403
        if status not in REFUSED:
            return True
        record.exc_info = None
        record.exc_text = None
        record.stack_info = None
        record.levelno, record.levelname = logging.INFO, "INFO"
        return logging.getLogger().getEffectiveLevel() <= logging.INFO
