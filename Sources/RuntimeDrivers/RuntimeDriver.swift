import RuntimeBase

/// What a launcher needs from a sandbox runtime. One bundle, many runtimes: `OCICLIDriver` (runc, runsc) and
/// `ShimV2Driver` (containerd shim v2 over ttrpc: Kata, runc-v2, any shim) implement the same lifecycle.
///
/// Lifecycle: `start` creates and starts the container from a bundle and returns once its init runs (or fails);
/// `wait` blocks until it exits and returns the exit status as the NodeManager expects it (128+signal for a
/// signal death); `kill`, `state` and `delete` work from any process, given only the container id, so that a new
/// launcher process (signal verb, NodeManager restart) can act on a container it did not start.
public protocol RuntimeDriver: Sendable {
    /// `runc`, `runsc`, `kata`, `shim:<name>`.
    var name: String { get }

    /// Creates and starts the container. `stdio` are host fds for the container's stdin/stdout/stderr.
    func start(_ request: StartRequest) throws(RuntimeError) -> StartedContainer

    /// Blocks until the container started by this process exits; returns its exit status.
    func wait(_ container: StartedContainer) throws(RuntimeError) -> Int32

    /// Sends `signal` to the container's init (which forwards it to the workload's process group).
    func kill(id: ContainerId, signal: Int32) throws(RuntimeError)

    /// The runtime's view of the container, or nil when the runtime does not know it.
    func state(id: ContainerId) throws(RuntimeError) -> RuntimeState?

    /// Removes every trace of the container from the runtime (killing it first if it still runs).
    func delete(id: ContainerId) throws(RuntimeError)
}

public struct StartRequest: Sendable {
    public var id: ContainerId
    public var bundle: AbsolutePath
    /// Host fds to become the container's 0, 1, 2.
    public var stdio: [Int32]
    /// Where the driver may keep files for this container (logs, pid files, addresses).
    public var workDirectory: AbsolutePath

    public init(id: ContainerId, bundle: AbsolutePath, stdio: [Int32], workDirectory: AbsolutePath) {
        self.id = id; self.bundle = bundle; self.stdio = stdio; self.workDirectory = workDirectory
    }
}

public struct StartedContainer: Sendable, Equatable {
    public var id: ContainerId
    /// The host pid that represents the container to YARN (written to the NodeManager's pid file).
    public var pid: Int32
    /// A process of ours to reap when waiting (the foreground runtime process), if the driver has one.
    public var supervisor: Int32?
    /// Set when the container already ended (and was reaped) before `start` returned.
    public var finishedStatus: Int32?

    public init(id: ContainerId, pid: Int32, supervisor: Int32?, finishedStatus: Int32? = nil) {
        self.id = id; self.pid = pid; self.supervisor = supervisor; self.finishedStatus = finishedStatus
    }
}

public struct RuntimeState: Sendable, Equatable {
    public enum Status: String, Sendable { case creating, created, running, paused, stopped, unknown }
    public var status: Status
    public var pid: Int32?
    /// How a stopped container ended (128+signal for a signal death), when the runtime still knows.
    public var exitStatus: Int32?
    public init(status: Status, pid: Int32?, exitStatus: Int32? = nil) { self.status = status; self.pid = pid; self.exitStatus = exitStatus }
}
