"""Load the demo organization tree, cross-review groups and one login per role.

Idempotent: running it again updates the same rows. Refuses to run when the database
already holds organizations that are not part of the demo (a real tree).
"""

import json
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from branches.models import (
    Category,
    CrossReviewGroup,
    CrossReviewGroupMember,
    Membership,
    Organization,
    OrgKind,
    Role,
    User,
)
from branches.roster.demo import DEMO_ROSTERS, load_rosters
from branches.second_factor import services as second_factor
from branches.services import place_subtree
from branches.toolkit import audit
from branches.toolkit.periods import add_years
from rubrics.models import RubricVersion, VersionStatus

from ... import selectors, services
from ...mechanisms import demo as mechanisms_demo
from ...meetings.demo import load_demo_meetings
from ...models import Campaign
from ...services.campaigns import STAGE_FIELDS

DEMO_FILE = Path(settings.BASE_DIR) / "fixtures" / "demo.json"


def _dept_admin() -> User:
    """The 党群部管理员 who runs the demo campaigns (loaded with the people before them)."""
    admin = User.objects.filter(memberships__role=Role.DEPT_ADMIN).first()
    if admin is None:
        raise CommandError("demo data has no 党群部管理员 to run its campaigns")
    return admin


def _label_map(choices) -> dict[str, str]:
    return {str(label): value for value, label in choices}


