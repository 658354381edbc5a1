"""Closing a campaign (已结束): the department's service and the campaign page's button."""

import re

import pytest
from django.urls import reverse

from assessments import services
from assessments.models import Campaign, CampaignStatus
from branches.models import AuditEntry


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_the_department_closes_an_open_campaign(client, campaign, dept_admin):
    client.force_login(dept_admin)
    page = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert reverse("campaign_close", args=[campaign.pk]) in page and "data-confirm" in page
    response = client.post(reverse("campaign_close", args=[campaign.pk]), follow=True)
    assert "考评活动已结束" in text_of(response)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.CLOSED
    assert reverse("campaign_close", args=[campaign.pk]) not in response.content.decode()


def test_only_an_open_campaign_closes(client, campaign, dept_admin):
    services.close_campaign(campaign, by=dept_admin)
    with pytest.raises(services.AssessmentError, match="只有进行中的考评活动可以结束"):
        services.close_campaign(campaign, by=dept_admin)
    client.force_login(dept_admin)
    response = client.post(reverse("campaign_close", args=[campaign.pk]), follow=True)
    assert "只有进行中的考评活动可以结束" in text_of(response)


def test_a_draft_campaign_does_not_close(campaign, dept_admin):
    Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.DRAFT)
    with pytest.raises(services.AssessmentError):
        services.close_campaign(campaign, by=dept_admin)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DRAFT


def test_a_leader_may_not_close_a_campaign(client, campaign, leader):
    client.force_login(leader)
    assert client.post(reverse("campaign_close", args=[campaign.pk])).status_code == 403
    with pytest.raises(services.AssessmentError):
        services.close_campaign(campaign, by=leader)
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.OPEN


def test_an_outsider_gets_404(client, campaign, outsider):
    client.force_login(outsider)
    assert client.post(reverse("campaign_close", args=[campaign.pk])).status_code == 404
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.OPEN


def test_closing_is_recorded_with_who_and_the_change_of_status(campaign, dept_admin):
    services.close_campaign(campaign, by=dept_admin)
    entry = AuditEntry.objects.filter(
        model="考评活动", action="update", object_id=str(campaign.pk)
    ).latest("id")
    assert entry.actor == dept_admin
    assert entry.changes["status"]["old"] == "进行中"
    assert entry.changes["status"]["new"] == "已结束"
