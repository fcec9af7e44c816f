"""Clients for the local S3 (moto) and Azure Blob (Azurite) emulators.

Settings come from the environment written by `scripts/emulators.sh start`
(AWS_ENDPOINT, AZURITE_BLOB_STORAGE_URL, ...). Variables that are not set are
read from the env file ($EAUA_EMU_ENV, default .cache/emulators.env), so the
scripts also work without sourcing it first.

    python scripts/emu_clients.py create BUCKET   # create S3 bucket + Azure container (idempotent)
"""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The current azure-storage-blob asks for an API version newer than Azurite knows.
AZURE_API_VERSION = "2025-11-05"


def _settings():
    env = {}
    env_file = Path(os.environ.get("EAUA_EMU_ENV", ROOT / ".cache" / "emulators.env"))
    if not env_file.is_absolute():
        env_file = ROOT / env_file
    if env_file.exists():
        for line in env_file.read_text().splitlines():
            if line.startswith("export ") and "=" in line:
                key, _, value = line[len("export "):].partition("=")
                env[key] = value.strip("'\"")
    env.update({k: v for k, v in os.environ.items() if k.startswith(("AWS_", "AZUR"))})
    return env


def s3_client():
    import boto3

    env = _settings()
    return boto3.client(
        "s3",
        endpoint_url=env["AWS_ENDPOINT"],
        region_name=env.get("AWS_REGION", "us-east-1"),
        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "test"),
        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "test"),
    )


def blob_service():
    from azure.storage.blob import BlobServiceClient

    env = _settings()
    account = env["AZURE_STORAGE_ACCOUNT_NAME"]
    conn = (
        "DefaultEndpointsProtocol=http;"
        f"AccountName={account};AccountKey={env['AZURE_STORAGE_ACCOUNT_KEY']};"
        f"BlobEndpoint={env['AZURITE_BLOB_STORAGE_URL'].rstrip('/')}/{account};"
    )
    return BlobServiceClient.from_connection_string(conn, api_version=AZURE_API_VERSION)


def create(name):
    """Create the S3 bucket and the Azure container `name`; fine if they exist."""
    from azure.core.exceptions import ResourceExistsError

    s3 = s3_client()
    try:
        s3.create_bucket(Bucket=name)
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass
    try:
        blob_service().create_container(name)
    except ResourceExistsError:
        pass


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "create":
        sys.exit("usage: emu_clients.py create BUCKET")
    create(sys.argv[2])
