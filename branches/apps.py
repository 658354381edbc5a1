from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate

from .toolkit import audit_chain


def _install_audit_triggers(using="default", **kwargs) -> None:
    """The audit chain's triggers after every migrate (a test database is built from the
    models without migrations, so migration 0011 alone would leave it without them)."""
    audit_chain.install(connections[using])


def _refresh_statistics(using="default", plan=None, **kwargs) -> None:
    """The planner's statistics once migrations were applied (see toolkit.statistics)."""
    if plan:
        from .toolkit.statistics import refresh_statistics

        refresh_statistics(connections[using])


class BranchesConfig(AppConfig):
    name = "branches"
    verbose_name = "组织与人员"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_save

        from . import passwords
        from .directory import checks  # noqa: F401  (registers the start-up check)
        from .roster import importer
        from .toolkit import audit

        post_migrate.connect(_install_audit_triggers, sender=self)
        post_migrate.connect(_refresh_statistics, sender=self)
        audit.connect_signals()
        audit.connect_auth_signals()
        importer.register()
        post_save.connect(
            passwords.user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="password_history"
        )
