"""Member responsibility posts (党员标准化责任认领): the quarter's 岗位责任清单 published by
the branch, members' claims reviewed by the 支委会, the 党员履职台账 (weekly checks of
基础岗, monthly checks of 攻坚岗/服务岗) and the monthly 履职 score, banded by the 亮牌
rubric's 党员履职 scale (履职优秀 ≥ 85, 履职合格 60–84, 履职不达标 < 60)."""

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from branches.models import Member, Organization, User

from ...models import CheckKind, Claim, ClaimStatus, DutyCheck, DutyScore, Post, PostKind
from ...services.errors import AssessmentError, acting
from .. import rules as plaque


def add_post(
    org: Organization, *, by: User, year: int, quarter: int, kind: str, title: str, duty: str
) -> Post:
    with transaction.atomic(), acting(by):
        post = Post(organization=org, year=year, quarter=quarter, kind=kind, title=title, duty=duty)
        post.full_clean()
        post.save()
    return post


def publish_posts(org: Organization, *, by: User, year: int, quarter: int) -> int:
    """公布 the quarter's list (at the 党员大会): it needs at least one 基础岗."""
    posts = Post.objects.filter(organization=org, year=year, quarter=quarter)
    if not posts.filter(kind=PostKind.BASIC).exists():
        raise AssessmentError("岗位责任清单至少要有 1 个基础岗（全体党员必领）。")
    with transaction.atomic(), acting(by):
        changed = list(posts.filter(published_at__isnull=True))
        now = timezone.now()
        for post in changed:
            post.published_at = now
            post.save(update_fields=["published_at"])
    if not changed:
        raise AssessmentError("本季度岗位责任清单已公布。")
    return len(changed)


def claim_post(post: Post, *, by: User, member: Member) -> Claim:
    """A member's 认领 (the secretary records the 认领表, or the member with a login)."""
    if post.published_at is None:
        raise AssessmentError("岗位责任清单公布后才能认领。")
    if member.organization_id != post.organization_id or not member.is_active:
        raise AssessmentError(f"{member.name}不是本支部在册党员。")
    if Claim.objects.filter(post=post, member=member).exists():
        raise AssessmentError(f"{member.name}已认领“{post.title}”。")
    with transaction.atomic(), acting(by):
        return Claim.objects.create(post=post, member=member)


def review_claim(claim: Claim, *, by: User, approved: bool, note: str) -> Claim:
    """The 支委会's review; an approved claim is 公示 on the branch's list."""
    if not approved and not note.strip():
        raise AssessmentError("不通过须写明原因。")
    with transaction.atomic(), acting(by):
        updated = Claim.objects.filter(pk=claim.pk, status=ClaimStatus.PENDING).update(
            status=ClaimStatus.APPROVED if approved else ClaimStatus.REJECTED,
            review_note=note,
            reviewed_by=by,
        )
        if not updated:
            raise AssessmentError("该认领已审核。")
        claim.refresh_from_db()
        from branches.toolkit import audit

        audit.record(
            claim,
            "update",
            {"status": {"label": "状态", "old": "待支委会审核", "new": claim.get_status_display()}},
        )
    return claim


def record_check(claim: Claim, *, by: User, on: date, met: bool, note: str) -> DutyCheck:
    """A check of the 履职台账: weekly for a 基础岗, monthly for a 攻坚岗/服务岗."""
    if claim.status != ClaimStatus.APPROVED:
        raise AssessmentError("只能核查已审核通过的认领。")
    kind = CheckKind.WEEKLY if claim.post.kind == PostKind.BASIC else CheckKind.MONTHLY
    with transaction.atomic(), acting(by):
        return DutyCheck.objects.create(
            claim=claim, kind=kind, on=on, met=met, note=note, checked_by=by
        )


def score_member(
    member: Member, *, by: User, year: int, month: int, score: Decimal, note: str
) -> DutyScore:
    """The month's 履职 score (0–100) and its band; entered again, it replaces the month's."""
    band = plaque.rate("member_post", score)
    if not member.is_active:
        raise AssessmentError(f"{member.name}已不在册。")
    with transaction.atomic(), acting(by):
        existing = (
            DutyScore.objects.select_for_update()
            .filter(member=member, year=year, month=month)
            .first()
        )
        if existing is None:
            existing = DutyScore(member=member, year=year, month=month)
        existing.score, existing.band, existing.note, existing.scored_by = (
            score,
            band.label,
            note,
            by,
        )
        existing.full_clean(validate_unique=False)
        existing.save()
    return existing


def missing_basic(org: Organization, *, year: int, quarter: int) -> list[Member]:
    """Active members without an approved 基础岗 this quarter (every member must claim one)."""
    covered = (
        Claim.objects.filter(
            post__organization=org,
            post__year=year,
            post__quarter=quarter,
            post__kind=PostKind.BASIC,
        )
        .exclude(status=ClaimStatus.REJECTED)
        .values("member_id")
    )
    return list(
        Member.objects.filter(organization=org).active().exclude(pk__in=covered).order_by("name")
    )
