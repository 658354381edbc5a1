from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = "考评活动"

    def ready(self) -> None:
        from branches import access as branches_access
        from branches.roster import services as roster
        from branches.toolkit import audit

        from . import access, models, offline
        from .mechanisms.services import inspection
        from .meetings import exports as meeting_exports

        meeting_exports.register()
        offline.register()
        # A member assigned to an open inspection keeps the login they were assigned with.
        if inspection.login_hold not in roster.LOGIN_HOLDS:
            roster.LOGIN_HOLDS.append(inspection.login_hold)

        # An assessor, inspector or helper reads scores like a business role does.
        if access.binds_scores not in branches_access.SCORE_BINDINGS:
            branches_access.SCORE_BINDINGS.append(access.binds_scores)

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
