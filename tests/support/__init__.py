"""Helpers shared by tests, imported as `tests.support.<module>`.

Test files never import from a `conftest.py`: pytest loads every conftest under the one
module name `conftest`, so `from conftest import X` got whichever was loaded last, and
some subsets of the suite failed at collection. Fixtures stay in the conftests; the
plain helpers they and the tests share live here.
"""
