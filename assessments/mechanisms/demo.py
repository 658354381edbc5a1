"""The mechanisms' demo (`load_demo`): a running quarter with two pairs, one inspection and
posts for two branches, made through the services as the people would.

Logins (demo password): bf01 陈海燕 (党群部部长) helps 热电厂党支部, bf02 刘强 (综合部部长)
helps 化工分厂党支部, bf03 孙志华 (纪委副书记) is not paired yet; sj21 / sj22 are the
secretaries of 热电厂 / 化工分厂; hc01 / hc02 are members of 一号煤矿 / 化工分厂 who inspect
热电厂 this quarter."""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from branches.models import Member, Membership, Organization, Role, User
from branches.toolkit.periods import quarter_of

from ..models import Inspection, Pairing, Post
from ..services.errors import AssessmentError
from .rules import INSPECTION_RUBRIC, plaque_version, published
from .services import inspection, pairing, posts

HELPERS = [
    ("bf01", "陈海燕", "党群部部长", "NH-DC"),
    ("bf02", "刘强", "综合部部长", "NH-HG"),
    ("bf03", "孙志华", "纪委副书记", None),
]
SECRETARIES = [("sj21", "苏晓东", "NH-DC"), ("sj22", "窦建军", "NH-HG")]
INSPECTORS = [("hc01", "喻林", "NH-MK"), ("hc02", "章凯", "NH-HG")]


def _user(username: str, name: str, password: str) -> User:
    user, created = User.objects.get_or_create(username=username, defaults={"name": name})
    if created or not user.has_usable_password():
        user.set_password(password)
        user.save()
    return user


def load(password: str) -> None:
    """Needs the demo tree and the shipped rubrics (`load_rubrics`); skipped without them."""
    if not Organization.objects.filter(code="NH-DC").exists():
        return
    try:
        published(INSPECTION_RUBRIC)
        plaque_version()
    except AssessmentError:
        return
    admin = User.objects.get(username="dq01")
    today = timezone.localdate()
    year, quarter, first = quarter_of(today)
    users = {u: _user(u, n, password) for u, n, *_ in HELPERS}
    for username, name, code in SECRETARIES:
        user = _user(username, name, password)
        Membership.objects.get_or_create(
            user=user, organization=Organization.objects.get(code=code), role=Role.SECRETARY
        )
        users[username] = user
    for username, name, code in INSPECTORS:
        user = _user(username, name, password)
        Member.objects.filter(organization__code=code, name=name).update(user=user)
        users[username] = user
    if not Pairing.objects.exists():
        _pairings(admin, users, first)
    if not Inspection.objects.exists():
        _inspection(admin, year, quarter, today)
    if not Post.objects.exists():
        for code, secretary in (("NH-MK", "sj02"), ("NH-DC", "sj21")):
            _posts(
                Organization.objects.get(code=code),
                User.objects.get(username=secretary),
                year,
                quarter,
                today,
            )


def _pairings(admin: User, users: dict, first: date) -> None:
    targets = {
        "NH-DC": "“三会一课”台账齐全率 100%\n党员活动室“六有”标准达标\n"
        "群众服务诉求 3 个工作日内响应",
        "NH-HG": "发展党员、党费收缴台账规范率 100%\n党小组每月活动记录完整\n党员积分制管理全覆盖",
    }
    for username, _, post, code in HELPERS:
        if code is None:
            continue
        org = Organization.objects.get(code=code)
        if org.enterprise is None:
            raise ValueError(f"demo branch {code} is under no enterprise")
        p = pairing.create_pairing(
            by=admin,
            organization=org,
            supervisor=org.enterprise,
            data={
                "helper_name": users[username].name,
                "helper_post": post,
                "helper": users[username],
                "start": first,
                "end": first + timedelta(days=181),
                "targets": targets[code],
            },
        )
        secretary = next(users[u] for u, _, c in SECRETARIES if c == code)
        pairing.sign_pairing(p, by=users[username], party="a")
        pairing.sign_pairing(p, by=secretary, party="b")
        p = pairing.sign_pairing(p, by=admin, party="s")
        pairing.add_weakness(
            p, by=admin, problem="“三会一课”记录不规范，会议内容与生产经营结合不紧"
        )
        pairing.write_diagnosis(
            p,
            by=users[username],
            data={
                "methods": "看资料、访党员、问群众",
                "findings": "查阅近半年会议记录、走访党员 8 人、群众 5 人",
                "core_weakness_1": "组织生活记录不规范",
                "core_weakness_2": "党员先锋作用发挥载体少",
                "written_on": first + timedelta(days=6),
            },
        )
        pairing.add_plan_item(
            p,
            by=users[username],
            problem="按模板重建“三会一课”台账，每月由组织委员核对",
            responsible=secretary.name,
            deadline=first + timedelta(days=45),
        )
        pairing.record_visit(
            p,
            by=users[username],
            data={
                "on": first + timedelta(days=7),
                "form": "一对一指导",
                "content": "解读标准化政策，示范台账整理",
                "progress": "已布置台账重建",
            },
        )


def _inspection(admin: User, year: int, quarter: int, today: date) -> None:
    inspectors = list(Member.objects.filter(user__username__in=["hc01", "hc02"]))
    inspection.schedule_inspection(
        by=admin,
        organization=Organization.objects.get(code="NH-DC"),
        version=published(INSPECTION_RUBRIC),
        year=year,
        quarter=quarter,
        scheduled_on=today,
        inspectors=inspectors,
    )


def _posts(org: Organization, secretary: User, year: int, quarter: int, today: date) -> None:
    specs = [
        ("basic", "自身标准化履职岗", "按时参加组织生活、按时足额交纳党费、完成学习任务"),
        ("challenge", "台账规范攻坚岗", "牵头整理“三会一课”、党员发展等台账，做到齐全规范"),
        ("service", "群众诉求服务岗", "收集班组职工诉求，3 个工作日内反馈"),
    ]
    created = [
        posts.add_post(org, by=secretary, year=year, quarter=quarter, kind=k, title=t, duty=d)
        for k, t, d in specs
    ]
    posts.publish_posts(org, by=secretary, year=year, quarter=quarter)
    created = [Post.objects.get(pk=p.pk) for p in created]
    members = list(Member.objects.filter(organization=org).active().order_by("pk")[:4])
    for i, member in enumerate(members):
        claim = posts.claim_post(created[0], by=secretary, member=member)
        posts.review_claim(claim, by=secretary, approved=True, note="")
        if i == 0:
            extra = posts.claim_post(created[1], by=secretary, member=member)
            posts.review_claim(extra, by=secretary, approved=True, note="")
    month = today.month
    for member, score in zip(members, (Decimal("92"), Decimal("78")), strict=False):
        posts.score_member(member, by=secretary, year=year, month=month, score=score, note="")
