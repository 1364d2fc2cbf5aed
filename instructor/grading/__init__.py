"""Instructor-only grading of student notebooks: not installed with the course package.

Verdicts are decided outside the student's code: each exercise runs in its own sandboxed
Python process on hidden inputs (`harness`), and the grader compares the results with
the instructor solution's (`exercises`, `grader`).
"""
