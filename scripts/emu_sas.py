"""Prints a SAS token for a container of the Azure emulator (Azurite), for the tests of SAS
URLs: read and list only, valid for an hour.

    python scripts/emu_sas.py CONTAINER
"""

import datetime
import sys

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
from azure.storage.blob import ContainerSasPermissions, generate_container_sas

from emu_clients import _settings

env = _settings()
print(generate_container_sas(
    account_name=env["AZURE_STORAGE_ACCOUNT_NAME"],
    container_name=sys.argv[1],
    account_key=env["AZURE_STORAGE_ACCOUNT_KEY"],
    permission=ContainerSasPermissions(read=True, list=True),
    expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1),
))