class Command(BaseCommand):
    help = "Load the demo organization tree and demo logins (fixtures/demo.json)."

    def handle(self, *args, **options):
        data = json.loads(DEMO_FILE.read_text(encoding="utf-8"))
        codes = {o["code"] for o in data["organizations"]}
        foreign = Organization.objects.exclude(code__in=codes)
        if foreign.exists():
            raise CommandError(
                f"The database holds {foreign.count()} organizations that are not demo data; "
                "refusing to mix demo logins into a real tree."
            )
        with transaction.atomic(), audit.acting(None, "command"):
            self._load(data)
            load_rosters(DEMO_ROSTERS)
            # Before the campaigns: its secretaries get their self-assessments at opening.
            mechanisms_demo.load(data["password"])
            self._completed_campaign(data.get("completed_campaign"))
            campaign = self._campaign(data.get("campaign"))
            # After the campaigns: last year's signed sheets were scored before the records.
            load_demo_meetings()
            # The privileged logins get a device whose code `manage.py otp_code` prints.
            second_factor.enrol_demo_devices(usernames=[u["username"] for u in data["users"]])
        if options["verbosity"] < 1:
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data loaded: {len(codes)} organizations, {len(data['users'])} logins"
                + (f", campaign “{campaign.name}”." if campaign else ".")
            )
        )

    def _load(self, data: dict) -> None:
        today = timezone.localdate()
        kinds, categories, roles = (
            _label_map(OrgKind.choices),
            _label_map(Category.choices),
            _label_map(Role.choices),
        )
        by_code: dict[str, Organization] = {}
        for row in data["organizations"]:
            term_end = term_start = None
            if "term_ends_in_days" in row:
                term_end = today + timedelta(days=row["term_ends_in_days"])
                term_start = add_years(term_end, -row["term_years"])
            org, _ = Organization.objects.update_or_create(
                code=row["code"],
                defaults={
                    "name": row["name"],
                    "kind": kinds[row["kind"]],
                    "parent": by_code.get(row["parent"]) if row["parent"] else None,
                    "is_joint": row.get("is_joint", False),
                    "established_on": date.fromisoformat(row["established"])
                    if row.get("established")
                    else None,
                    "term_start": term_start,
                    "term_end": term_end,
                    "full_members": row.get("full_members", 0),
                    "probationary_members": row.get("probationary_members", 0),
                    "category": categories[row.get("category", "一般")],
                    "weak_and_lax": row.get("weak_and_lax", False),
                    "star_level": row.get("star_level", 0),
                    "secretary_name": row.get("secretary", ""),
                    "committee_members": row.get("committee", ""),
                },
            )
            org.full_clean()
            place_subtree(org)
            by_code[org.code] = org
        for row in data["groups"]:
            group, _ = CrossReviewGroup.objects.get_or_create(
                owner=by_code[row["owner"]], name=row["name"]
            )
            for code in row["enterprises"]:
                # Three groups, so the 西宁 plan (no two groups review each other) draws.
                CrossReviewGroupMember.objects.update_or_create(
                    enterprise=by_code[code], defaults={"group": group}
                )
        for row in data["users"]:
            user, created = User.objects.get_or_create(
                username=row["username"], defaults={"name": row["name"]}
            )
            if created or not user.has_usable_password():
                user.set_password(data["password"])
                user.save()
            for code, role in row["roles"]:
                Membership.objects.get_or_create(
                    user=user, organization=by_code[code], role=roles[role]
                )

    def _campaign(self, spec: dict | None):
        """An open demo campaign (needs the shipped rubrics: run load_rubrics first)."""
        if not spec:
            return None
        if existing := Campaign.objects.filter(name=spec["name"]).first():
            return existing
        version = (
            RubricVersion.objects.filter(
                rubric__code=spec["rubric"], status=VersionStatus.PUBLISHED
            )
            .order_by("-number")
            .first()
        )
        if version is None:
            return None
        admin = _dept_admin()
        today = timezone.localdate()
        campaign = services.create_campaign(
            by=admin,
            name=spec["name"],
            version=version,
            scope=Organization.objects.get(code=spec["scope"]),
            year=today.year,
            quarter=None,
            template=spec["template"],
            start=today - timedelta(days=7),
        )
        # The demo's later stages run alongside the self-check from its first day (each
        # keeps its deadline), so their sheets can be submitted while trying the demo.
        start = campaign.stages.get(position=0).opens_on
        for stage in campaign.stages.filter(position__gt=0):
            data = {key: getattr(stage, key) for key in STAGE_FIELDS}
            services.save_stage(campaign, by=admin, stage=stage, data={**data, "opens_on": start})
        services.open_campaign(campaign, by=admin)
        reviewers = list(User.objects.filter(username__in=spec["reviewers"]))
        services.assign_reviewers(campaign.stages.get(position=1), by=admin, reviewers=reviewers)
        return campaign

    def _completed_campaign(self, spec: dict | None) -> None:
        """Last year's finished campaign: reviews scored, signed and consolidated, so
        dashboards, ledgers, consequences and rectification lists have something to show."""
        if not spec or Campaign.objects.filter(name=spec["name"]).exists():
            return
        version = (
            RubricVersion.objects.filter(
                rubric__code=spec["rubric"], status=VersionStatus.PUBLISHED
            )
            .order_by("-number")
            .first()
        )
        if version is None:
            return
        admin = _dept_admin()
        reviewer = User.objects.get(username=spec["reviewer"])
        campaign = services.create_campaign(
            by=admin,
            name=spec["name"],
            version=version,
            scope=Organization.objects.get(code=spec["scope"]),
            year=spec["year"],
            quarter=None,
            template="fuling",
            start=date(spec["year"], 11, 1),
        )
        services.open_campaign(campaign, by=admin)
        sheets = services.assign_reviewers(campaign.stages.get(), by=admin, reviewers=[reviewer])
        rules = selectors.sheet_rules(sheets[0])
        half = Decimal("0.5")

        def step_down(value: Decimal) -> Decimal:
            return (value // half) * half

        for n, sheet in enumerate(sorted(sheets, key=lambda s: s.organization.code)):
            # Deterministic variety: 合格 (a few non-▲ half points off), 基本合格 through a ▲
            # half point, 基本合格 by score, and every 8th branch 不合格.
            profile = n % 4
            values = {}
            for index, item in enumerate(rules.items()):
                for code, points in [(p.code, p.points) for p in item.parts] or [
                    (item.code, item.points)
                ]:
                    short = Decimal(0)
                    if profile in (0, 2) and not item.key and points >= 1:
                        short = half if index % (3 if profile == 0 else 2) == 0 else short
                    elif profile == 1 and item.key and index == 1:
                        short = half
                    elif profile == 3:
                        short = step_down(points * (half if n % 8 == 7 else Decimal("0.3")))
                    values[code] = str(max(points - short, Decimal(0)))
            saved = services.save_entries(
                sheet, by=reviewer, revision=sheet.revision, values=values
            )
            if saved.errors:
                raise CommandError(f"demo scores rejected: {saved.errors}")
            sheet.refresh_from_db()
            services.submit_sheet(sheet, by=reviewer)
            services.sign_sheet(sheet, by=admin)
        services.consolidate(campaign, by=admin)
        Campaign.objects.filter(pk=campaign.pk).update(status="closed")
