# Starts two throw-away SMTP servers (aiosmtpd, from PyPI) on loopback for the notify tests:
#
#   ARFLOW_TEST_SMTP=127.0.0.1:PORT         accepts everything into the Maildir
#   ARFLOW_TEST_MAILDIR=DIR                 that Maildir (messages land in DIR/new/)
#   ARFLOW_TEST_SMTP_REJECT=127.0.0.1:PORT  answers RCPT with 550 for addresses starting with
#                                           "reject" and 451 for those starting with "defer";
#                                           accepts the rest (into a Maildir of its own)
#
# Source this file, then call `start_test_smtp`; the servers stop when the calling shell exits
# (or call `stop_test_smtp`). aiosmtpd lives in a venv under the user's cache directory, created
# on first use. The exit trap is added to any trap already set, so call this after
# `start_test_postgres` (scripts/lib/postgres.sh sets its trap without chaining).

ARFLOW_AIOSMTPD_VERSION=1.4.6

arflow_smtp_venv_dir() {
    echo "${XDG_CACHE_HOME:-$HOME/.cache}/arflow/venv"
}

# Creates the venv and installs the pinned aiosmtpd when they are missing; prints the venv path.
arflow_smtp_venv() {
    local venv have
    venv=$(arflow_smtp_venv_dir)
    have=$("$venv/bin/python" -c 'import importlib.metadata as m; print(m.version("aiosmtpd"))' \
        2>/dev/null || true)
    if [ "$have" != "$ARFLOW_AIOSMTPD_VERSION" ]; then
        echo "== installing aiosmtpd $ARFLOW_AIOSMTPD_VERSION into $venv" >&2
        command -v python3 >/dev/null || { echo "python3 is missing" >&2; return 1; }
        python3 -m venv "$venv" >&2 || {
            echo "python3 -m venv failed (Debian: apt-get install python3-venv)" >&2; return 1; }
        "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
            "aiosmtpd==$ARFLOW_AIOSMTPD_VERSION" >&2 || return 1
    fi
    arflow_smtp_reject_handler "$venv" || return 1
    echo "$venv"
}

