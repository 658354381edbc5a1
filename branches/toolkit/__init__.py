"""The project's toolbox: audit recording and display, guarded spreadsheets, downloads, the
Export base class, middleware, query parameters, logging filters and the import registry.
It knows nothing of rubrics or assessments; every app may use it."""
