"""The document register (发文登记簿) as a page: every 文号 given, for the department and the
auditor, searchable, paged and exported to Excel."""
