"""Northwest Energy's working mechanisms (001 三、工作机制): pairing (结对提升), mutual
inspection (互查), member posts (党员标准化责任认领) and the quarterly 亮牌 board.

- ``access``: who sees and does what (the department over its subtree, leaders read, the
  helper their paired branch, a secretary their own branch and members, inspectors their
  assignment);
- ``services``: every write, with audit and events (``pairing``, ``inspection``, ``posts``,
  and ``extensions`` of a 争先 period);
- ``selectors``: each 亮牌 instrument's input for a quarter (these features' values, the
  hand-entered sheets otherwise), read by the 亮牌 campaign's consolidation, and what the
  pages list; ``selectors.board``: the quarter's consolidated 亮牌 results (never a composite
  of its own), with each input's source and what needs 重新汇总;
- ``rules``: the 亮牌 rubric's numbers, read from its published version;
- ``views`` (one module per feature), ``forms``, ``exports`` (Excel and the agreement PDF)
  and ``urls`` for the pages.
"""
