"""The API's shapes: what it answers (read-only serializers over the selectors' rows)
and what it accepts, bounded, with Chinese messages (DRF's own, in zh-hans, and ours)."""

from django.conf import settings
from rest_framework import serializers

from ..models import Member, MemberStatus, Organization, OrgKind


class OrganizationSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    parent_code = serializers.CharField(source="parent.code", read_only=True, allow_null=True)
    enterprise_code = serializers.CharField(
        source="enterprise.code", read_only=True, allow_null=True
    )

    class Meta:
        model = Organization
        fields = [
            "code",
            "name",
            "kind",
            "kind_label",
            "parent_code",
            "enterprise_code",
            "depth",
            "is_joint",
            "established_on",
            "term_start",
            "term_end",
            "full_members",
            "probationary_members",
            "secretary_name",
        ]
        read_only_fields = fields


class OrganizationFilter(serializers.Serializer):
    kind = serializers.ChoiceField(OrgKind.choices, required=False)
    under = serializers.CharField(required=False, max_length=32, help_text="只列该编码组织及其下级")
    q = serializers.CharField(required=False, max_length=100, help_text="名称或编码包含")


class OrganizationSyncItem(serializers.Serializer):
    code = serializers.CharField(max_length=32, help_text="编码（同步的依据：相同编码即同一组织）")
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(OrgKind.choices)
    parent_code = serializers.CharField(
        max_length=32, allow_blank=True, default="", help_text="上级组织的编码（顶层党委留空）"
    )


class OrganizationSync(serializers.Serializer):
    organizations = serializers.ListField(
        child=OrganizationSyncItem(), min_length=1, max_length=settings.API_MAX_SYNC_ROWS
    )


# The answer's shapes (for the schema): their keys are the import report's, two of which
# are names of Serializer's own methods; a declared field never replaces them at run time.
class SyncCounts(serializers.Serializer):
    new = serializers.IntegerField()
    update = serializers.IntegerField()  # type: ignore[assignment]
    skip = serializers.IntegerField()
    error = serializers.IntegerField()


class SyncError(serializers.Serializer):
    row = serializers.IntegerField(allow_null=True, help_text="第几项（从 1 起；空为整批）")
    errors = serializers.ListField(child=serializers.CharField())  # type: ignore[assignment]


class SyncReport(serializers.Serializer):
    ok = serializers.BooleanField(help_text="是否已保存（有任何错误则整批不保存）")
    total = serializers.IntegerField()
    counts = SyncCounts()
    errors = SyncError(many=True)  # type: ignore[assignment]


class MemberSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Member
        fields = [
            "name",
            "status",
            "status_label",
            "party_group",
            "joined_on",
            "phone",
            "left_on",
            "note",
        ]
        read_only_fields = fields


class MemberFilter(serializers.Serializer):
    include_left = serializers.BooleanField(required=False, default=False)


class MemberSyncItem(serializers.Serializer):
    """A whole member record: a field left out is empty."""

    name = serializers.CharField(max_length=50, help_text="姓名（在册党员中同名即同一人）")
    status = serializers.ChoiceField(MemberStatus.choices)
    party_group = serializers.CharField(max_length=50, allow_blank=True, default="")
    joined_on = serializers.DateField(allow_null=True, default=None)
    phone = serializers.CharField(max_length=20, allow_blank=True, default="")
    left_on = serializers.DateField(allow_null=True, default=None)
    note = serializers.CharField(max_length=200, allow_blank=True, default="")


class MemberSync(serializers.Serializer):
    members = serializers.ListField(
        child=MemberSyncItem(), min_length=1, max_length=settings.API_MAX_SYNC_ROWS
    )


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="原因（中文）")
