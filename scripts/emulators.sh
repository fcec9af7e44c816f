#!/usr/bin/env bash
# Local S3 (moto) and Azure Blob (Azurite) emulators for the integration tests.
#
#   scripts/emulators.sh start   install what is missing, start both on free 127.0.0.1 ports,
#                                create bucket + container "usage", write the env file
#                                (reuses emulators that are already up and answering)
#   scripts/emulators.sh stop    stop both (PIDs from the env file); safe to repeat
#   scripts/emulators.sh env     print the env file's path; tests: source "$(scripts/emulators.sh env)"
#
# Overrides: EAUA_VENV (.venv), EAUA_NPM_DIR (.cache/azurite), EAUA_EMU_ENV (.cache/emulators.env).
# Logs: .cache/moto.log, .cache/azurite.log.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
abs() { case $1 in /*) echo "$1" ;; *) echo "$root/$1" ;; esac; }

VENV=$(abs "${EAUA_VENV:-.venv}")
NPM_DIR=$(abs "${EAUA_NPM_DIR:-.cache/azurite}")
ENV_FILE=$(abs "${EAUA_EMU_ENV:-.cache/emulators.env}")
LOGS=$root/.cache
# Same pins as tests/readers/requirements.txt (scripts/python-env.sh), so either may run first.
PIP_SPECS=('moto[server]==5.2.5' 'boto3==1.44.5' 'azure-storage-blob==12.31.1')
AZURITE_SPEC='azurite@3.35.0'
BUCKET=usage
AZURITE_KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='
PY=$VENV/bin/python

log() { echo "emulators: $*" >&2; }

# PID from the env file, if that process is still one of ours (guards against PID reuse).
live_pid() { # NAME_VAR PATTERN
    [[ -f $ENV_FILE ]] || return 1
    local pid
    pid=$(sed -n "s/^export $1=//p" "$ENV_FILE")
    [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null &&
        tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "$2" && echo "$pid"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

install() {
    [[ -x $PY ]] || { log "creating $VENV"; python3 -m venv "$VENV"; }
    if ! "$PY" -c 'import moto.server, boto3, azure.storage.blob' 2>/dev/null || [[ ! -x $VENV/bin/moto_server ]]; then
        log "pip install ${PIP_SPECS[*]}"
        "$PY" -m pip install --quiet --disable-pip-version-check "${PIP_SPECS[@]}" </dev/null
    fi
    if [[ ! -x $NPM_DIR/node_modules/.bin/azurite-blob ]]; then
        log "npm install $AZURITE_SPEC into $NPM_DIR"
        mkdir -p "$NPM_DIR"
        npm install --prefix "$NPM_DIR" --no-audit --no-fund --loglevel=error "$AZURITE_SPEC" </dev/null >&2
    fi
}

wait_up() { # NAME PID PORT LOG
    local deadline=$((SECONDS + 30))
    until port_open "$3"; do
        if ! kill -0 "$2" 2>/dev/null || ((SECONDS >= deadline)); then
            log "$1 did not come up on port $3; last lines of $4:"
            tail -n 30 "$4" >&2 || true
            return 1
        fi
        sleep 0.1
    done
}

start() {
    if moto=$(live_pid EAUA_MOTO_PID moto_server) && azurite=$(live_pid EAUA_AZURITE_PID azurite-blob); then
        log "already running (moto $moto, azurite $azurite); env: $ENV_FILE"
        return
    fi
    stop # half-running or stale: start afresh
    install
    mkdir -p "$LOGS" "$(dirname "$ENV_FILE")"
    read -r s3_port az_port < <(python3 -c 'import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*(x.getsockname()[1] for x in s))')
    [[ -n ${az_port:-} ]] || { log "could not pick free ports"; exit 1; }

    "$VENV/bin/moto_server" -H 127.0.0.1 -p "$s3_port" </dev/null >"$LOGS/moto.log" 2>&1 &
    moto=$!
    "$NPM_DIR/node_modules/.bin/azurite-blob" --inMemoryPersistence --disableTelemetry \
        --blobHost 127.0.0.1 --blobPort "$az_port" </dev/null >"$LOGS/azurite.log" 2>&1 &
    azurite=$!
    # Until everything is ready, any failure stops both and leaves no env file.
    trap 'kill "$moto" "$azurite" 2>/dev/null; rm -f "$ENV_FILE"' EXIT
    wait_up moto "$moto" "$s3_port" "$LOGS/moto.log"
    wait_up azurite "$azurite" "$az_port" "$LOGS/azurite.log"

    cat >"$ENV_FILE" <<EOF
export AWS_ENDPOINT=http://127.0.0.1:$s3_port
export AWS_ALLOW_HTTP=true
export AWS_ACCESS_KEY_ID=test
export AWS_SECRET_ACCESS_KEY=test
export AWS_REGION=us-east-1
export EAUA_TEST_S3_URL=s3://$BUCKET
export AZURE_STORAGE_USE_EMULATOR=true
export AZURITE_BLOB_STORAGE_URL=http://127.0.0.1:$az_port
export AZURE_STORAGE_ACCOUNT_NAME=devstoreaccount1
export AZURE_STORAGE_ACCOUNT_KEY=$AZURITE_KEY
export EAUA_TEST_AZURE_URL=az://$BUCKET
export EAUA_PYTHON=$PY
export EAUA_MOTO_PID=$moto
export EAUA_AZURITE_PID=$azurite
EOF
    (. "$ENV_FILE" && "$PY" scripts/emu_clients.py create "$BUCKET")
    trap - EXIT
    log "moto on :$s3_port (pid $moto), azurite on :$az_port (pid $azurite); env: $ENV_FILE"
}

stop() {
    local pids=() pid alive
    pid=$(live_pid EAUA_MOTO_PID moto_server) && pids+=("$pid")
    pid=$(live_pid EAUA_AZURITE_PID azurite-blob) && pids+=("$pid")
    if ((${#pids[@]})); then
        kill "${pids[@]}" 2>/dev/null || true
        for _ in $(seq 50); do # up to 5 s for both to exit
            alive=0
            for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
            ((alive)) || break
            sleep 0.1
        done
        kill -9 "${pids[@]}" 2>/dev/null || true
        log "stopped pid ${pids[*]}"
    fi
    rm -f "$ENV_FILE"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
env) echo "$ENV_FILE" ;;
*) echo "usage: $0 start|stop|env" >&2; exit 2 ;;
esac
