from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from branches import access, importing
from branches.access import Perm
from branches.models import OrgKind
from branches.toolkit.downloads import attachment
from branches.toolkit.http import AuthenticatedHttpRequest
from branches.toolkit.params import int_param
from branches.toolkit.spreadsheets import XLSX_CONTENT_TYPE, SpreadsheetError

from . import selectors, services, sheets
from .forms import (
    BandFormSet,
    ConsequenceFormSet,
    GradeRulesForm,
    ItemForm,
    PublishForm,
    RubricForm,
    SectionForm,
    SlotTextsForm,
    UploadForm,
    band_specs,
    consequence_rows,
    levels_text,
)
from .importing import ImportKind
from .models import Indicator, IndicatorKind, Rubric, RubricVersion, Section
from .services import RubricError


def _can_manage(user) -> bool:
    return access.has_perm(user, Perm.MANAGE_RUBRICS)


def _get_version(request: HttpRequest, code: str, number: int) -> RubricVersion:
    """Published and retired versions are for every logged-in user; drafts for managers."""
    version = selectors.readable_version(request.user, code, number)
    if version is None:
        raise Http404("考评标准版本不存在")
    return version


def _xlsx(filename: str, content: bytes) -> HttpResponse:
    return attachment(content, filename=filename, content_type=XLSX_CONTENT_TYPE)


@require_GET
@login_required
def rubric_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    manage = _can_manage(request.user)
    rows = []
    for rubric in selectors.rubric_list():
        versions = [v for v in rubric.versions.all() if manage or not v.is_draft]
        if versions:
            rows.append((rubric, sorted(versions, key=lambda v: -v.number)))
    return render(request, "rubrics/rubric_list.html", {"rows": rows, "can_manage": manage})


