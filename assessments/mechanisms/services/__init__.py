"""Every write of the mechanisms, each with its audit and events: ``pairing`` (结对提升),
``inspection`` (互查), ``posts`` (党员责任岗 and 履职 scores) and ``extensions`` (extended
争先 periods)."""
