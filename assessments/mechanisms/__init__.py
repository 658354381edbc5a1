"""Northwest Energy's working mechanisms (001 三、工作机制): pairing (结对提升), mutual
inspection (互查), member posts (党员标准化责任认领) and the quarterly 亮牌 board.

- ``access``: who sees and does what (the department over its subtree, leaders read, the
  helper their paired branch, a secretary their own branch and members, inspectors their
  assignment);
- ``pairing``, ``inspection``, ``posts``: the services (every write, with audit and events);
- ``board``: the quarter's 亮牌 from these features (hand-entered sheets otherwise), by the
  亮牌 rubric's own weights, bands and consequence rules;
- ``views``, ``forms``, ``exports``, ``pdf`` and ``urls`` for the pages.
"""
