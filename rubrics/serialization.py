"""Rubric versions to and from plain documents (fixtures, `export_rubric --format json`)."""

from decimal import Decimal

from .models import (
    GradeBand,
    Indicator,
    IndicatorKind,
    IndicatorPart,
    Rubric,
    RubricVersion,
    Section,
)
from .scoring import fmt


def _num(value: Decimal | None):
    if value is None:
        return None
    number = value.normalize()
    return int(number) if number == number.to_integral_value() else float(fmt(number))


def export_document(version: RubricVersion) -> dict:
    """The `export_rubric --format json` layout (veto items are items with "veto": true)."""
    from .selectors import rules_for

    rules = rules_for(version)
    return {
        "code": version.rubric.code,
        "version": version.number,
        "max": _num(rules.max_total),
        "sections": [
            {
                "code": section.code,
                "title": section.title,
                "points": _num(section.points),
                "items": [
                    {
                        "code": ind.code,
                        "text": ind.text,
                        "points": _num(ind.points),
                        "key": ind.is_key,
                        "veto": ind.kind == IndicatorKind.VETO,
                        "parts": [
                            {"code": p.code, "text": p.text, "points": _num(p.points)}
                            | ({"period": p.period} if p.period else {})
                            for p in ind.parts.all()
                        ],
                    }
                    for ind in section.indicators.all()
                ],
            }
            for section in version.sections.all()
        ],
        "grades": [
            {"label": b.label, "min": _num(b.minimum), "passed": b.passed}
            for b in version.bands.all()
            if not b.scale
        ],
        "consequence_rules": version.consequence_rules,
        "record_requirements": version.record_requirements,
    }


def create_version_from_document(
    doc: dict, *, rubric: Rubric, number: int, status: str
) -> RubricVersion:
    """Build a version (always created as a draft first, so its rows can be written)."""
    version = RubricVersion.objects.create(
        rubric=rubric,
        number=number,
        method=doc["method"],
        key_items_cap_top=doc.get("key_items_cap_top", False),
        level_points=doc.get("level_points", {}),
        bands_assumed=doc.get("bands_assumed", False),
        notes=doc.get("notes", ""),
        consequence_rules=doc.get("consequence_rules", {}),
        record_requirements=doc.get("record_requirements", []),
    )
    for s_pos, s in enumerate(doc["sections"]):
        section = Section.objects.create(
            version=version,
            code=s["code"],
            title=s["title"],
            points=Decimal(s["points"]) if s.get("points") is not None else None,
            slogan=s.get("slogan", ""),
            position=s_pos,
        )
        for i_pos, i in enumerate(s["items"]):
            indicator = Indicator.objects.create(
                version=version,
                section=section,
                code=i["code"],
                text=i["text"],
                points=Decimal(str(i["points"])),
                step=Decimal(str(i.get("step", "0.5"))),
                is_key=i.get("key", False),
                kind=i.get("kind") or (IndicatorKind.VETO if i.get("veto") else "scored"),
                weight=Decimal(i["weight"]) if i.get("weight") else None,
                guidance=i.get("guidance", ""),
                is_template=i.get("template", False),
                period_activity=i.get("period_activity", ""),
                position=i_pos,
            )
            for p_pos, p in enumerate(i.get("parts", [])):
                IndicatorPart.objects.create(
                    indicator=indicator,
                    code=p["code"],
                    text=p["text"],
                    points=Decimal(str(p["points"])),
                    step=Decimal(str(p.get("step", "0.5"))),
                    period=p.get("period", ""),
                    position=p_pos,
                )
    bands = [("", "", g) for g in doc.get("grades", [])]
    for scale, spec in doc.get("scales", {}).items():
        bands += [(scale, spec["name"], g) for g in spec["bands"]]
    for pos, (scale, scale_name, g) in enumerate(bands):
        GradeBand.objects.create(
            version=version,
            scale=scale,
            scale_name=scale_name,
            label=g["label"],
            minimum=Decimal(str(g["min"])) if g.get("min") is not None else None,
            passed=g.get("passed", True),
            position=pos,
        )
    return version


def _bands_document(version: RubricVersion) -> tuple[list[dict], dict[str, dict]]:
    """The grade bands, and the bands of each auxiliary scale, in the fixture layout."""
    scales: dict[str, dict] = {}
    grades = []
    for b in version.bands.order_by("scale", "position"):
        entry = {
            "label": b.label,
            "min": str(b.minimum) if b.minimum is not None else None,
            "passed": b.passed,
        }
        if b.scale:
            scales.setdefault(b.scale, {"name": b.scale_name, "bands": []})["bands"].append(entry)
        else:
            grades.append(entry)
    return grades, scales


def _item_document(i) -> dict:
    return {
        "code": i.code,
        "text": i.text,
        "points": str(i.points),
        "step": str(i.step),
        "key": i.is_key,
        "veto": i.kind == "veto",
        "kind": i.kind,
        "weight": str(i.weight) if i.weight is not None else None,
        "guidance": i.guidance,
        "template": i.is_template,
        "period_activity": i.period_activity,
        "parts": [
            {
                "code": p.code,
                "text": p.text,
                "points": str(p.points),
                "step": str(p.step),
                "period": p.period,
            }
            for p in i.parts.order_by("position")
        ],
    }


def _section_document(s) -> dict:
    return {
        "code": s.code,
        "title": s.title,
        "points": str(s.points) if s.points is not None else None,
        "slogan": s.slogan,
        "items": [_item_document(i) for i in s.indicators.order_by("position")],
    }


def export_full_document(version: RubricVersion) -> dict:
    """Every field of a version, in the fixture layout (used to copy a version)."""
    rubric = version.rubric
    grades, scales = _bands_document(version)
    return {
        "code": rubric.code,
        "name": rubric.name,
        "issuer": rubric.issuer,
        "source_document": rubric.source_document,
        "source_file": rubric.source_file,
        "assesses": rubric.assesses,
        "period": rubric.period,
        "description": rubric.description,
        "version": version.number,
        "method": version.method,
        "key_items_cap_top": version.key_items_cap_top,
        "level_points": version.level_points,
        "bands_assumed": version.bands_assumed,
        "notes": version.notes,
        "consequence_rules": version.consequence_rules,
        "record_requirements": version.record_requirements,
        "grades": grades,
        "scales": scales,
        "sections": [_section_document(s) for s in version.sections.order_by("position")],
    }
