"""The 帮助 box every page shows: its own text (``texts.PAGE_HELP``) or the user guide."""

from .texts import PAGE_HELP


def page_help(request):
    """``page_help``: the text of the page being viewed ("" when it has none), and
    whether to offer the guide (to people logged in: the help page needs a login)."""
    match = getattr(request, "resolver_match", None)
    text = PAGE_HELP.get(match.url_name, "") if match is not None else ""
    user = getattr(request, "user", None)
    on_help = match is not None and match.url_name == "help"
    guide = user is not None and user.is_authenticated and not on_help
    if not text and not guide:
        return {}
    return {"page_help": {"text": text, "guide": guide}}
