"""Does read(2) on an accepted, blocking TCP socket wait for data? (docs/spark.md, "Troubleshooting")

PySpark's worker daemon reads its socket through os.fdopen(os.dup(sock.fileno()), "rb"), i.e. with read(2). Under
runsc --network=host (gVisor 20221219, Debian 12) that read fails with EAGAIN instead of waiting, while recv(2)
waits; under runc, and under runsc --network=none, every case returns the data. Run it inside a sandbox, e.g. as
the launch script of `kata-yarn-runtime launch <id> --context ctx.json` with "runtime": "runsc", or with
`runsc --network=none do /usr/bin/python3 scripts/repro/runsc-socket-read.py`. Exit status 1 if a case fails.
"""
import fcntl
import os
import socket
import sys
import threading
import time

failed = 0


def case(name, reader):
    global failed
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def client():
        c = socket.create_connection(listener.getsockname())
        time.sleep(0.5)  # the reader is already waiting when the data arrives
        c.sendall(b"abcd")
        time.sleep(0.5)
        c.close()

    t = threading.Thread(target=client)
    t.start()
    s, _ = listener.accept()
    nonblocking = bool(fcntl.fcntl(s.fileno(), fcntl.F_GETFL) & os.O_NONBLOCK)
    try:
        got = reader(s)
    except OSError as e:
        got = "%s: %s" % (type(e).__name__, e)
    if got != b"abcd":
        failed += 1
    print("CASE %-28s O_NONBLOCK=%d -> %r" % (name, nonblocking, got), flush=True)
    t.join()
    s.close()
    listener.close()


case("os.read(fd)", lambda s: os.read(s.fileno(), 4))
case("os.read(dup(fd))", lambda s: os.read(os.dup(s.fileno()), 4))
case("fdopen(dup).read (PySpark)", lambda s: os.fdopen(os.dup(s.fileno()), "rb", 65536).read(4))
case("sock.recv", lambda s: s.recv(4))
case("sock.makefile.read", lambda s: s.makefile("rb", 65536).read(4))
print("runtime=%s failed=%d" % (os.environ.get("KATA_YARN_RUNTIME", "?"), failed), flush=True)
sys.exit(1 if failed else 0)
