import os.path as osp

from setuptools import find_packages, setup


def read_requirements(name: str) -> list:
    """Read a requirements file, skipping comments and includes."""
    path = osp.join(osp.dirname(__file__), 'requirements', name)
    with open(path) as f:
        lines = (line.split('#')[0].strip() for line in f)
        return [line for line in lines if line and not line.startswith('-')]


def get_version() -> str:
    scope: dict = {}
    with open(osp.join(osp.dirname(__file__), 'facerec', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='facerec',
    version=get_version(),
    description='Face recognition and facial landmark toolkit for PyTorch',
    long_description=open('README.md').read(),
    long_description_content_type='text/markdown',
    packages=find_packages(exclude=('configs', 'tools', 'tests')),
    python_requires='>=3.9',
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'tests': read_requirements('tests.txt'),
        'optional': read_requirements('optional.txt'),
    },
    license='Apache-2.0',
)
