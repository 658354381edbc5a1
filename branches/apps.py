from django.apps import AppConfig


class BranchesConfig(AppConfig):
    name = "branches"
    verbose_name = "组织与人员"

    def ready(self) -> None:
        from .roster import importer
        from .toolkit import audit

        audit.connect_signals()
        audit.connect_auth_signals()
        importer.register()
