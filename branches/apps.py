from django.apps import AppConfig


class BranchesConfig(AppConfig):
    name = "branches"
    verbose_name = "组织与人员"

    def ready(self) -> None:
        from django.conf import settings
        from django.db.models.signals import post_save

        from . import passwords
        from .roster import importer
        from .toolkit import audit

        audit.connect_signals()
        audit.connect_auth_signals()
        importer.register()
        post_save.connect(
            passwords.user_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="password_history"
        )
