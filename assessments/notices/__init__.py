"""Notices inside the product (站内通知) for every event that asks someone to act.

- ``services``: the one writer (``deliver``) and the sweep that finds each kind of event in
  the records that hold it;
- ``selectors``: a person's unread count and their notices, a page at a time;
- ``tasks``: the worker's sweep, queued by ``announce`` when an event is stored and every
  hour while the worker runs;
- ``views`` / ``urls``: the list, mark read, mark all read.
"""
