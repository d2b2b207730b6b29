"""Discover stage: the project, its tests, its interpreter."""

from assay.discover.interpreter import find_python
from assay.discover.project import Project, find_project

__all__ = ["Project", "find_project", "find_python"]
