"""A branch's member roster (党员名册): pages, services, Excel import and export."""
