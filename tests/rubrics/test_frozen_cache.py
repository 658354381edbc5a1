"""A published version never changes, so its structure is read once per process (every
autosave of a score sheet needs it); a draft is read afresh every time, so an edit shows at once."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from rubrics import services
from rubrics.models import Indicator, Rubric, RubricVersion
from rubrics.selectors import forget_frozen, structure, version_tree
from tests.rubrics.conftest import rubrics  # noqa: F401


def _fuling() -> RubricVersion:
    return RubricVersion.objects.get(rubric__code="fuling-2017", number=2)


def test_a_published_version_is_read_once(rubrics, dept_admin):  # noqa: F811
    forget_frozen()
    version = _fuling()
    with CaptureQueriesContext(connection) as cold:
        first = structure(version)
    assert len(cold) == 5  # version, sections, indicators, parts, bands
    with CaptureQueriesContext(connection) as warm:
        again = structure(_fuling())  # another object for the same row
    assert len(warm) == 1  # the row itself, read by _fuling()
    assert again is first and len(list(first.rules.items())) == 55
    with CaptureQueriesContext(connection) as tree:
        copy = version_tree(version.pk)
    assert len(tree) == 1
    copy.number = 99  # a caller's change stays on its own copy
    assert version_tree(version.pk).number == version.number


def test_a_draft_is_never_kept(rubrics, dept_admin):  # noqa: F811
    draft = services.new_version(_fuling(), by=dept_admin)
    assert structure(draft).guidance["1.1"] == structure(_fuling()).guidance["1.1"]
    Indicator.objects.filter(version=draft, code="1.1").update(text="草稿里改过的指标")
    with CaptureQueriesContext(connection) as queries:
        rules = structure(RubricVersion.objects.get(pk=draft.pk)).rules
    assert len(queries) == 6  # the row, then the whole tree again
    assert next(i for i in rules.items() if i.code == "1.1").text == "草稿里改过的指标"
    # Once published it is kept, with the text it was published with.
    published = services.publish_version(draft, by=dept_admin)
    assert structure(published) is structure(RubricVersion.objects.get(pk=draft.pk))
    first_item = structure(published).tree.sections.all()[0].indicators.all()[0]
    assert first_item.text == "草稿里改过的指标"
    assert Rubric.objects.get(code="fuling-2017").versions.count() == 2
