"""The API's reads of campaigns, results, rectification items and 三会一课 records, through
the pages' own access helpers (``assessments.access``) and selectors: a token reads what
a person with the same rights reads on the pages, the same figures from the same functions."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from branches.access import Perm
from branches.api import selectors as org_selectors
from branches.api.views import BAD_INPUT, REFUSED, TokenView, caller, org_by_code

from .. import access, selectors
from ..meetings.selectors import branch_calendar
from .serializers import (
    CampaignSerializer,
    MeetingFilter,
    MeetingYear,
    RectificationFilter,
    RectificationSerializer,
    ResultFilter,
    ResultSerializer,
)


class TokenListView(TokenView):
    """A paginated list."""

    def get(self, request: Request, **kwargs) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)


class CampaignList(TokenListView):
    serializer_class = CampaignSerializer

    def get_queryset(self):
        access.require_perm(caller(self.request), Perm.VIEW_RESULTS)
        return selectors.campaign_list(caller(self.request)).order_by("-year", "-quarter", "-pk")

    @extend_schema(
        operation_id="campaigns_list",
        summary="考评活动（范围在令牌之内的）",
        responses={200: CampaignSerializer(many=True), **BAD_INPUT, **REFUSED},
    )
    def get(self, request: Request, **kwargs) -> Response:
        return super().get(request, **kwargs)


class CampaignDetail(TokenView):
    serializer_class = CampaignSerializer

    @extend_schema(
        operation_id="campaigns_retrieve",
        summary="一个考评活动",
        responses={200: CampaignSerializer, **REFUSED},
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(self.get_serializer(access.get_campaign(caller(request), pk)).data)


class ResultList(TokenListView):
    serializer_class = ResultSerializer

    def get_queryset(self):
        campaign = access.get_campaign(caller(self.request), self.kwargs["pk"])
        return selectors.results_ledger(campaign, **self.query(ResultFilter))

    @extend_schema(
        operation_id="results_list",
        summary="考评结果：排名、得分、等次（亮牌的牌），与结果页面同一来源",
        parameters=[ResultFilter],
        responses={200: ResultSerializer(many=True), **BAD_INPUT, **REFUSED},
    )
    def get(self, request: Request, **kwargs) -> Response:
        return super().get(request, **kwargs)


class RectificationList(TokenListView):
    serializer_class = RectificationSerializer

    def get_queryset(self):
        user = caller(self.request)
        access.require_perm(user, Perm.VIEW_RESULTS)
        filters = self.query(RectificationFilter)
        org = None
        if code := filters.pop("organization", ""):
            org = org_selectors.org_id(code) or -1  # an unknown code lists nothing
        return selectors.rectification_list(user, org=org, **filters)

    @extend_schema(
        operation_id="rectifications_list",
        summary="整改清单（一支部一清单）及各项状态",
        parameters=[RectificationFilter],
        responses={200: RectificationSerializer(many=True), **BAD_INPUT, **REFUSED},
    )
    def get(self, request: Request, **kwargs) -> Response:
        return super().get(request, **kwargs)


class MeetingList(TokenView):
    serializer_class = MeetingYear

    @extend_schema(
        operation_id="meetings_list",
        summary="一个党支部一年的三会一课记录（与其组织生活日历页面同一来源）",
        parameters=[MeetingFilter],
        responses={200: MeetingYear, **BAD_INPUT, **REFUSED},
    )
    def get(self, request: Request, code: str) -> Response:
        year = self.query(MeetingFilter).get("year") or timezone.localdate().year
        org = org_by_code(request, code, access.get_meeting_org)
        calendar = branch_calendar(org, year)
        return Response(
            self.get_serializer(
                {
                    "organization_code": org.code,
                    "year": year,
                    "members": calendar["members"],
                    "missing": calendar["missing"],
                    "late": calendar["late"],
                    "rate": calendar["rate"],
                    "meetings": calendar["meetings"],
                }
            ).data
        )
