from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("assessments", "0005_withdrawn_rectification"),
    ]

    operations = [
        # Stage.assessor was a kind of assessor (a choice) beside ScoreSheet.assessor (a user).
        migrations.RenameField(model_name="stage", old_name="assessor", new_name="assessed_by"),
        migrations.AlterField(
            model_name="campaign",
            name="consolidation",
            field=models.CharField(
                choices=[
                    ("latest", "以最后一个权威阶段为准（抽查点评 > 交叉互评 > 全面考评）"),
                    ("composite", "按各分项加权综合（亮牌）"),
                ],
                default="latest",
                max_length=20,
                verbose_name="结果汇总规则",
            ),
        ),
    ]
