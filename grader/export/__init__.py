"""LMS exports: questions (moodle, qti21, canvas, gift; see grader.export.package) and gradebooks.

Kept free of imports so that importing one export module (e.g. naming) loads only that one.
"""