# The handler of the rejecting server: a Maildir handler that refuses some recipients.
arflow_smtp_reject_handler() {
    cat >"$1/arflow_smtp_reject.py" <<'PY'
"""aiosmtpd handler for arflow's tests: 550 for recipients starting with "reject",
451 for recipients starting with "defer", everything else into the Maildir."""
from aiosmtpd.handlers import Mailbox


class RejectingMailbox(Mailbox):
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        local = address.lower()
        if local.startswith("reject"):
            return "550 5.1.1 <%s>: mailbox unavailable" % address
        if local.startswith("defer"):
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"


class RawMaildir:
    """Stores each message exactly as received (no parsing, no re-serialising) in a Maildir,
    the way an MTA's local delivery does: for throughput measurements (scripts/bench-messages),
    where the stock Mailbox handler's parsing in Python would be what is measured."""

    def __init__(self, path):
        import os
        self.path = path
        for sub in ("tmp", "new", "cur"):
            os.makedirs(os.path.join(path, sub), exist_ok=True)
        self.count = 0

    @classmethod
    def from_cli(cls, parser, *args):
        if len(args) != 1:
            parser.error("RawMaildir takes the Maildir path")
        return cls(args[0])

    async def handle_DATA(self, server, session, envelope):
        import os
        self.count += 1
        name = "%d.%d.arflow-bench" % (os.getpid(), self.count)
        tmp = os.path.join(self.path, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(envelope.original_content)
        os.rename(tmp, os.path.join(self.path, "new", name))
        return "250 OK"
PY
}

arflow_smtp_free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Waits until 127.0.0.1:$1 accepts connections, while process $2 is alive (at most 20 s).
arflow_smtp_wait() {
    local port=$1 pid=$2 i
    for i in $(seq 1 200); do
        if ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# Starts one server as a child of this shell and adds its pid to ARFLOW_SMTP_PIDS.
# Arguments: venv, port, maildir, log, handler class.
arflow_smtp_start_one() {
    local venv=$1 port=$2 maildir=$3 log=$4 handler=$5 pid
    PYTHONPATH="$venv" "$venv/bin/python" -m aiosmtpd -n -l "127.0.0.1:$port" \
        -c "$handler" "$maildir" >"$log" 2>&1 </dev/null &
    pid=$!
    ARFLOW_SMTP_PIDS="${ARFLOW_SMTP_PIDS:-} $pid"
    if ! arflow_smtp_wait "$port" "$pid"; then
        echo "aiosmtpd ($handler) did not start on port $port:" >&2
        cat "$log" >&2
        return 1
    fi
}

start_test_smtp() {
    local venv base port reject_port
    venv=$(arflow_smtp_venv) || { echo "aiosmtpd could not be installed" >&2; return 1; }
    base=$(mktemp -d /tmp/arflow-smtp.XXXXXX)
    ARFLOW_SMTP_BASE=$base
    ARFLOW_SMTP_PIDS=
    # The Maildir handler creates its directory; it fails when the directory already exists.
    port=$(arflow_smtp_free_port)
    arflow_smtp_start_one "$venv" "$port" "$base/maildir" "$base/smtp.log" \
        aiosmtpd.handlers.Mailbox || { stop_test_smtp; return 1; }
    reject_port=$(arflow_smtp_free_port)
    arflow_smtp_start_one "$venv" "$reject_port" "$base/maildir-reject" \
        "$base/smtp-reject.log" arflow_smtp_reject.RejectingMailbox || { stop_test_smtp; return 1; }
    export ARFLOW_TEST_SMTP="127.0.0.1:$port"
    export ARFLOW_TEST_MAILDIR="$base/maildir"
    export ARFLOW_TEST_SMTP_REJECT="127.0.0.1:$reject_port"
    arflow_smtp_chain_exit_trap stop_test_smtp
    echo "== aiosmtpd $ARFLOW_AIOSMTPD_VERSION on $ARFLOW_TEST_SMTP (Maildir $ARFLOW_TEST_MAILDIR), rejecting one on $ARFLOW_TEST_SMTP_REJECT"
}

# One more server for throughput measurements: aiosmtpd with the RawMaildir handler above.
# Sets ARFLOW_BENCH_SMTP and ARFLOW_BENCH_MAILDIR; stopped with the others.
start_bench_smtp() {
    local venv base port
    venv=$(arflow_smtp_venv) || { echo "aiosmtpd could not be installed" >&2; return 1; }
    base=${ARFLOW_SMTP_BASE:-$(mktemp -d /tmp/arflow-smtp.XXXXXX)}
    ARFLOW_SMTP_BASE=$base
    port=$(arflow_smtp_free_port)
    arflow_smtp_start_one "$venv" "$port" "$base/maildir-bench" "$base/smtp-bench.log" \
        arflow_smtp_reject.RawMaildir || { stop_test_smtp; return 1; }
    export ARFLOW_BENCH_SMTP="127.0.0.1:$port"
    export ARFLOW_BENCH_MAILDIR="$base/maildir-bench"
    arflow_smtp_chain_exit_trap stop_test_smtp
}

stop_test_smtp() {
    local pid
    for pid in ${ARFLOW_SMTP_PIDS:-}; do
        kill "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    ARFLOW_SMTP_PIDS=
    if [ -n "${ARFLOW_SMTP_BASE:-}" ]; then
        rm -rf "$ARFLOW_SMTP_BASE"
        ARFLOW_SMTP_BASE=
    fi
}

# Adds a command to the EXIT trap, keeping whatever the trap already runs.
arflow_smtp_chain_exit_trap() {
    local command=$1 spec previous=""
    spec=$(trap -p EXIT)
    if [ -n "$spec" ]; then
        # `trap -p` prints `trap -- 'command' EXIT`, quoted for the shell: let the shell unquote.
        eval "set -- $spec"
        previous=$3
    fi
    case "$previous" in
        *"$command"*) ;;
        "") trap "$command" EXIT ;;
        *) trap "$previous; $command" EXIT ;;
    esac
}
