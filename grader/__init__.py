"""examgrader: generate, solve, grade and export exams (the engine; no course content)."""

__version__ = "0.1.0"
