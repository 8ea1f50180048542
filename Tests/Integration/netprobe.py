"""Traffic for test_network.py, run inside containers and node namespaces (python3 from the host view).

serve NAME PORT SECONDS        answer each connection with "NAME ok <peer>"; exits after SECONDS
driver PORT SECONDS            a Spark-like driver: on "register <ip> <port>" it connects back to the executor's
                               block manager, fetches a block and answers with what it got
executor DRIVER:PORT PORT      binds its block manager on the address its hostname resolves to (/etc/hosts),
                               registers with the driver and serves one block fetch
probe LABEL=HOST:PORT ...      one connection per target (3 s timeout): "LABEL ok ..." or "LABEL blocked ..."
Every loop is bounded in count and time; every address is one of the test's own namespaces.
"""
import socket
import sys
import threading
import time


def listener(host, port):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen(16)
    s.settimeout(1)
    return s


def serve(name, port, seconds, handler=None):
    s = listener("0.0.0.0", int(port))
    print("listening", flush=True)
    deadline = time.time() + float(seconds)
    for _ in range(10000):
        if time.time() > deadline:
            break
        try:
            conn, peer = s.accept()
        except socket.timeout:
            continue
        conn.settimeout(5)
        try:
            data = conn.recv(1024).decode()
            reply = handler(data, peer) if handler else f"{name} ok {peer[0]}"
            conn.sendall(reply.encode())
        except OSError as e:
            print(f"serve error {e}", flush=True)
        finally:
            conn.close()


def driver(port, seconds):
    def handle(data, peer):
        words = data.split()
        if len(words) != 3 or words[0] != "register":
            return "driver ok"
        with socket.create_connection((words[1], int(words[2])), timeout=5) as back:
            block = back.recv(1024).decode()
        print(f"registered executor {words[1]} (peer {peer[0]}), fetched {block}", flush=True)
        return f"registered {words[1]} fetched {block}"
    serve("driver", port, seconds, handle)


def executor(target, port):
    me = socket.gethostbyname(socket.gethostname())
    print(f"executor {socket.gethostname()} binds {me}", flush=True)
    bm = listener(me, int(port))
    bm.settimeout(10)

    def one_fetch():
        try:
            conn, _ = bm.accept()
            conn.sendall(b"block-42")
            conn.close()
        except OSError as e:
            print(f"block manager error {e}", flush=True)
    t = threading.Thread(target=one_fetch)
    t.start()
    host, dport = target.rsplit(":", 1)
    for attempt in range(20):
        try:
            with socket.create_connection((host, int(dport)), timeout=3) as c:
                c.sendall(f"register {me} {port}".encode())
                print(f"driver says: {c.recv(1024).decode()}", flush=True)
                break
        except OSError as e:
            print(f"attempt {attempt}: {e}", flush=True)
            time.sleep(0.5)
    t.join(15)


def probe(specs):
    for spec in specs:
        label, target = spec.split("=", 1)
        host, port = target.rsplit(":", 1)
        try:
            with socket.create_connection((host, int(port)), timeout=3) as c:
                c.sendall(label.encode())
                print(f"{label} ok {c.recv(1024).decode()}", flush=True)
        except OSError as e:
            print(f"{label} blocked {e}", flush=True)


if __name__ == "__main__":
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "serve":
        serve(*args)
    elif mode == "driver":
        driver(*args)
    elif mode == "executor":
        executor(*args)
    elif mode == "probe":
        probe(args)
