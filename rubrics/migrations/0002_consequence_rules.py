"""Consequence rules become rubric data. Until now they were chosen in code by the rubric
code's prefix (fuling / xibei / xining): versions already stored get their shipped
document's rules by the same prefix, so every existing campaign keeps its consequences."""

import json

from django.conf import settings
from django.db import migrations, models


def shipped_rules() -> dict[str, dict]:
    rules = {}
    for path in sorted((settings.BASE_DIR / "fixtures" / "rubrics").glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        if doc.get("consequence_rules"):
            rules[doc["code"].split("-")[0]] = doc["consequence_rules"]
    return rules


def backfill(apps, schema_editor):
    RubricVersion = apps.get_model("rubrics", "RubricVersion")
    for prefix, rules in shipped_rules().items():
        RubricVersion.objects.filter(rubric__code__startswith=prefix).update(
            consequence_rules=rules
        )


class Migration(migrations.Migration):
    dependencies = [
        ("rubrics", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="rubricversion",
            name="consequence_rules",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="依据文件规定的结果运用：等次（及上期等次）对应的处理措施、依据原文和允许的改评",
                verbose_name="考评结果运用规则",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
    ]
