"""Organizational life (三会一课 and the rest): what a branch announces, holds and records,
its compliance calendar and the scores the records suggest.

- ``models`` live with the app's models (``assessments.models.meetings``); the kinds of
  meeting and their required frequency are data in ``branches.meeting_kinds``;
- ``services``: every write (announce, record, check, amend, attachments);
- ``selectors``: the calendar, the department's view, the "本月还需召开" panel and the
  suggested scores for a sheet's items;
- ``exports``: a branch's year of meetings in Excel (the layout the import reads) and the
  department's gap list;
- ``forms``, ``views``, ``urls`` for the pages; ``demo`` for `load_demo`.
"""
