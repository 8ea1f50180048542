#!/usr/bin/env python3
"""Makes an instrumented copy of the sources for bench/timeline.py: `KYRMARK <CLOCK_MONOTONIC ns> <step>` on stderr
at each step of a launch. Never for installation: the copy is built under its own scratch path.

  python3 bench/instrument.py /tmp/kyr-instr          # git archive HEAD + edits (or: --from <source dir>)
  cd /tmp/kyr-instr && swift build --scratch-path .build-instr -c release --product kata-yarn-runtime --static-swift-stdlib
  KYR_BUILD_DIR=<dir with that binary + kyr-init + kyr-compat.so> python3 bench/timeline.py
"""
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

MARK = '''

/// Benchmark instrumentation (bench/instrument.py; private builds only): monotonic timestamp + label on stderr.
public func kyrMark(_ label: String) {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    let line = "KYRMARK \\(UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)) \\(label)\\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
}
'''

EDITS = {
    "Sources/RuntimeCore/LaunchContainer.swift": [
        ("        let system = context.system\n        let user = try UserPolicy", "        kyrMark(\"LaunchContainer.run\")\n        let system = context.system\n        let user = try UserPolicy"),
        ("        try prepareLayout(layout, sources: sources, user: user)\n", "        kyrMark(\"read NM files as the NM\")\n        try prepareLayout(layout, sources: sources, user: user)\n        kyrMark(\"YARN dirs and copies\")\n"),
        ("        let seccomp = try SeccompLoader.load(context)\n", "        let seccomp = try SeccompLoader.load(context)\n        kyrMark(\"seccomp profile compiled\")\n"),
        ("        let bundle = try containerDir.appending(\"bundle\")\n", "        kyrMark(\"host facts\")\n        let bundle = try containerDir.appending(\"bundle\")\n"),
        ("        try system.makeDirectory(bundle.value, mode: 0o711", "        kyrMark(\"bundle planned\")\n        try system.makeDirectory(bundle.value, mode: 0o711"),
        ("            let stdio = try openStdio(request, user: user)\n", "            kyrMark(\"bundle written\")\n            let stdio = try openStdio(request, user: user)\n"),
        ("            started = container\n", "            started = container\n            kyrMark(\"driver.start returned\")\n"),
        ("            let status = try driver.wait(container)\n", "            kyrMark(\"pid file + record written\")\n            let status = try driver.wait(container)\n            kyrMark(\"driver.wait returned\")\n"),
        ("            try cleanUp(driver, request.containerId, store: store", "            kyrMark(\"exit code written\")\n            try cleanUp(driver, request.containerId, store: store"),
        ("            return status\n        } catch {", "            kyrMark(\"cleanup done (runtime delete + bundle removed)\")\n            return status\n        } catch {"),
    ],
    "Sources/RuntimeDrivers/OCICLI/OCICLIDriver.swift": [
        ("        var pause = 1\n", "        kyrMark(\"runtime spawned\")\n        var pause = 1\n"),
        ("            if let pid = readPid(pidFile) { return", "            if let pid = readPid(pidFile) { kyrMark(\"runtime pid file seen\"); return"),
        ("            if let status = try system.pollExit(supervisor) {\n", "            if let status = try system.pollExit(supervisor) {\n                kyrMark(\"runtime exit seen while polling\")\n"),
        ("        guard try state(id: id) != nil else { return }", "        kyrMark(\"delete: runtime state query\")\n        guard try state(id: id) != nil else { kyrMark(\"delete: runtime has no state\"); return }"),
    ],
    "Sources/RuntimeDrivers/ShimV2/ShimV2Driver.swift": [
        ("            let address = try bootstrap.start(", "            kyrMark(\"shim: state dir prepared\")\n            let address = try bootstrap.start("),
        ("            try save(record, layout)\n        } catch {", "            try save(record, layout)\n            kyrMark(\"shim: `start` action done (daemon up)\")\n        } catch {"),
        ("            stage = \"create\"\n", "            kyrMark(\"shim: connected\")\n            stage = \"create\"\n"),
        ("            stage = \"start\"\n", "            kyrMark(\"shim: Create done\")\n            stage = \"start\"\n"),
        ("            return StartedContainer(id: request.id, pid: record.taskPid, supervisor: nil)", "            kyrMark(\"shim: Start done\")\n            return StartedContainer(id: request.id, pid: record.taskPid, supervisor: nil)"),
    ],
    "Sources/RuntimeDrivers/ShimV2/ShimV2Driver+Lifecycle.swift": [
        ("            do { _ = try client.delete(); taskDeleted = true }", "            kyrMark(\"teardown: State (+Kill) done\")\n            do { _ = try client.delete(); taskDeleted = true }"),
        ("            if taskDeleted || taskUnknown { _ = try? client.shutdown() }\n", "            kyrMark(\"teardown: Delete done\")\n            if taskDeleted || taskUnknown { _ = try? client.shutdown() }\n            kyrMark(\"teardown: Shutdown done\")\n"),
        ("        if isShim(shimPid, binary: record.shimBinary) {\n            throw", "        kyrMark(\"teardown: shim daemon gone\")\n        if isShim(shimPid, binary: record.shimBinary) {\n            throw"),
    ],
    "Sources/kata-yarn-runtime/main.swift": [
        ("let arguments = CommandLine.arguments\n", "let arguments = CommandLine.arguments\nkyrMark(\"main (after exec, dynamic loading, C prologue)\")\n"),
    ],
}


def main():
    args = sys.argv[1:]
    source = None
    if args[:1] == ["--from"]:
        source, args = Path(args[1]), args[2:]
    dest = Path(args[0])
    if dest.exists():
        shutil.rmtree(dest)
    if source:
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns(".build*", ".git"))
    else:
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", "HEAD"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    processes = dest / "Sources/LinuxSystem/LiveSystem+Processes.swift"
    processes.write_text(processes.read_text() + MARK)
    main_swift = dest / "Sources/kata-yarn-runtime/main.swift"
    main_swift.write_text("import LinuxSystem\n" + main_swift.read_text())
    for rel, edits in EDITS.items():
        path = dest / rel
        text = path.read_text()
        for old, new in edits:
            if old not in text:
                sys.exit(f"instrument: {rel}: anchor not found (sources changed?): {old[:60]!r}")
            text = text.replace(old, new, 1)
        path.write_text(text)
    print(f"instrumented sources in {dest}")


if __name__ == "__main__":
    main()
