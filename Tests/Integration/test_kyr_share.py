"""kyr-share.so on its own (issue 19): the bind(2) wrapper that gives sandboxes with their own network stack their
share of the node's address. Here on the host's loopback, 127.0.0.2 standing for the node's address and 127.0.0.1
for the container's: what the library does does not depend on the sandbox, which test_network.py covers.
"""
import random
import socket
import subprocess
import sys

import pytest

from conftest import BUILD

PROGRAM = r'''
import errno, socket, sys
def bind(family, host, port=0):
    s = socket.socket(family, socket.SOCK_STREAM)
    try:
        s.bind((host, port))
    except OSError as e:
        return s, "error " + errno.errorcode[e.errno]
    return s, "%s %d" % s.getsockname()[:2]
held = []
for spec in sys.argv[1:]:
    family, host, port = spec.split("/")
    s, text = bind(socket.AF_INET6 if family == "6" else socket.AF_INET, host, int(port))
    held.append(s)
    print(text)
'''


def run(share, *binds):
    env = {"LD_PRELOAD": str(BUILD / "kyr-share.so"), "PATH": "/usr/bin:/bin"}
    if share is not None:
        env["KYR_SHARE"] = share
    result = subprocess.run([sys.executable, "-c", PROGRAM, *binds], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    return result.stdout.split("\n")[:-1]


def free_block(size=3):
    """`size` consecutive ports free on 127.0.0.1 right now, and low + 8 (fixed ports could be taken)."""
    for _ in range(200):
        low = random.randrange(40000, 49000)
        probes = []
        try:
            for port in list(range(low, low + size)) + [low + 8]:
                s = socket.socket()
                probes.append(s)
                s.bind(("127.0.0.1", port))
            return low
        except OSError:
            continue
        finally:
            for s in probes:
                s.close()
    pytest.fail("no free block of ports on 127.0.0.1")


@pytest.fixture(autouse=True)
def library():
    if not (BUILD / "kyr-share.so").exists():
        pytest.fail(f"{BUILD / 'kyr-share.so'} missing: run `make release` first (make test does)")


def test_a_bind_to_the_node_address_takes_a_port_of_the_block_on_the_container_address():
    low = free_block()
    out = run(f"127.0.0.2,127.0.0.1,{low}-{low + 2}", "4/127.0.0.2/0", "6/::ffff:127.0.0.2/0", "4/127.0.0.2/0", "4/127.0.0.2/0")
    ports = [int(line.split()[1]) for line in out[:3]]
    assert out[0].startswith("127.0.0.1 ") and out[1].startswith("::ffff:127.0.0.1 ") and out[2].startswith("127.0.0.1 "), out
    assert sorted(ports) == [low, low + 1, low + 2], "each bind a distinct port of the block"
    assert out[3] == "error EADDRINUSE", "a full block answers what a full ephemeral range does"


def test_a_fixed_port_keeps_its_number_and_other_addresses_pass_through():
    low = free_block()
    out = run(f"127.0.0.2,127.0.0.1,{low}-{low + 2}", f"4/127.0.0.2/{low + 8}", "4/127.0.0.3/0", "4/0.0.0.0/0")
    assert out[0] == f"127.0.0.1 {low + 8}", out
    assert out[1].startswith("127.0.0.3 ") and out[2].startswith("0.0.0.0 "), out


@pytest.mark.parametrize("share", [None, "", "127.0.0.2", "127.0.0.2,127.0.0.1", "127.0.0.2,127.0.0.1,47313-47311",
                                   "127.0.0.2,127.0.0.1,0-5", "127.0.0.2,127.0.0.1,47311-70000", "x,127.0.0.1,47311-47313",
                                   "127.0.0.2,127.0.0.1,47311-47313x", "127.0.0.2," + "1" * 200])
def test_without_a_valid_share_binds_are_untouched(share):
    out = run(share, "4/127.0.0.2/0")
    assert out[0].startswith("127.0.0.2 "), out
