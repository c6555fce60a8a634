"""The names of the app's buckets (the bucket of each ``s3`` function)::

    import boto3
    from tight.providers.aws.clients import buckets

    boto3.client("s3").put_object(Bucket=buckets.name("uploads"), Key="in/report.csv", Body=data)

``buckets.name(function_name)`` is the real name, for the stage, of that s3
function's bucket (``<app>-<stage>-<bucket>``). The writing function lists the
s3 function in tight.yml (``functions.NAME.uses: [uploads]``): ``tight deploy``
then lets it ``s3:PutObject`` under that function's prefix, and ``tight
local.serve`` points ``AWS_ENDPOINT_URL_S3`` at the local bucket. An unknown
name, or one that is not an s3 function, raises
:class:`~tight.providers.aws.clients.resources.UnknownResource` naming the
app's buckets. Standard library only.
"""
from __future__ import annotations

from tight.providers.aws.clients.resources import BUCKETS, UnknownResource, lookup

__all__ = ["UnknownResource", "name"]


def name(function_name: str) -> str:
    """The bucket of ``function_name`` (an s3 function of the app) for this stage."""
    return lookup(BUCKETS, function_name)
