"""Install dependencies into the app's vendor dir for the Lambda platform.

(Named ``_pip`` so that it never shadows the real ``pip`` under
``inv -c tight_tasks``; the collection is called ``pip``.)
"""
import os

from invoke import Collection, task

from ..config import app_root, settings

DEFAULTS = {"installer": "auto", "index_url": None, "find_links": None, "no_index": False}


@task(
    iterable=["package"],
    help={
        "package": "Package to install and append to requirements-vendor.txt (with tight, bare words after the task work too; under plain inv use -p NAME for each).",
        "requirements": "Install everything in the requirements file.",
        "requirements_file": "Requirements file (default: requirements-vendor.txt in the app).",
        "target": "Install directory (default: vendor_dir of tight.yml, app/vendored).",
        "runtime": "Lambda runtime to resolve for (default: runtime of tight.yml, python3.12).",
        "architecture": "x86_64 or arm64 (default: architecture of tight.yml).",
        "keep_boto3": "Keep boto3/botocore/s3transfer (Lambda provides them).",
        "installer": "auto, pip or uv (auto: uv when installed).",
        "index_url": "Package index URL passed to the installer.",
        "find_links": "Extra directory or URL of wheels passed to the installer.",
        "no_index": "Do not use a package index (with --find-links).",
    },
)
def install(
    c,
    package=None,
    requirements=False,
    requirements_file=None,
    target=None,
    runtime=None,
    architecture=None,
    keep_boto3=False,
    installer=None,
    index_url=None,
    find_links=None,
    no_index=False,
):
    """Vendor packages for Lambda: tight pip.install requests flask"""
    packages = list(package or [])
    root = app_root()
    from .vendor import app_vendor_dir, local_path, vendor_install

    opts = settings(c, "pip", DEFAULTS)
    app = settings(c)
    # Paths typed on the command line are relative to the current directory,
    # those from tight.yml to the app root.
    vendor_install(
        root,
        packages=packages,
        requirements=requirements,
        requirements_file=local_path(requirements_file, os.getcwd()),
        target=local_path(target, os.getcwd()) or app_vendor_dir(root, app["vendor_dir"]),
        runtime=runtime or app["runtime"],
        architecture=architecture or app["architecture"],
        keep_boto3=keep_boto3,
        installer=installer or opts["installer"],
        index_url=index_url or opts["index_url"],
        find_links=local_path(find_links, os.getcwd()) or local_path(opts["find_links"], root),
        no_index=no_index or bool(opts["no_index"]),
    )

ns = Collection("pip", install)
ns.configure({"pip": DEFAULTS})