@require_GET
@login_required
def version_detail(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    version = _get_version(request, code, number)
    rules = selectors.rules_for(version)
    manage = _can_manage(request.user)
    versions = list(version.rubric.versions.order_by("number"))
    if not manage:
        versions = [v for v in versions if not v.is_draft]
    context = {
        "version": version,
        "rubric": version.rubric,
        "rules": rules,
        "grades": (grades := [b for b in version.bands.all() if not b.scale]),
        "bottom_grade": grades[-1] if grades else None,
        "scales": _scales(version),
        "versions": versions,
        "can_manage": manage,
        "editable": manage and version.is_draft,
        "problems": services.check_publishable(version) if manage and version.is_draft else [],
        "publish_form": PublishForm(),
        "has_slots": any(i.kind == IndicatorKind.CUSTOM for i in version.indicators.all()),
        "has_template": any(i.is_template for i in version.indicators.all()),
    }
    return render(request, "rubrics/version_detail.html", context)


def _scales(version: RubricVersion) -> list[tuple[str, list]]:
    scales: dict[str, list] = {}
    for band in version.bands.all():
        if band.scale:
            scales.setdefault(band.scale_name or band.scale, []).append(band)
    return list(scales.items())


@require_GET
@login_required
def version_export(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    version = _get_version(request, code, number)
    return _xlsx(f"{code}-v{number}.xlsx", sheets.export_version(version))


@require_GET
@login_required
def score_sheet(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    version = _get_version(request, code, number)
    content = sheets.blank_score_sheet(version, selectors.rules_for(version))
    return _xlsx(f"{code}-v{number}-评分表.xlsx", content)


def _manage_version(request: AuthenticatedHttpRequest, code: str, number: int) -> RubricVersion:
    version = _get_version(request, code, number)
    access.require(request.user, Perm.MANAGE_RUBRICS)
    return version


def _back(version: RubricVersion):
    return redirect("rubric_version", code=version.rubric.code, number=version.number)


@require_http_methods(["GET", "POST"])
@login_required
def version_publish(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    """GET asks to confirm (publishing cannot be undone); POST publishes."""
    version = _manage_version(request, code, number)
    if request.method == "GET":
        if not version.is_draft:
            messages.error(request, f"第 {version.number} 版不是草稿，不能发布。")
            return _back(version)
        if problems := services.check_publishable(version):
            messages.error(request, "发布前需要解决：" + "；".join(problems))
            return _back(version)
        form = PublishForm(request.GET)
        form.is_valid()
        return render(
            request,
            "includes/confirm_action.html",
            {
                "title": f"确认发布《{version.rubric.name}》第 {version.number} 版",
                "message": "发布后该版本不能再修改，只能另建新版本；新的考评活动将可以选用它。"
                "确定发布吗？",
                "hidden": [("confirm", "on")] if form.cleaned_data.get("confirm") else [],
                "action_url": request.path,
                "button": "确认发布",
                "cancel_url": reverse("rubric_version", args=[version.rubric.code, version.number]),
            },
        )
    form = PublishForm(request.POST)
    form.is_valid()
    try:
        services.publish_version(
            version, by=request.user, confirm_assumption=form.cleaned_data.get("confirm", False)
        )
    except RubricError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已发布第 {version.number} 版。已发布的版本不能再修改。")
    return _back(version)


@require_POST
@login_required
def version_retire(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    version = _manage_version(request, code, number)
    try:
        services.retire_version(version, by=request.user)
    except RubricError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"已停用第 {version.number} 版，新的考评活动不能再选用它。")
    return _back(version)


@require_POST
@login_required
def version_copy(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    version = _manage_version(request, code, number)
    try:
        draft = services.new_version(version, by=request.user)
    except RubricError as exc:
        messages.error(request, str(exc))
        return _back(version)
    messages.success(
        request, f"已复制为第 {draft.number} 版草稿，可在本页逐项修改或用 Excel 修改。"
    )
    return _back(draft)


@require_http_methods(["GET", "POST"])
@login_required
def version_delete(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    version = _manage_version(request, code, number)
    if not version.is_draft:
        messages.error(request, "已发布的版本不能删除。")
        return _back(version)
    if request.method == "POST":
        try:
            services.delete_draft(version, by=request.user)
        except RubricError as exc:
            messages.error(request, str(exc))
            return _back(version)
        messages.success(request, f"已删除第 {number} 版草稿。")
        return redirect("rubric_list")
    return render(
        request,
        "branches/confirm_delete.html",
        {
            "object": version,
            "title": f"删除草稿：{version}",
            "cancel_url": reverse("rubric_version", args=[code, number]),
        },
    )


@require_http_methods(["GET", "POST"])
@login_required
def version_import(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    version = _manage_version(request, code, number)
    if not version.is_draft:
        messages.error(request, "只能导入到草稿版本。请先“复制为新版本”。")
        return _back(version)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            job = importing.start_import(
                by=request.user,
                kind=ImportKind.RUBRIC,
                filename=upload.name,
                content=upload.read(),
                target_id=version.pk,
            )
        except SpreadsheetError as exc:
            form.add_error("file", str(exc))
        else:
            return redirect("import_preview", pk=job.pk)
    return render(request, "rubrics/version_import.html", {"form": form, "version": version})


@require_GET
@login_required
def version_diff(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    rubric = get_object_or_404(Rubric, code=code)
    a = int_param(request, "a", 0, maximum=10_000)
    b = int_param(request, "b", 0, maximum=10_000)
    old, new = _get_version(request, code, a), _get_version(request, code, b)
    return render(
        request,
        "rubrics/version_diff.html",
        {
            "rubric": rubric,
            "old": old,
            "new": new,
            "diff": selectors.version_diff(old, new),
        },
    )


def _slot_enterprise(request: AuthenticatedHttpRequest):
    """The enterprise (企业党委) whose texts are shown or saved, if one is chosen."""
    enterprise_id = int_param(request, "enterprise") or int_param(
        request, "enterprise", data=request.POST
    )
    if not enterprise_id:
        return None
    enterprise = access.get_org(request.user, enterprise_id, Perm.MANAGE_ORG)
    if enterprise.kind != OrgKind.COMMITTEE:
        raise Http404
    return enterprise


def _save_slot_texts(
    request: AuthenticatedHttpRequest, version, enterprise, slots, form
) -> HttpResponse | None:
    """Store every slot's text; the redirect on success, None (with a message) if refused."""
    try:
        for slot in slots:
            services.set_slot_text(
                by=request.user,
                indicator=slot,
                enterprise=enterprise,
                text=form.cleaned_data[f"slot_{slot.pk}"],
            )
    except RubricError as exc:
        messages.error(request, str(exc))
        return None
    empty = services.empty_slots(version, enterprise)
    if empty:
        messages.warning(
            request,
            f"已保存。还有 {len(empty)} 项个性指标未填写，未填齐前不能开始使用该标准的考评活动。",
        )
    else:
        messages.success(request, f"已保存{enterprise.name}的个性指标。")
    return redirect(f"{request.path}?enterprise={enterprise.pk}")


@require_http_methods(["GET", "POST"])
@login_required
def slot_texts(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    """An enterprise's texts for the custom slots (个性指标) of a version."""
    version = _get_version(request, code, number)
    access.require(request.user, Perm.MANAGE_ORG)
    enterprises = (
        access.visible_orgs(request.user, Perm.MANAGE_ORG)
        .filter(kind=OrgKind.COMMITTEE)
        .order_by("path")
    )
    slots = [i for i in version.indicators.all() if i.kind == IndicatorKind.CUSTOM]
    if not slots:
        raise Http404("该版本没有个性指标")
    enterprise = _slot_enterprise(request)
    texts = selectors.slot_texts_by_indicator(slots, enterprise) if enterprise else {}
    form = SlotTextsForm(request.POST or None, slots=slots, texts=texts)
    posted = request.method == "POST" and enterprise and form.is_valid()
    if posted and (response := _save_slot_texts(request, version, enterprise, slots, form)):
        return response
    filled = selectors.slots_filled(slots, enterprises)
    rows = [(e, filled.get(e.pk, 0)) for e in enterprises]
    return render(
        request,
        "rubrics/slot_texts.html",
        {
            "version": version,
            "rows": rows,
            "enterprise": enterprise,
            "form": form,
            "slot_count": len(slots),
        },
    )


# -- writing a rubric through the pages ----------------------------------------------------


@require_http_methods(["GET", "POST"])
@login_required
def rubric_create(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A new rubric of the organization's own: its first version is an empty draft."""
    access.require(request.user, Perm.MANAGE_RUBRICS)
    form = RubricForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = services.create_rubric(
                by=request.user,
                code=data["code"],
                name=data["name"],
                issuer=data["issuer"],
                source_document=data["source_document"],
                assesses=data["assesses"],
                period=data["period"],
                description=data["description"],
                method=data["method"],
                level_points=data["level_points"],
                key_items_cap_top=data["key_items_cap_top"],
            )
        except RubricError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"已创建《{version.rubric.name}》第 1 版草稿。请添加部分、指标和等次规则。"
            )
            return _back(version)
    return render(request, "rubrics/rubric_form.html", {"form": form})


def _draft(request: AuthenticatedHttpRequest, code: str, number: int) -> RubricVersion | None:
    """The draft a manager edits (None, with a message, if the version is not a draft)."""
    version = _manage_version(request, code, number)
    if not version.is_draft:
        messages.error(request, "已发布的版本不能修改。请先“复制为新版本”。")
        return None
    return version


def _section_of(version: RubricVersion, pk) -> Section:
    for section in version.sections.all():
        if str(section.pk) == str(pk):
            return section
    raise Http404("没有这个部分")


def _item_of(version: RubricVersion, pk: int) -> Indicator:
    for indicator in version.indicators.all():
        if indicator.pk == pk:
            return indicator
    raise Http404("没有这个指标")


@require_http_methods(["GET", "POST"])
@login_required
def section_edit(
    request: AuthenticatedHttpRequest, code: str, number: int, pk: int = 0
) -> HttpResponse:
    """Add a section to a draft (pk 0) or change one."""
    if (version := _draft(request, code, number)) is None:
        return redirect("rubric_version", code=code, number=number)
    section = _section_of(version, pk) if pk else None
    initial = (
        {k: getattr(section, k) for k in ("code", "title", "points", "slogan")} if section else {}
    )
    form = SectionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.save_section(version, by=request.user, section=section, **form.cleaned_data)
        except RubricError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已保存第 {form.cleaned_data['code']} 部分。")
            return _back(version)
    return render(
        request,
        "rubrics/draft_form.html",
        {"form": form, "version": version, "title": "修改部分" if section else "添加部分"},
    )


@require_POST
@login_required
def section_delete(
    request: AuthenticatedHttpRequest, code: str, number: int, pk: int
) -> HttpResponse:
    if (version := _draft(request, code, number)) is not None:
        section = _section_of(version, pk)
        try:
            services.delete_section(section, by=request.user)
        except RubricError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已删除第 {section.code} 部分。")
    return redirect("rubric_version", code=code, number=number)


def _item_initial(indicator) -> dict:
    parts = "\n".join(
        "｜".join(
            [p.code, p.text, sheets.fmt(p.points), sheets.fmt(p.step)]
            + ([p.period] if p.period else [])
        )
        for p in indicator.parts.all()
    )
    return {
        "section": str(indicator.section_id),
        "code": indicator.code,
        "text": indicator.text,
        "kind": indicator.kind,
        "points": indicator.points,
        "step": indicator.step,
        "key": indicator.is_key,
        "weight": indicator.weight,
        "parts": parts,
        "guidance": indicator.guidance,
    }


@require_http_methods(["GET", "POST"])
@login_required
def item_edit(
    request: AuthenticatedHttpRequest, code: str, number: int, pk: int = 0
) -> HttpResponse:
    """Add an item to a draft (pk 0) or change one: text, points, step, ▲, veto, parts."""
    if (version := _draft(request, code, number)) is None:
        return redirect("rubric_version", code=code, number=number)
    sections = list(version.sections.all())
    if not sections:
        messages.error(request, "请先添加一个部分，再在其中添加指标。")
        return _back(version)
    indicator = _item_of(version, pk) if pk else None
    initial = _item_initial(indicator) if indicator else {"section": request.GET.get("section", "")}
    form = ItemForm(request.POST or None, initial=initial, sections=sections, method=version.method)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_item(
                version,
                by=request.user,
                section=_section_of(version, form.cleaned_data["section"]),
                item=form.cleaned_data["spec"],
                indicator=indicator,
            )
        except RubricError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"已保存指标 {saved.code}。")
            if "another" in request.POST:
                return redirect(
                    reverse("rubric_item_new", args=[code, number]) + f"?section={saved.section_id}"
                )
            return _back(version)
    return render(
        request,
        "rubrics/draft_form.html",
        {
            "form": form,
            "version": version,
            "title": f"修改指标 {indicator.code}" if indicator else "添加指标",
            "another": indicator is None,
        },
    )


@require_POST
@login_required
def item_delete(request: AuthenticatedHttpRequest, code: str, number: int, pk: int) -> HttpResponse:
    if (version := _draft(request, code, number)) is not None:
        indicator = _item_of(version, pk)
        try:
            services.delete_item(indicator, by=request.user)
        except RubricError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"已删除指标 {indicator.code}。")
    return redirect("rubric_version", code=code, number=number)


def _rules_initial(version: RubricVersion) -> tuple[dict, list[dict], list[dict]]:
    rules = version.consequence_rules or {}
    return (
        {
            "key_items_cap_top": version.key_items_cap_top,
            "levels": levels_text(version.level_points),
            "basis": rules.get("basis", ""),
        },
        [
            {"label": b.label, "minimum": b.minimum, "passed": b.passed}
            for b in version.bands.all()
            if not b.scale
        ],
        [
            {k: r.get(k, "") for k in ("code", "grade", "previous", "text")}
            for r in rules.get("rules", [])
        ],
    )


@require_http_methods(["GET", "POST"])
@login_required
def grade_rules(request: AuthenticatedHttpRequest, code: str, number: int) -> HttpResponse:
    """A draft's grade bands, ▲ rule, checklist levels and rules for using the results."""
    if (version := _draft(request, code, number)) is None:
        return redirect("rubric_version", code=code, number=number)
    initial, bands, consequences = _rules_initial(version)
    data = request.POST or None
    form = GradeRulesForm(data, initial=initial, method=version.method)
    band_forms = BandFormSet(data, initial=bands, prefix="band")
    rule_forms = ConsequenceFormSet(data, initial=consequences, prefix="rule")
    valid = data and all([form.is_valid(), band_forms.is_valid(), rule_forms.is_valid()])
    if valid:
        try:
            services.set_grade_rules(
                version,
                by=request.user,
                bands=band_specs(band_forms),
                key_items_cap_top=form.cleaned_data.get("key_items_cap_top", False),
                level_points=form.cleaned_data.get("levels") or {},
                consequences=consequence_rows(rule_forms),
                basis=form.cleaned_data["basis"].strip(),
            )
        except RubricError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "已保存等次规则和结果运用规则。")
            return _back(version)
    return render(
        request,
        "rubrics/grade_rules.html",
        {"form": form, "bands": band_forms, "rules": rule_forms, "version": version},
    )


@require_GET
@login_required
def import_template(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A blank workbook to write a whole rubric in: items, grade bands and settings."""
    access.require(request.user, Perm.MANAGE_RUBRICS)
    return _xlsx("考评标准导入模板.xlsx", sheets.import_template())
