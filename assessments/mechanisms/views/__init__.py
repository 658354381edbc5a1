"""The mechanisms' pages, one module per feature: ``home``, ``pairing``, ``inspection``,
``posts``, ``board`` (亮牌) and ``records`` (a person's 年度考核 record, a branch's 积分 ledger)."""
