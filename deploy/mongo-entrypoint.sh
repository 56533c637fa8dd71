#!/bin/bash
# The replica set's key file: made once, on the first start, in the config volume, readable by
# mongod alone; then the image's own entrypoint (users from MONGO_INITDB_*, init scripts).
set -euo pipefail
keyfile=/data/configdb/replica.key
if [ ! -s "$keyfile" ]; then
    head -c 756 /dev/urandom | base64 -w 0 > "$keyfile"
fi
chown mongodb:mongodb "$keyfile"
chmod 400 "$keyfile"
exec docker-entrypoint.sh "$@"
