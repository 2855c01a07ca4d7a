"""Writing the issue: the editable draft, its file format, Markdown, templates and the rendered outputs."""
