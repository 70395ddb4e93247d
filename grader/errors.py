"""Typed errors: student input, authoring (bank or rubric) and files, translated once at the CLI."""

from __future__ import annotations


class GraderError(Exception):
    """Base of every error a user may see; carries where it happened.

    Args:
        message: what is wrong, in plain words.
        file: the file involved, if any.
        student: the student id involved, if any.
        part: the part id (or rubric/exam key) involved, if any.
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        student: str | None = None,
        part: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = file
        self.student = student
        self.part = part

    def where(self) -> str:
        """'file, student s1, part ex1a' (the parts known), or ''."""
        bits = []
        if self.file:
            bits.append(str(self.file))
        if self.student:
            bits.append(f"student {self.student}")
        if self.part:
            bits.append(f"part {self.part}")
        return ", ".join(bits)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class AnswerError(GraderError):
    """A student's answer cannot be read; the message is shown to the student."""


class AuthoringError(GraderError):
    """The exam, a family's parameters, a spec or a rubric is wrong: fail loudly at load."""

    exit_code = 2


class InputError(GraderError):
    """A file cannot be read or has the wrong shape (a submission, a key, a roster)."""
