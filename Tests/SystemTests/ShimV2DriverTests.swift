import Foundation
import Glibc
import LinuxSystem
import RuntimeBase
import RuntimeDrivers
import Testing
import YarnContract

/// The shim v2 driver against the real containerd-shim-runc-v2 + runc, no containerd daemon anywhere.
/// Needs root (the shim only talks to a peer of its own uid, and runc needs root here) and the Debian
/// `containerd` and `runc` packages; skipped with that reason otherwise.
@Suite("shim v2 driver with the real runc shim", .serialized,
       .enabled(if: ShimFixture.available, "needs root, /usr/bin/containerd-shim-runc-v2 and runc"))
struct ShimV2DriverTests {
    @Test("exit code 3 comes back from Wait; stdout and stderr land in the caller's files; nothing is left")
    func exitCodeAndOutput() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, out, err) = try workspace.bundle(id, script: "echo to-stdout; echo to-stderr >&2; exit 3")
        let started = try workspace.driver.start(request)
        #expect(started.pid > 1)
        let shim = try #require(try workspace.driver.shimProcess(id: id))
        #expect(ShimFixture.processIsLive(shim.pid))
        #expect(try workspace.driver.wait(started) == 3)
        // The shim keeps the status after Wait: what `gc` writes for a container whose launcher died.
        #expect(try workspace.driver.state(id: id) == RuntimeState(status: .stopped, pid: started.pid, exitStatus: 3))
        try workspace.driver.delete(id: id)
        // Delete waits for the shim's output copy, so the files are complete now.
        #expect(ShimFixture.read(out) == "to-stdout\n")
        #expect(ShimFixture.read(err) == "to-stderr\n")
        #expect(ShimFixture.leftovers(id: id, shimPid: shim.pid, socket: shim.socket, workspace: workspace) == [])
        #expect(try workspace.driver.state(id: id) == nil)
        try workspace.driver.delete(id: id)   // idempotent
    }

    @Test("SIGTERM to an init that traps it exits 143; state reports running with the init pid before that")
    func terminate() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, out, _) = try workspace.bundle(id, script: "trap 'exit 143' TERM; echo ready; while :; do sleep 0.05; done")
        let started = try workspace.driver.start(request)
        let shim = try #require(try workspace.driver.shimProcess(id: id))
        #expect(ShimFixture.eventually(5) { ShimFixture.read(out).contains("ready") })
        #expect(try workspace.driver.state(id: id) == RuntimeState(status: .running, pid: started.pid))
        try workspace.driver.kill(id: id, signal: SIGTERM)
        #expect(try workspace.driver.wait(started) == 143)
        try workspace.driver.delete(id: id)
        #expect(ShimFixture.leftovers(id: id, shimPid: shim.pid, socket: shim.socket, workspace: workspace) == [])
    }

    @Test("pids and stats of a running task; SIGKILL gives 137; signalling a finished task is INVALID_CONTAINER_PID")
    func inspectAndKill() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, _, _) = try workspace.bundle(id, script: "while :; do sleep 1; done")
        let started = try workspace.driver.start(request)
        let shim = try #require(try workspace.driver.shimProcess(id: id))
        #expect(try workspace.driver.pids(id: id).contains(started.pid))
        let stats = try workspace.driver.statsSummary(id: id)
        #expect(stats.typeURL.contains("cgroups") && stats.bytes > 0)
        try workspace.driver.kill(id: id, signal: SIGKILL)
        #expect(try workspace.driver.wait(started) == 137)
        #expect {
            try workspace.driver.kill(id: id, signal: SIGTERM)
        } throws: { ($0 as? RuntimeError)?.code == .invalidContainerPid }
        try workspace.driver.delete(id: id)
        #expect(ShimFixture.leftovers(id: id, shimPid: shim.pid, socket: shim.socket, workspace: workspace) == [])
        #expect {
            try workspace.driver.kill(id: id, signal: SIGTERM)
        } throws: { ($0 as? RuntimeError)?.code == .invalidContainerPid }
    }

    @Test("delete of a running container kills it and cleans up")
    func deleteRunning() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, _, _) = try workspace.bundle(id, script: "sleep 600")
        let started = try workspace.driver.start(request)
        let shim = try #require(try workspace.driver.shimProcess(id: id))
        try workspace.driver.delete(id: id)
        #expect(!ShimFixture.processIsLive(started.pid))
        #expect(ShimFixture.leftovers(id: id, shimPid: shim.pid, socket: shim.socket, workspace: workspace) == [])
    }

    @Test("shim daemon killed with SIGKILL: state is unknown, delete falls back to the shim's delete action")
    func shimCrash() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, _, _) = try workspace.bundle(id, script: "sleep 600")
        let started = try workspace.driver.start(request)
        let shim = try #require(try workspace.driver.shimProcess(id: id))
        Glibc.kill(shim.pid, SIGKILL)
        #expect(ShimFixture.eventually(5) { !ShimFixture.processIsLive(shim.pid) })
        #expect(ShimFixture.processIsLive(started.pid), "the container outlives its shim")
        #expect(try workspace.freshDriver().state(id: id)?.status == .unknown)
        try workspace.freshDriver().delete(id: id)
        #expect(ShimFixture.eventually(5) { !ShimFixture.processIsLive(started.pid) }, "the delete action killed the container")
        #expect(ShimFixture.leftovers(id: id, shimPid: shim.pid, socket: shim.socket, workspace: workspace) == [])
    }

    @Test("a Create that fails (no such program) is runcSetupFailed/runcRunFailed and leaves nothing behind")
    func failedCreate() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, _, _) = try workspace.bundle(id, script: "exit 0")
        let config = request.bundle.value + "/config.json"
        let text = ShimFixture.read(config).replacingOccurrences(of: "\"\\/bin\\/sh\"", with: "\"\\/no\\/such\\/program\"")
            .replacingOccurrences(of: "\"/bin/sh\"", with: "\"/no/such/program\"")
        #expect(text.contains("/no/such/program") || text.contains("\\/no\\/such\\/program"))
        try text.write(toFile: config, atomically: true, encoding: .utf8)
        #expect {
            try workspace.driver.start(request)
        } throws: { error in
            guard let error = error as? RuntimeError else { return false }
            return (error.code == .runcSetupFailed || error.code == .runcRunFailed) && error.message.contains("no/such/program")
        }
        #expect(ShimFixture.leftovers(id: id, shimPid: 0, socket: "/nonexistent", workspace: workspace) == [])
        #expect(try workspace.driver.state(id: id) == nil)
    }

    @Test("a bundle naming another sandbox is refused before any shim runs")
    func foreignSandbox() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, _, _) = try workspace.bundle(id, script: "exit 0", annotations: ["io.kubernetes.cri.sandbox-id": "container_1_0001_01_000001"])
        #expect {
            try workspace.driver.start(request)
        } throws: { ($0 as? RuntimeError)?.code == .runcSetupFailed && "\($0)".contains("another container's shim") }
        #expect(!FileManager.default.fileExists(atPath: workspace.stateDirectory.value + "/" + id.value))
    }

    @Test("missing shim binary and missing Kata shim are clear runcSetupFailed errors")
    func missingBinaries() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, _, _) = try workspace.bundle(id, script: "exit 0")
        let nowhere = try ShimV2Driver.named("shim:does-not-exist", shimDirectory: try AbsolutePath("/usr/bin"), stateDirectory: workspace.stateDirectory)
        #expect {
            try nowhere.start(request)
        } throws: { ($0 as? RuntimeError)?.code == .runcSetupFailed && "\($0)".contains("containerd-shim-does-not-exist-v2 is not installed") }
        let kata = try ShimV2Driver.kata(shimBinary: try AbsolutePath("/nonexistent/containerd-shim-kata-v2"), configPath: nil,
                                         stateDirectory: workspace.stateDirectory)
        #expect {
            try kata.start(request)
        } throws: { ($0 as? RuntimeError)?.code == .runcSetupFailed && "\($0)".contains("install Kata Containers") }
        #expect(throws: RuntimeError.self) {
            try ShimV2Driver.named("shim:../evil", shimDirectory: try AbsolutePath("/usr/bin"), stateDirectory: workspace.stateDirectory)
        }
    }
}
