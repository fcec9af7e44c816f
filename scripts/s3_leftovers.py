"""List what an upload left behind in the S3 or Azure emulator under a prefix.

    .venv/bin/python scripts/s3_leftovers.py s3|azure PREFIX [--bucket usage]

Prints one JSON object:
    {"objects": [{"key", "size"}...],
     "pending_uploads": [...]}
pending_uploads is, for S3, every incomplete multipart upload
({"key", "upload_id", "parts"}) and, for Azure, every blob with uncommitted
(staged, never committed) blocks ({"key", "uncommitted_blocks", "committed"}).
Emulator settings: see emu_clients.py.
"""

import argparse
import json
import sys

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
from emu_clients import blob_service, s3_client


def s3_leftovers(bucket, prefix):
    s3 = s3_client()
    objects, pending = [], []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        objects += [{"key": o["Key"], "size": o["Size"]} for o in page.get("Contents", [])]
    for page in s3.get_paginator("list_multipart_uploads").paginate(Bucket=bucket, Prefix=prefix):
        for u in page.get("Uploads", []):
            parts = s3.list_parts(Bucket=bucket, Key=u["Key"], UploadId=u["UploadId"])
            pending.append(
                {"key": u["Key"], "upload_id": u["UploadId"], "parts": len(parts.get("Parts", []))}
            )
    return objects, pending


def azure_leftovers(container, prefix):
    cc = blob_service().get_container_client(container)
    objects = [{"key": b.name, "size": b.size} for b in cc.list_blobs(name_starts_with=prefix)]
    committed = {o["key"] for o in objects}
    pending = []
    # With uncommittedblobs the listing also names blobs that only have staged blocks.
    for b in cc.list_blobs(name_starts_with=prefix, include=["uncommittedblobs"]):
        _, uncommitted = cc.get_blob_client(b.name).get_block_list("uncommitted")
        if uncommitted:
            pending.append(
                {
                    "key": b.name,
                    "uncommitted_blocks": len(uncommitted),
                    "committed": b.name in committed,
                }
            )
    return objects, pending


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("store", choices=["s3", "azure"])
    ap.add_argument("prefix")
    ap.add_argument("--bucket", default="usage", help="S3 bucket / Azure container")
    args = ap.parse_args()
    fn = s3_leftovers if args.store == "s3" else azure_leftovers
    objects, pending = fn(args.bucket, args.prefix)
    print(json.dumps({"objects": objects, "pending_uploads": pending}))


if __name__ == "__main__":
    main()
