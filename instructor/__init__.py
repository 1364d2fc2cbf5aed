"""Instructor tools: student versions, grading, answer keys, the checks' expected values.

Not installed with the course package (`pip install .` ships `helpers` only), and never
part of what students receive. Run them from the repository root:
`python -m instructor.student_versions`, `python -m instructor.grading`,
`python -m instructor.check_values`.
"""
