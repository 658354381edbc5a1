"""The API's shapes for campaigns, results, rectification items and meetings: read-only,
over the rows the pages' selectors return (the same figures, read by the same functions)."""

from rest_framework import serializers

from ..models import BranchResult, Campaign, Meeting, RectificationItem, RectificationStatus
from ..selectors import OVERDUE


class CampaignSerializer(serializers.ModelSerializer):
    rubric = serializers.CharField(source="rubric_version.rubric.name", read_only=True)
    rubric_code = serializers.CharField(source="rubric_version.rubric.code", read_only=True)
    scope_code = serializers.CharField(source="scope.code", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "rubric",
            "rubric_code",
            "scope_code",
            "year",
            "quarter",
            "status",
            "status_label",
        ]
        read_only_fields = fields


class ResultSerializer(serializers.ModelSerializer):
    """A branch's final result: its rank, score and 等次 (a 亮牌 campaign's 牌), and why
    the 等次 is not what the score alone gives, as the results page shows them."""

    rank = serializers.IntegerField(read_only=True)
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    enterprise_name = serializers.CharField(read_only=True, allow_null=True)
    rate = serializers.DecimalField(max_digits=7, decimal_places=2, read_only=True, allow_null=True)
    grade_reason = serializers.CharField(read_only=True)

    class Meta:
        model = BranchResult
        fields = [
            "rank",
            "organization_code",
            "organization_name",
            "enterprise_name",
            "total",
            "max_total",
            "rate",
            "grade",
            "original_grade",
            "grade_reason",
            "passed",
            "vetoes",
            "unmet_key_items",
            "year",
            "quarter",
        ]
        read_only_fields = fields


class ResultFilter(serializers.Serializer):
    grade = serializers.CharField(required=False, max_length=30, help_text="只列该等次（牌）")
    q = serializers.CharField(required=False, max_length=100, help_text="组织名称或编码包含")


class RectificationSerializer(serializers.ModelSerializer):
    organization_code = serializers.CharField(source="organization.code", read_only=True)
    organization_name = serializers.CharField(source="organization.name", read_only=True)
    campaign_id = serializers.IntegerField(read_only=True, allow_null=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    source_label = serializers.CharField(source="get_source_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    overdue = serializers.BooleanField(read_only=True)

    class Meta:
        model = RectificationItem
        fields = [
            "id",
            "organization_code",
            "organization_name",
            "campaign_id",
            "code",
            "kind",
            "kind_label",
            "source",
            "source_label",
            "problem",
            "measure",
            "responsible",
            "deadline",
            "status",
            "status_label",
            "overdue",
            "closed_at",
        ]
        read_only_fields = fields


class RectificationFilter(serializers.Serializer):
    status = serializers.ChoiceField(
        [*RectificationStatus.choices, (OVERDUE, "逾期")], required=False
    )
    organization = serializers.CharField(required=False, max_length=32, help_text="组织编码")
    campaign = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    q = serializers.CharField(required=False, max_length=100, help_text="组织名称或问题包含")


class MeetingSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    present = serializers.SerializerMethodField()
    listed = serializers.SerializerMethodField()

    class Meta:
        model = Meeting
        fields = [
            "id",
            "kind",
            "kind_label",
            "status",
            "status_label",
            "planned_on",
            "held_on",
            "topic",
            "host",
            "place",
            "present",
            "listed",
        ]
        read_only_fields = fields

    def get_present(self, meeting: Meeting) -> int:
        """Members marked present (the attendance is prefetched with the records)."""
        return sum(1 for a in meeting.attendance.all() if a.present)

    def get_listed(self, meeting: Meeting) -> int:
        return len(meeting.attendance.all())


class MeetingFilter(serializers.Serializer):
    year = serializers.IntegerField(min_value=2000, max_value=2100, required=False)


class MeetingYear(serializers.Serializer):
    """A branch's year of 三会一课 as its calendar page shows it."""

    organization_code = serializers.CharField()
    year = serializers.IntegerField()
    members = serializers.IntegerField(help_text="在册党员数")
    missing = serializers.IntegerField(help_text="应开未开的次数")
    late = serializers.IntegerField(help_text="逾期召开的次数")
    rate = serializers.DecimalField(
        max_digits=5, decimal_places=1, allow_null=True, help_text="出席率（%）"
    )
    meetings = MeetingSerializer(many=True)
