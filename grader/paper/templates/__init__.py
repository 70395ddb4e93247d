"""Jinja2 templates of papers and keys (a package so that installs include them)."""
