import Foundation
import Glibc
import LinuxSystem
import RuntimeBase
import RuntimeDrivers
import Testing
import YarnContract

/// NodeManager-restart recovery: the launcher process that started a container through the shim is killed with
/// SIGKILL while blocked in Wait; a fresh driver in this process reconnects through shim.json alone.
@Suite("shim v2 recovery across processes", .serialized,
       .enabled(if: ShimFixture.available, "needs root, /usr/bin/containerd-shim-runc-v2 and runc"))
struct ShimV2RecoveryTests {
    @Test("kill -9 of the launcher blocked in Wait; a new process sees it running, signals it (143), deletes it")
    func launcherKilled() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, out, _) = try workspace.bundle(id, script: "trap 'exit 143' TERM; echo ready; while :; do sleep 0.05; done")
        let report = workspace.root + "/child.report"
        let child = Process()
        child.executableURL = URL(fileURLWithPath: try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        child.arguments = ["--testing-library", "swift-testing", "--filter", "ShimV2LauncherChild"]
        // The test binary scrubs its environment before main (CLinuxShim's prologue), so the child finds its
        // parameters in a root-only file named after its parent's pid.
        let parameters = ShimV2LauncherChild.parametersPath(parent: getpid())
        try [id.value, request.bundle.value, workspace.stateDirectory.value, out, report].joined(separator: "\n")
            .write(toFile: parameters, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: parameters) }
        child.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        child.standardError = FileHandle(forWritingAtPath: "/dev/null")
        try child.run()
        #expect(ShimFixture.eventually(30) { ShimFixture.read(report).hasPrefix("started ") }, "child launcher started the container")
        let pid = Int32(ShimFixture.read(report).split(separator: " ").last.map(String.init) ?? "") ?? 0
        #expect(ShimFixture.eventually(5) { ShimFixture.read(out).contains("ready") })
        usleep(100_000)   // let the child settle into Wait
        #expect(child.isRunning && !ShimFixture.read(report).contains("exited"), "child is blocked in Wait")
        Glibc.kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        #expect(child.terminationReason == .uncaughtSignal)

        let driver = try workspace.freshDriver()
        let shim = try #require(try driver.shimProcess(id: id))
        #expect(try driver.state(id: id) == RuntimeState(status: .running, pid: pid))
        #expect(try driver.pids(id: id).contains(pid))
        try driver.kill(id: id, signal: SIGTERM)
        #expect(try driver.wait(StartedContainer(id: id, pid: pid, supervisor: nil)) == 143)
        try driver.delete(id: id)
        #expect(ShimFixture.read(out) == "ready\n", "output kept flowing into the file after the launcher died")
        #expect(ShimFixture.leftovers(id: id, shimPid: shim.pid, socket: shim.socket, workspace: workspace) == [])
    }
}

/// Not a test on its own: the body of the child launcher process above, run only when that test spawns this
/// binary and left its parameters file (skipped otherwise). It starts the container, reports, and blocks in Wait.
@Suite("shim v2 launcher child")
struct ShimV2LauncherChild {
    static func parametersPath(parent: Int32) -> String { "/run/kyr-shimv2-child-\(parent).params" }
    static var parameters: [String] {
        ShimFixture.read(parametersPath(parent: getppid())).split(separator: "\n").map(String.init)
    }

    @Test("child: start and wait", .enabled(if: parameters.count == 5, "runs only as ShimV2RecoveryTests' child process"))
    func startAndWait() throws {
        let p = Self.parameters
        let id = try ContainerId(p[0])
        let driver = try ShimV2Driver.named("shim:runc", shimDirectory: try AbsolutePath(ShimFixture.shimDirectory),
                                            stateDirectory: try AbsolutePath(p[2]))
        let out = open(p[3], O_WRONLY | O_APPEND | O_CLOEXEC)
        let request = StartRequest(id: id, bundle: try AbsolutePath(p[1]), stdio: [-1, out, out], workDirectory: try AbsolutePath("/tmp"))
        let started = try driver.start(request)
        let report = p[4]
        try "started \(started.pid)".write(toFile: report, atomically: true, encoding: .utf8)
        let status = try driver.wait(started)
        try "started \(started.pid) exited \(status)".write(toFile: report, atomically: true, encoding: .utf8)
    }
}
