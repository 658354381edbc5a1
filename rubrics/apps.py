from django.apps import AppConfig


class RubricsConfig(AppConfig):
    name = "rubrics"
    verbose_name = "考评标准"

    def ready(self) -> None:
        from branches.toolkit import audit

        from . import importing, models

        audit.connect_signals(
            [
                models.Rubric,
                models.RubricVersion,
                models.Section,
                models.Indicator,
                models.IndicatorPart,
                models.GradeBand,
                models.CustomSlotText,
            ]
        )
        importing.register()
