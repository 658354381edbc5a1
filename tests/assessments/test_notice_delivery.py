"""The one writer of notices: once per person per event, one email per person per delivery
(to those with an address), an audit entry per notice."""

from assessments.models import Notice, NoticeKind
from assessments.notices.services import Draft, deliver
from branches.models import AuditEntry


def test_once_per_event_and_one_email_per_person(db, secretary_a, secretary_b, mailoutbox):
    secretary_a.email = "sec_a@example.com"
    secretary_a.save()
    drafts = [
        Draft(secretary_a, NoticeKind.ASSIGNED, "t:1", "新的考评任务：甲", "/"),
        Draft(secretary_a, NoticeKind.OVERDUE, "t:2", "考评表已逾期：甲", "/"),
        Draft(secretary_b, NoticeKind.ASSIGNED, "t:1", "新的考评任务：乙", "/"),
    ]
    first = deliver(drafts)
    assert first.notified == [secretary_a, secretary_b] and first.emailed == [secretary_a]
    (mail,) = mailoutbox
    assert mail.to == [secretary_a.email] and "2 条新通知" in mail.subject
    assert "新的考评任务：甲" in mail.body and "考评表已逾期：甲" in mail.body
    assert Notice.objects.count() == 3
    assert AuditEntry.objects.filter(model="站内通知", action="create").count() == 3
    again = deliver(drafts)
    assert again.notified == [] and len(mailoutbox) == 1 and Notice.objects.count() == 3
