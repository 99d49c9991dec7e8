"""Packaging beyond what pyproject.toml can say: the bundled data ships inside ``geo``.

``data/`` (boundaries, census figures, demo scenarios) stays at the repository's top level
and is installed as ``geo/data/``, where ``geo.settings`` finds it with importlib.resources.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages(include=["geo", "geo.*", "api", "api.*"]), "geo.data"],
    package_dir={"geo.data": "data"},
    package_data={
        "geo": ["py.typed"],
        "geo.data": ["**/*"],
        "api": ["static/**/*", "templates/**/*"],
    },
)
