"""Traffic for test_network.py, run inside containers and node namespaces (python3 from the host view).

serve NAME PORT SECONDS [HOST] answer each connection with "NAME ok <peer>"; exits after SECONDS; listens on
                               HOST (default all addresses) and PORT (0: the kernel picks; printed)
driver PORT SECONDS            a Spark-like driver: on "register <ip> <port>" it connects back to the executor's
                               block manager, fetches a block and answers with what it got
executor DRIVER:PORT PORT [HOST]
                               binds its block manager on HOST (default: the address its hostname resolves to,
                               /etc/hosts) and PORT (0: the kernel picks), registers that address and port with
                               the driver and serves one block fetch (Spark's executor on YARN binds
                               `--hostname <NodeManager host>` and port 0)
probe LABEL=HOST:PORT ...      one connection per target (3 s timeout): "LABEL ok ..." or "LABEL blocked ..."
udpserve NAME PORT SECONDS     print "NAME got <payload> from <peer>" for each datagram; exits after SECONDS
forge NODE:PORT APP SRC DST:DPORT PAYLOAD [SPORT]
                               send by plain UDP to NODE:PORT a hand-made VXLAN frame with APP's tunnel key as VNI,
                               holding an IPv4/UDP datagram SRC -> DST:DPORT (what a tenant would try to forge)
Every loop is bounded in count and time; every address is one of the test's own namespaces.
"""
import socket
import struct
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


def serve(name, port, seconds, host="0.0.0.0", handler=None):
    s = listener(host, int(port))
    print("listening %s:%d" % s.getsockname(), flush=True)
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
    serve("driver", port, seconds, handler=handle)


def executor(target, port, host=None):
    me = host or socket.gethostbyname(socket.gethostname())
    canonical = socket.gethostbyaddr(me)[0] if not host else host   # Java's getCanonicalHostName (Spark's driver host)
    bm = listener(me, int(port))
    port = bm.getsockname()[1]
    print(f"executor {socket.gethostname()} binds {me}:{port} canonical {canonical}", flush=True)
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


def selfdial(host):
    """Binds HOST and port 0, then dials the address it advertises (HOST and that port): a program reaching its own
    listener through its advertised address, as a Spark executor may through its block manager."""
    s = listener(host, 0)
    port = s.getsockname()[1]
    reached = []
    t = threading.Thread(target=lambda: reached.append(s.accept()[1][0]) if True else None)
    t.start()
    try:
        with socket.create_connection((host, port), timeout=3):
            t.join(5)
            print(f"selfdial ok {host}:{port} from {reached[0] if reached else '?'}", flush=True)
    except OSError as e:
        print(f"selfdial blocked {e}", flush=True)
    t.join(5)


def udpserve(name, port, seconds):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", int(port)))
    s.settimeout(1)
    print("listening", flush=True)
    deadline = time.time() + float(seconds)
    while time.time() < deadline:
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            continue
        print(f"{name} got {data.decode(errors='replace')} from {peer[0]}", flush=True)


def tunnel_key(application):
    """TunnelPlan.key(of:): 1 + (sequence + FNV-1a-64(cluster timestamp digits)) mod (2^24 - 1)."""
    _, stamp, sequence = application.split("_")
    modulus, h = (1 << 24) - 1, 0xcbf29ce484222325
    for byte in stamp.encode():
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return (int(sequence) % modulus + h % modulus) % modulus + 1


def checksum(header):
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    total = (total >> 16) + (total & 0xFFFF)
    return ~(total + (total >> 16)) & 0xFFFF


def forge(target, application, src, dst, payload, sport=None):
    node, port = target.rsplit(":", 1)
    dst_host, dport = dst.rsplit(":", 1)
    body = payload.encode()
    udp = struct.pack("!HHHH", 40000, int(dport), 8 + len(body), 0) + body
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, socket.inet_aton(src), socket.inet_aton(dst_host))
    ip = ip[:10] + struct.pack("!H", checksum(ip)) + ip[12:]
    node_mac = bytes([0x02, 0x6B]) + socket.inet_aton(node)   # TunnelPlan.mac(of:)
    frame = node_mac + bytes([0x02, 0, 0, 0, 0, 0x99]) + b"\x08\x00" + ip + udp
    vxlan = struct.pack("!II", 0x08000000, tunnel_key(application) << 8)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        if sport:
            s.bind(("0.0.0.0", int(sport)))   # the tunnel's own source ports are privileged
        for _ in range(3):
            s.sendto(vxlan + frame, (node, int(port)))
            time.sleep(0.2)
    print(f"forged vni {tunnel_key(application)} to {target}", flush=True)


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
    elif mode == "selfdial":
        selfdial(*args)
    elif mode == "udpserve":
        udpserve(*args)
    elif mode == "forge":
        forge(*args)
