from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "考评活动"

    def ready(self) -> None:
        from branches.toolkit import audit

        from . import meetings_io, models

        meetings_io.register()

        audit.connect_signals(
            [
                models.Campaign,
                models.Stage,
                models.CrossReviewPair,
                models.Consequence,
                models.ConsequenceEffect,
                models.Rerating,
                models.VetoOverturn,
                models.RectificationItem,
                models.Screening,
                models.Meeting,
                models.MeetingAmendment,
                models.MeetingAttachment,
                models.ScoreDeparture,
                # Score sheets: evidence added or removed, and every transition (the
                # entries themselves are recorded in bulk by services.save_entries).
                models.Evidence,
                models.SheetEvent,
                # Every 文号 the document register gives.
                models.IssuedDocument,
                # The working mechanisms (001): pairings, inspections, posts.
                *models.MECHANISM_MODELS,
            ]
        )
