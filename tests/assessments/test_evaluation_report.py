"""The 总体评估报告 speaks from the campaign's own rubric: its consequence rules and its
indicator texts."""

import re

import pytest

from assessments import reports
from tests.assessments.conftest import reviewed_campaign
from tests.assessments.test_reports import pdf_text


def consolidated(rubric_code, tree, dept_admin, reviewer):
    scores = {org: {"1.1": "4", "1.2": "5"} for org in (tree.a, tree.b)}
    return reviewed_campaign(tree, dept_admin, reviewer, rubric_code, scores, name="年度考评")


def evaluation_text(campaign) -> str:
    _, text = pdf_text(reports.render_summary(campaign, kind="evaluation"))
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(
    ("code", "cited", "foreign"),
    [
        ("fuling-2017", "涪区委组〔2017〕86号", "评先评优"),
        ("xining-2021", "西钢集团党字〔2021〕12号", "涪区委组"),
    ],
)
def test_evaluation_report_cites_its_own_rubric(
    code, cited, foreign, tree, dept_admin, secretary_a, secretary_b, reviewer
):
    text = evaluation_text(consolidated(code, tree, dept_admin, reviewer))
    assert cited in text
    assert foreign not in text


def test_main_problems_name_the_indicator(tree, dept_admin, secretary_a, secretary_b, reviewer):
    text = evaluation_text(consolidated("fuling-2017", tree, dept_admin, reviewer))
    assert "1.1三会一课（2项）" in text
