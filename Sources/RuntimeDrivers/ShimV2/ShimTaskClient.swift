import LinuxSystem
import RuntimeBase
import SwiftProtobuf
import TTRPC

/// The shim v2 Task service (`containerd.task.v2.Task`) over one ttrpc connection, one typed method per call.
/// Errors stay `TTRPCError` here so the driver can tell "no such task" (NOT_FOUND) from "shim gone".
final class ShimTaskClient {
    static let service = "containerd.task.v2.Task"

    let connection: TTRPCClient
    let id: String
    /// Deadline for calls that should answer promptly (all but Create and Wait).
    let callTimeoutMilliseconds: Int

    init(socketPath: String, id: String, callTimeoutMilliseconds: Int, system: any System) throws(TTRPCError) {
        // The shim itself only accepts a peer with its own uid and gid; we insist on the same in return.
        connection = try TTRPCClient(socketPath: socketPath, requirePeerUid: system.effectiveIds().uid, system: system)
        self.id = id
        self.callTimeoutMilliseconds = callTimeoutMilliseconds
    }

    private func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ method: String, _ request: Request, as type: Response.Type, timeout: Int?
    ) throws(TTRPCError) -> Response {
        try connection.call(service: Self.service, method: method, request, as: type, timeoutMilliseconds: timeout)
    }

    func connect() throws(TTRPCError) -> Containerd_Task_V2_ConnectResponse {
        var request = Containerd_Task_V2_ConnectRequest()
        request.id = id
        return try call("Connect", request, as: Containerd_Task_V2_ConnectResponse.self, timeout: callTimeoutMilliseconds)
    }

    func create(bundle: String, stdio: ShimStdio, timeoutMilliseconds: Int) throws(TTRPCError) -> UInt32 {
        var request = Containerd_Task_V2_CreateTaskRequest()
        request.id = id
        request.bundle = bundle
        request.stdin = stdio.stdin
        request.stdout = stdio.stdout
        request.stderr = stdio.stderr
        // rootfs stays empty: the bundle's root is a directory config.json names; nothing for the shim to mount.
        return try call("Create", request, as: Containerd_Task_V2_CreateTaskResponse.self, timeout: timeoutMilliseconds).pid
    }

    func start() throws(TTRPCError) -> UInt32 {
        var request = Containerd_Task_V2_StartRequest()
        request.id = id
        return try call("Start", request, as: Containerd_Task_V2_StartResponse.self, timeout: callTimeoutMilliseconds).pid
    }

    /// Blocks until the task exits when `timeoutMilliseconds` is nil.
    func wait(timeoutMilliseconds: Int?) throws(TTRPCError) -> UInt32 {
        var request = Containerd_Task_V2_WaitRequest()
        request.id = id
        return try call("Wait", request, as: Containerd_Task_V2_WaitResponse.self, timeout: timeoutMilliseconds).exitStatus
    }

    func state() throws(TTRPCError) -> Containerd_Task_V2_StateResponse {
        var request = Containerd_Task_V2_StateRequest()
        request.id = id
        return try call("State", request, as: Containerd_Task_V2_StateResponse.self, timeout: callTimeoutMilliseconds)
    }

    func pids() throws(TTRPCError) -> [UInt32] {
        var request = Containerd_Task_V2_PidsRequest()
        request.id = id
        return try call("Pids", request, as: Containerd_Task_V2_PidsResponse.self, timeout: callTimeoutMilliseconds).processes.map(\.pid)
    }

    func stats() throws(TTRPCError) -> (typeURL: String, bytes: Int) {
        var request = Containerd_Task_V2_StatsRequest()
        request.id = id
        let any = try call("Stats", request, as: Containerd_Task_V2_StatsResponse.self, timeout: callTimeoutMilliseconds).stats
        return (any.typeURL, any.value.count)
    }

    func kill(signal: UInt32, all: Bool) throws(TTRPCError) {
        var request = Containerd_Task_V2_KillRequest()
        request.id = id
        request.signal = signal
        request.all = all
        _ = try call("Kill", request, as: SwiftProtobuf.Google_Protobuf_Empty.self, timeout: callTimeoutMilliseconds)
    }

    func delete() throws(TTRPCError) -> Containerd_Task_V2_DeleteResponse {
        var request = Containerd_Task_V2_DeleteRequest()
        request.id = id
        return try call("Delete", request, as: Containerd_Task_V2_DeleteResponse.self, timeout: callTimeoutMilliseconds)
    }

    /// Asks the shim to exit once it has no tasks. The shim may exit before its reply is sent: EOF counts as done.
    func shutdown() throws(TTRPCError) {
        var request = Containerd_Task_V2_ShutdownRequest()
        request.id = id
        do {
            _ = try call("Shutdown", request, as: SwiftProtobuf.Google_Protobuf_Empty.self, timeout: callTimeoutMilliseconds)
        } catch {
            if case .connectionClosed = error { return }
            throw error
        }
    }
}

/// The three stdio strings of CreateTaskRequest. The shim opens them itself, so our fds are named through
/// /proc/<our pid>/fd/<n>: the shim (root) opens the same files while we block in Create. Regular files are
/// opened write+append by the runc shim; pipes and FIFOs as FIFOs. Both or neither of stdout/stderr must be set.
struct ShimStdio: Sendable, Equatable {
    var stdin = ""
    var stdout = ""
    var stderr = ""

    init(stdin: String = "", stdout: String = "", stderr: String = "") {
        self.stdin = stdin; self.stdout = stdout; self.stderr = stderr
    }

    /// `fds` as StartRequest gives them (0, 1, 2; -1 or missing = /dev/null). Stdin is never forwarded: a
    /// YARN container reads none (the launcher hands /dev/null), and an empty stdin is /dev/null in the container.
    ///
    /// `fileURI`: stdout (or stderr when there is no stdout) as `file:///proc/<pid>/fd/<n>`, given for both streams:
    /// the shim opens that one file O_APPEND and writes both streams to it (Kata 3.32
    /// src/runtime/pkg/containerd-shim-v2/shim_io_file.go, openLogFile/newFileIO; the runc shim likewise).
    init(fds: [Int32], pid: Int32, fileURI: Bool = false) {
        func path(_ index: Int) -> String? {
            guard index < fds.count, fds[index] >= 0 else { return nil }
            return "/proc/\(pid)/fd/\(fds[index])"
        }
        if fileURI {
            if let target = path(1) ?? path(2) { stdout = "file://" + target; stderr = stdout }
            return
        }
        let out = path(1), err = path(2)
        if out != nil || err != nil {
            stdout = out ?? "/dev/null"
            stderr = err ?? "/dev/null"
        }
    }
}
