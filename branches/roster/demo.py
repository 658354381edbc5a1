"""Demo rosters (`load_demo`): each listed branch gets as many members as its counts say,
its secretary and committee first, the rest with generated names, spread over its groups."""

from datetime import date

from ..models import Member, MemberStatus, Organization

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀英",
    "霞",
    "平",
    "刚",
    "桂英",
    "建华",
    "志强",
    "海燕",
    "晓东",
    "春梅",
]


def _names(org: Organization, count: int) -> list[str]:
    leaders = [org.secretary_name, *org.committee_members.split("、")]
    names = [n for n in leaders if n]
    i = 0
    while len(names) < count:
        name = SURNAMES[(i * 7 + org.pk) % len(SURNAMES)] + GIVEN[i % len(GIVEN)]
        if i >= len(SURNAMES) * len(GIVEN):  # more members than names: number them
            name += str(i)
        if name not in names:
            names.append(name)
        i += 1
    return names[:count]


def load_rosters(spec: dict[str, list[str]]) -> None:
    """``spec``: branch code → its 党小组 names. Idempotent (a roster is built once)."""
    for code, groups in spec.items():
        org = Organization.objects.get(code=code)
        if Member.objects.filter(organization=org).exists():
            continue
        total = org.full_members + org.probationary_members
        members = []
        for i, name in enumerate(_names(org, total)):
            probationary = i >= org.full_members
            members.append(
                Member(
                    organization=org,
                    name=name,
                    status=MemberStatus.PROBATIONARY if probationary else MemberStatus.FULL,
                    party_group=groups[i % len(groups)] if groups else "",
                    joined_on=date(2025, 6, 1) if probationary else date(1995 + i % 28, 7, 1),
                    phone=f"139{org.pk:04d}{i:04d}",
                )
            )
        for member in members:
            member.save()  # one audit row each, as entered


# The demo branches with a roster (their counts in fixtures/demo.json are the sizes).
DEMO_ROSTERS = {
    "GT-LG-01": ["转炉党小组", "精炼党小组", "运行党小组"],
    "NH-MK": ["采煤党小组", "掘进党小组", "机电党小组", "通风党小组"],
    "NH-HG": ["合成党小组", "净化党小组"],
    "NH-DC": ["运行党小组", "检修党小组"],
}
