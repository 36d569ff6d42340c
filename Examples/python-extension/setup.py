from setuptools import setup

from swiftbuf.build import SwiftExtension, build_ext

setup(
    name="swiftmatrix",
    version="0.1.0",
    packages=["swiftmatrix"],
    ext_modules=[SwiftExtension("swiftmatrix._native", package_path=".", product="SwiftMatrix")],
    cmdclass={"build_ext": build_ext},
)
