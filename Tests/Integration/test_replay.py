"""Replay of every recorded NodeManager invocation (issue 3): prints `N passed, N failed` for them."""
import os
import pwd
import shutil

import pytest

from conftest import APP, NM_USER, SUMMARY
from replay import Replayer, build_image, load_index


def test_replay_recorded_nodemanager(make_node):
    if not shutil.which("mksquashfs"):
        pytest.skip("mksquashfs (Debian squashfs-tools) is needed to build the runc replay image")
    node = make_node("runc", extra_cfg="")
    node.write_cfg(runc_section(node))
    (node.root / "hadoop" / "etc" / "hadoop").mkdir(parents=True, exist_ok=True)
    replayer = Replayer(node)
    replayer.image = build_image(node.root / "images" / "runc-test-image.sqsh")
    invocations = load_index()
    for inv in invocations:
        replayer.replay(inv)
    replayer.finish()
    if os.environ.get("KYR_REPLAY_KEEP"):
        print("kept", node.root)
    results = {r["capture"]: r for r in replayer.results}
    passed = [r for r in results.values() if r["ok"]]
    failed = [r for r in results.values() if not r["ok"]]
    lines = [""]
    for r in sorted(failed, key=lambda r: r["capture"]):
        lines.append(f"REPLAY FAIL {r['capture']}: recorded {r['recorded']}, expected {r['expected']}, got {r['actual']}; "
                     f"effects {r['effects'][:3]} {r['stderr'].strip()[-200:]}")
    for r in sorted(results.values(), key=lambda r: r["capture"]):
        if r["deviation"] and r["ok"]:
            lines.append(f"REPLAY DEVIATION {r['capture']}: recorded {r['recorded']}, here {r['actual']}: {r['deviation']}")
    lines.append(f"replay: {len(passed)} passed, {len(failed)} failed")
    SUMMARY.extend(lines)   # printed after the run by conftest's pytest_terminal_summary
    assert len(results) == len(invocations), "every recorded invocation was replayed"
    assert not failed
    assert node.leftovers() == []


def runc_section(node):
    nm = node.root / "nm"
    return (f"[runc]\n  runc.allowed.ro-mounts={node.root / 'hadoop'},/usr/lib/jvm,/etc/passwd,/etc/group\n"
            f"  runc.allowed.rw-mounts={nm / 'local'},{nm / 'logs'}\n")
