import Foundation
import Glibc
import LinuxSystem
import RuntimeBase
@testable import RuntimeDrivers
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

    @Test("Create fails before the shim records any runtime state: its delete action errors, yet delete and a fresh delete converge")
    func failedCreateWithoutRuntimeState() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, _, _) = try workspace.bundle(id, script: "exit 0")
        // The runc shim writes <bundle>/options.json before anything else in Create; a directory in its place makes
        // Create fail there, so no `runtime` file and no runc state ever exist. The shim's `delete` action then
        // fails on the missing state, as Kata's does on a missing /run/vc/sbs/<id>.
        try FileManager.default.createDirectory(atPath: request.bundle.value + "/options.json", withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: request.bundle.value + "/options.json/keep", withIntermediateDirectories: false)
        #expect {
            try workspace.driver.start(request)
        } throws: { ($0 as? RuntimeError)?.code == .runcSetupFailed && "\($0)".contains("create") }
        #expect(ShimFixture.leftovers(id: id, shimPid: 0, socket: "/nonexistent", workspace: workspace) == [])
        #expect(try workspace.freshDriver().state(id: id) == nil)
        try workspace.freshDriver().delete(id: id)   // idempotent, as gc runs it
    }

    @Test("a live shim that answers NotFound and a delete action that fails: the record left by a dead launcher still deletes")
    func deleteAfterFailedCreateByDeadLauncher() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, _, _) = try workspace.bundle(id, script: "exit 0")
        try FileManager.default.createDirectory(atPath: request.bundle.value + "/options.json/keep", withIntermediateDirectories: true)
        // A launcher that died inside Create leaves shim.json and a live shim with no task: replay that state with a
        // driver whose start never tears down (the shim is started and Create fails, exactly as in a real launch).
        let shim = try ShimV2DriverTests.startLeavingFailedCreate(request, driver: workspace.driver)
        #expect(shim.createFailed)
        #expect(ShimFixture.processIsLive(shim.pid), "the shim outlives the failed Create")
        #expect(try workspace.freshDriver().state(id: id) == nil, "a live shim that does not know the task: nothing to report")
        try workspace.freshDriver().delete(id: id)
        #expect(ShimFixture.leftovers(id: id, shimPid: shim.pid, socket: shim.socket, workspace: workspace) == [])
        try workspace.freshDriver().delete(id: id)
    }

    @Test("shim killed after a failed Create: the delete action fails on the missing runtime state, which counts as gone")
    func deleteAfterFailedCreateAndDeadShim() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        let id = try workspace.newId()
        let (request, _, _) = try workspace.bundle(id, script: "exit 0")
        try FileManager.default.createDirectory(atPath: request.bundle.value + "/options.json/keep", withIntermediateDirectories: true)
        let shim = try ShimV2DriverTests.startLeavingFailedCreate(request, driver: workspace.driver)
        #expect(shim.createFailed)
        Glibc.kill(shim.pid, SIGKILL)
        #expect(ShimFixture.eventually(5) { !ShimFixture.processIsLive(shim.pid) })
        #expect(try workspace.freshDriver().state(id: id)?.status == .unknown)
        try workspace.freshDriver().delete(id: id)
        #expect(ShimFixture.leftovers(id: id, shimPid: shim.pid, socket: shim.socket, workspace: workspace) == [])
    }

    @Test("raw signal exits (Kata < 3.32 reports SIGUSR1 death as 10): mapped to 128+signal only for a signal the driver sent")
    func rawSignalExitMapping() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        var driver = try workspace.freshDriver()
        driver.mapsRawSignalExits = true
        // The init answers USR1 with the bare signal number, as Kata's agent before 3.32 reports a signal death.
        let id = try workspace.newId()
        let (request, out, _) = try workspace.bundle(id, script: "trap 'exit 10' USR1; echo ready; while :; do sleep 0.05; done")
        let started = try driver.start(request)
        #expect(ShimFixture.eventually(5) { ShimFixture.read(out).contains("ready") })
        try driver.kill(id: id, signal: SIGUSR1)
        var waiter = try workspace.freshDriver()   // another process waits: it reads what kill recorded
        waiter.mapsRawSignalExits = true
        #expect(try waiter.wait(started) == 138)
        try driver.delete(id: id)
        // The same code without a signal sent is the workload's own exit code.
        let id2 = try workspace.newId()
        let (request2, _, _) = try workspace.bundle(id2, script: "exit 10")
        let started2 = try driver.start(request2)
        #expect(try driver.wait(started2) == 10)
        try driver.delete(id: id2)
        // And a driver that does not map (every shim but kata) returns what the shim says.
        let id3 = try workspace.newId()
        let (request3, out3, _) = try workspace.bundle(id3, script: "trap 'exit 10' USR1; echo ready; while :; do sleep 0.05; done")
        let started3 = try workspace.driver.start(request3)
        #expect(ShimFixture.eventually(5) { ShimFixture.read(out3).contains("ready") })
        try workspace.driver.kill(id: id3, signal: SIGUSR1)
        #expect(try workspace.driver.wait(started3) == 10)
        try workspace.driver.delete(id: id3)
    }

    @Test("stdio as a file:// URI (Kata's appending file scheme): a relaunch into the same log file appends, both streams land in it")
    func stdioFileURIAppends() throws {
        let workspace = try ShimFixture.Workspace()
        defer { workspace.closeDescriptors() }
        var driver = try workspace.freshDriver()
        driver.stdioAsFileURI = true
        let first = try workspace.newId()
        let (request, out, _) = try workspace.bundle(first, script: "echo first-out; echo first-err >&2")
        _ = try driver.start(request)
        #expect(try driver.wait(StartedContainer(id: first, pid: 0, supervisor: nil)) == 0)
        try driver.delete(id: first)
        #expect(ShimFixture.read(out) == "first-out\nfirst-err\n" || ShimFixture.read(out) == "first-err\nfirst-out\n")
        // The relaunch writes into the same file through a fresh descriptor of the launcher (no O_APPEND of ours
        // reaches the shim: it opens /proc/<pid>/fd/<n> itself).
        let second = try workspace.newId()
        var (request2, _, _) = try workspace.bundle(second, script: "echo again")
        let fd = open(out, O_WRONLY | O_CLOEXEC)
        defer { close(fd) }
        request2.stdio = [-1, fd, fd]
        _ = try driver.start(request2)
        #expect(try driver.wait(StartedContainer(id: second, pid: 0, supervisor: nil)) == 0)
        try driver.delete(id: second)
        let text = ShimFixture.read(out)
        #expect(text.hasSuffix("again\n") && text.contains("first-out\n") && text.contains("first-err\n"), "\(text)")
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

extension ShimV2DriverTests {
    /// What a launcher killed right after a failed Create leaves: the driver's own bootstrap, record and Create, with
    /// the teardown that `start` would run skipped (the process that would have run it is gone).
    static func startLeavingFailedCreate(_ request: StartRequest, driver: ShimV2Driver) throws -> (pid: Int32, socket: String, createFailed: Bool) {
        let layout = try ShimLayout(stateDirectory: driver.stateDirectory, id: request.id)
        try driver.prepareStateDirectory(layout, id: request.id, bundle: request.bundle)
        try driver.system.writeFileAtomically(try request.bundle.appending("log").value, [], mode: 0o600, code: .runcSetupFailed)
        let address = try driver.bootstrap.start(id: request.id, bundle: request.bundle, layout: layout)
        var record = ShimRecord(runtime: driver.name, shimBinary: driver.shimBinary.value, namespace: driver.namespace, id: request.id.value,
                                bundle: request.bundle.value, bundleAlias: try layout.alias(for: request.id).value,
                                address: address, containerdAddress: try layout.containerdAddress.value)
        let client = try driver.taskClient(record)
        defer { client.connection.close() }
        record.shimPid = Int32(bitPattern: try client.connect().shimPid)
        try driver.save(record, layout)
        var failed = false
        do { _ = try client.create(bundle: request.bundle.value, stdio: ShimStdio(fds: request.stdio, pid: getpid()), timeoutMilliseconds: 30_000) } catch { failed = true }
        return (record.shimPid, record.socketPath, failed)
    }
}

@Suite("shim runtime state rules")
struct ShimRuntimeStateTests {
    @Test("a failed delete action is 'gone' only when the known state is absent, or the live shim said NotFound for an unknown layout")
    func rules() {
        #expect(ShimRuntimeState.directory(runtime: "kata", shimBinary: "/usr/bin/containerd-shim-kata-v2", namespace: "kata-yarn", id: "c1") == "/run/vc/sbs/c1")
        #expect(ShimRuntimeState.directory(runtime: "shim:runc", shimBinary: "/usr/bin/containerd-shim-runc-v2", namespace: "kata-yarn", id: "c1")
                == "/run/containerd/runc/kata-yarn/c1")
        #expect(ShimRuntimeState.directory(runtime: "shim:foo", shimBinary: "/usr/bin/containerd-shim-foo-v2", namespace: "kata-yarn", id: "c1") == nil)
        #expect(ShimRuntimeState.actionFailureMeansGone(stateDirectoryExists: false, liveShimSaidNotFound: false))
        #expect(!ShimRuntimeState.actionFailureMeansGone(stateDirectoryExists: true, liveShimSaidNotFound: true))
        #expect(ShimRuntimeState.actionFailureMeansGone(stateDirectoryExists: nil, liveShimSaidNotFound: true))
        #expect(!ShimRuntimeState.actionFailureMeansGone(stateDirectoryExists: nil, liveShimSaidNotFound: false))
    }

    @Test("exit status: a bare signal number we sent becomes 128+signal; anything else is kept")
    func exitStatus() throws {
        #expect(ShimExitStatus.normalized(9, signalsSent: [9]) == 137)
        #expect(ShimExitStatus.normalized(15, signalsSent: [9, 15]) == 143)
        #expect(ShimExitStatus.normalized(9, signalsSent: [15]) == 9, "exit 9 of its own")
        #expect(ShimExitStatus.normalized(137, signalsSent: [9]) == 137, "Kata >= 3.32 already adds 128")
        #expect(ShimExitStatus.normalized(0, signalsSent: [0]) == 0)
        #expect(ShimExitStatus.normalized(3, signalsSent: []) == 3)
        let kata = try ShimV2Driver.kata(shimBinary: try AbsolutePath("/usr/bin/containerd-shim-kata-v2"), configPath: nil,
                                         stateDirectory: try AbsolutePath("/tmp/x"))
        #expect(kata.mapsRawSignalExits)
    }
}
